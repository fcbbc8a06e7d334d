/**
 * `[encryption]` and `[meta.config.encryption]` tables. Upstream gives `algorithm = "AES"` and
 * `key = "<64 hex>"` (spec zstor.md §1); we also take `key_file` (a file holding the 64 hex
 * characters) or a passphrase (`passphrase`, or `passphrase_env` naming an environment
 * variable) with `salt` and optional scrypt work factors. Reading is split in two: the table is
 * checked first, and files are read and keys derived (about 0.5 s each) only once the whole
 * config has passed its checks.
 * @module
 */
import { isAbsolute, resolve } from 'node:path'
import {
  DEFAULT_SCRYPT_PARAMS,
  deriveKey,
  KEY_LENGTH,
  parseHexKey,
  SALT_LENGTH,
  type ScryptParams,
} from '@qsfs/zstor-codec'
import {
  asTable,
  checkFields,
  describe,
  field,
  readInteger,
  readString,
  required,
  type Source,
} from './fields.js'
import type { FieldPath } from './locate.js'
import { ioReason, readFileCapped } from './read-file.js'
import type { KeySource } from './schema.js'

/** Fields of an encryption table: upstream's two, then ours. */
export const ENCRYPTION_FIELDS = Object.freeze([
  'algorithm',
  'key',
  'key_file',
  'passphrase',
  'passphrase_env',
  'salt',
  'scrypt_n',
  'scrypt_r',
  'scrypt_p',
])
const SOURCES = ['key', 'key_file', 'passphrase', 'passphrase_env'] as const
const PASSPHRASE_ONLY = ['salt', 'scrypt_n', 'scrypt_r', 'scrypt_p'] as const
const MAX_SALT_BYTES = 1024
// Same ceiling as the codec's deriveKey: 1 GiB of scrypt memory.
const MAX_SCRYPT_MEMORY = 2 ** 30 + 2 ** 11
// A key file holds 64 hex characters and some whitespace; anything much bigger is the wrong file.
const MAX_KEY_FILE_BYTES = 4096

/** A key as the config gives it: checked, but not yet read from its file or derived. */
export type KeySpec =
  | { readonly kind: 'hex'; readonly key: Uint8Array }
  | { readonly kind: 'file'; readonly file: string; readonly at: FieldPath }
  | {
      readonly kind: 'passphrase'
      readonly passphrase: string | null
      readonly env: string | null
      readonly salt: Uint8Array
      readonly params: ScryptParams
      readonly at: FieldPath
    }

/** Why `text` is not a 64-hex-character key, or `null`; never quotes the text. */
export function hexKeyProblem(text: string): string | null {
  if (text.length !== KEY_LENGTH * 2) {
    return `must be ${KEY_LENGTH * 2} hex characters (${KEY_LENGTH} bytes), got ${text.length} characters`
  }
  const bad = text.search(/[^0-9a-fA-F]/)
  return bad < 0 ? null : `must hold only hex digits 0-9, a-f, A-F; character ${bad + 1} is not one`
}

function readSalt(src: Source, table: Record<string, unknown>, path: FieldPath): Uint8Array {
  const at = [...path, 'salt']
  const text = readString(src, table, path, 'salt')
  if (text === null) {
    throw src.error(
      'ERR_CONFIG_MISSING_FIELD',
      path,
      `missing field ${field(at)}: a passphrase needs its salt`,
    )
  }
  const bytes = text.length / 2
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(text) || bytes < SALT_LENGTH || bytes > MAX_SALT_BYTES) {
    throw src.error(
      'ERR_CONFIG_INVALID',
      at,
      `${field(at)} must be ${SALT_LENGTH}..${MAX_SALT_BYTES} bytes written as hex, got ${describe(text)}`,
    )
  }
  return Uint8Array.from(Buffer.from(text, 'hex'))
}

function readParams(src: Source, table: Record<string, unknown>, path: FieldPath): ScryptParams {
  const rule = { min: 2 ** 14, max: 2 ** 20, what: 'a power of two 16384..1048576 (2^14..2^20)' }
  const N = readInteger(src, table, path, 'scrypt_n', rule) ?? DEFAULT_SCRYPT_PARAMS.N
  if ((N & (N - 1)) !== 0) {
    const at = [...path, 'scrypt_n']
    throw src.error('ERR_CONFIG_INVALID', at, `${field(at)} must be ${rule.what}, got ${N}`)
  }
  const r = readInteger(src, table, path, 'scrypt_r', { min: 1, max: 32 }) ?? DEFAULT_SCRYPT_PARAMS.r
  const p = readInteger(src, table, path, 'scrypt_p', { min: 1, max: 16 }) ?? DEFAULT_SCRYPT_PARAMS.p
  const memory = 128 * r * (N + p + 1)
  if (memory > MAX_SCRYPT_MEMORY) {
    throw src.error(
      'ERR_CONFIG_INVALID',
      [...path, 'scrypt_n'],
      `scrypt with \`scrypt_n\` = ${N} and \`scrypt_r\` = ${r} needs ${Math.round(memory / 2 ** 20)} MiB; the limit is 1024 MiB (128 · r · N)`,
    )
  }
  return Object.freeze({ N, r, p })
}

/** Checks an encryption table at `path` and says where its key is to come from. */
export function readEncryption(src: Source, value: unknown, path: FieldPath): KeySpec {
  const table = asTable(src, value, path)
  checkFields(src, table, path, ENCRYPTION_FIELDS)
  const algorithm = required(src, table, path, 'algorithm')
  if (algorithm !== 'AES') {
    const at = [...path, 'algorithm']
    throw src.error('ERR_CONFIG_INVALID', at, `${field(at)} must be "AES", got ${describe(algorithm)}`)
  }
  const given = SOURCES.filter((name) => table[name] !== undefined)
  if (given.length === 0) {
    throw src.error(
      'ERR_CONFIG_MISSING_FIELD',
      path,
      `missing field ${field([...path, 'key'])}: give one of ${SOURCES.map((s) => `\`${s}\``).join(', ')}`,
    )
  }
  if (given.length > 1) {
    throw src.error(
      'ERR_CONFIG_INVALID',
      [...path, given[1]!],
      `${field(path)} must give exactly one of ${SOURCES.map((s) => `\`${s}\``).join(', ')}; it gives \`${given[0]}\` and \`${given[1]}\``,
    )
  }
  const source = given[0]!
  const at = [...path, source]
  if (source !== 'passphrase' && source !== 'passphrase_env') {
    const stray = PASSPHRASE_ONLY.find((name) => table[name] !== undefined)
    if (stray !== undefined) {
      const strayAt = [...path, stray]
      throw src.error('ERR_CONFIG_INVALID', strayAt, `${field(strayAt)} is only used with a passphrase`)
    }
  }
  if (source === 'key') {
    const text = readString(src, table, path, 'key', { secret: true })!
    const problem = hexKeyProblem(text)
    if (problem !== null) throw src.error('ERR_CONFIG_INVALID', at, `${field(at)} ${problem}`)
    return { kind: 'hex', key: parseHexKey(text) }
  }
  if (source === 'key_file') return { kind: 'file', file: readString(src, table, path, 'key_file')!, at }
  const passphrase =
    source === 'passphrase' ? readString(src, table, path, 'passphrase', { secret: true }) : null
  const env = source === 'passphrase_env' ? readString(src, table, path, 'passphrase_env') : null
  return {
    kind: 'passphrase',
    passphrase,
    env,
    salt: readSalt(src, table, path),
    params: readParams(src, table, path),
    at,
  }
}

/** Where {@link resolveKey} reads from; `derived` lets two tables share one scrypt run. */
export interface KeyContext {
  /** Directory that relative `key_file` paths are resolved against. */
  readonly dir: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly derived: Map<string, Promise<Uint8Array>>
}

async function readKeyFile(src: Source, spec: Extract<KeySpec, { kind: 'file' }>, dir: string) {
  const full = isAbsolute(spec.file) ? spec.file : resolve(dir, spec.file)
  let bytes: Buffer
  try {
    bytes = await readFileCapped(full, MAX_KEY_FILE_BYTES)
  } catch (error) {
    throw src.error(
      'ERR_CONFIG_READ',
      spec.at,
      `${field(spec.at)}: cannot read ${JSON.stringify(full)}: ${ioReason(error)}`,
    )
  }
  try {
    const text = bytes.toString('utf8').trim()
    const problem = hexKeyProblem(text)
    if (problem !== null) {
      throw src.error(
        'ERR_CONFIG_INVALID',
        spec.at,
        `${field(spec.at)}: the key in ${JSON.stringify(full)} ${problem}`,
      )
    }
    return parseHexKey(text)
  } finally {
    bytes.fill(0)
  }
}

async function derive(src: Source, spec: Extract<KeySpec, { kind: 'passphrase' }>, context: KeyContext) {
  let passphrase = spec.passphrase
  if (spec.env !== null) {
    passphrase = context.env[spec.env] ?? ''
    if (passphrase === '') {
      throw src.error(
        'ERR_CONFIG_INVALID',
        spec.at,
        `${field(spec.at)} names the environment variable ${spec.env}, which is not set or empty`,
      )
    }
  }
  const { N, r, p } = spec.params
  const id = `${passphrase}\0${Buffer.from(spec.salt).toString('hex')}\0${N},${r},${p}`
  let pending = context.derived.get(id)
  if (pending === undefined) {
    pending = deriveKey({ passphrase: passphrase!, salt: spec.salt, params: spec.params }).then((d) => d.key)
    context.derived.set(id, pending)
  }
  try {
    // A copy each: wiping one config key must not wipe the other.
    return Uint8Array.from(await pending)
  } catch (error) {
    // The codec's messages name parameters, never the passphrase.
    const reason = error instanceof Error ? error.message : String(error)
    throw src.error('ERR_CONFIG_INVALID', spec.at, `${field(spec.at)}: cannot derive the key: ${reason}`)
  }
}

/** Reads or derives the key of `spec`, and says how it was given. */
export async function resolveKey(
  src: Source,
  spec: KeySpec,
  context: KeyContext,
): Promise<{ key: Uint8Array; source: KeySource }> {
  if (spec.kind === 'hex') return { key: spec.key, source: { kind: 'hex' } }
  if (spec.kind === 'file') {
    return { key: await readKeyFile(src, spec, context.dir), source: { kind: 'file', path: spec.file } }
  }
  const key = await derive(src, spec, context)
  const source: KeySource = {
    kind: 'passphrase',
    salt: spec.salt,
    params: spec.params,
    ...(spec.passphrase === null ? {} : { passphrase: spec.passphrase }),
    ...(spec.env === null ? {} : { env: spec.env }),
  }
  return { key, source }
}
