/**
 * Reads a zstor config: upstream 0-stor v2's TOML file unchanged (spec zstor.md §1), plus our
 * additions. Like upstream (`deny_unknown_fields` on every struct) an unknown field anywhere is
 * refused; unlike upstream every refusal says the field's path and `file:line`.
 * @module
 */
import { dirname, resolve } from 'node:path'
import { MAX_OBJECT_SIZE } from '@qsfs/zstor-codec'
import { parse, TomlError } from 'smol-toml'
import { ConfigError } from '../errors.js'
import { socketPathProblem } from './backend-address.js'
import {
  asTable,
  checkFields,
  describe,
  field,
  readArray,
  readInteger,
  readString,
  required,
  Source,
  type Table,
} from './fields.js'
import { type KeyContext, type KeySpec, readEncryption, resolveKey } from './key-source.js'
import { readBackends } from './read-backend.js'
import {
  COMPRESSION_NAMES,
  type CompressionName,
  DEFAULT_REPAIR_INTERVAL,
  type GroupConfig,
  MAX_REPAIR_INTERVAL,
  type ZstorConfig,
} from './schema.js'

/** Top-level fields: upstream's, in its struct order (spec zstor.md §1), then ours. */
export const CONFIG_FIELDS = Object.freeze([
  'minimal_shards',
  'expected_shards',
  'redundant_groups',
  'redundant_nodes',
  'root',
  'socket',
  'pid_file',
  'zdb_data_dir_path',
  'max_zdb_data_dir_size',
  'zdbfs_mountpoint',
  'prometheus_port',
  'queue_dir',
  'repair_interval',
  'object_size',
  'encryption',
  'compression',
  'meta',
  'groups',
])
/** Largest number of shards of a GF(2^8) code (spec zstor.md §1 `expected_shards`). */
const MAX_SHARDS = 256

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** Where the text came from: named in messages, and the base of relative `key_file` paths. */
  readonly file?: string
  /** Where `passphrase_env` is looked up; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>
}

type Draft = Omit<ZstorConfig, 'key' | 'keySource' | 'meta'> & {
  readonly meta: Omit<ZstorConfig['meta'], 'key' | 'keySource'>
}

function parseToml(src: Source, text: string): Table {
  try {
    return parse(text, { integersAsBigInt: true })
  } catch (error) {
    if (!(error instanceof TomlError)) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new ConfigError('ERR_CONFIG_SYNTAX', `${src.file ?? 'config'}: ${reason}`)
    }
    // Only the first line: the rest is a code excerpt, which may show a key or a password.
    const reason = error.message.split('\n', 1)[0]!.replace(/^Invalid TOML document: /, '')
    const where = src.file === null ? `line ${error.line}` : `${src.file}:${error.line}`
    throw new ConfigError('ERR_CONFIG_SYNTAX', `${where}: column ${error.column}: ${reason}`)
  }
}

function readShards(src: Source, root: Table) {
  for (const name of CONFIG_FIELDS.slice(0, 4)) required(src, root, [], name)
  const k = readInteger(src, root, [], 'minimal_shards', { min: 1, max: MAX_SHARDS - 1 })!
  const expectedShards = readInteger(src, root, [], 'expected_shards', {
    min: k + 1,
    max: MAX_SHARDS,
    what:
      `an integer ${k + 1}..${MAX_SHARDS}: more than \`minimal_shards\` (${k}), for at least 1 parity shard, ` +
      `and at most ${MAX_SHARDS} in all`,
  })!
  const redundancy = { min: 0, max: Number.MAX_SAFE_INTEGER, what: 'an integer ≥ 0' }
  return {
    minimalShards: k,
    expectedShards,
    redundantGroups: readInteger(src, root, [], 'redundant_groups', redundancy)!,
    redundantNodes: readInteger(src, root, [], 'redundant_nodes', redundancy)!,
  }
}

function readCompression(src: Source, value: unknown): CompressionName {
  const table = asTable(src, value, ['compression'])
  checkFields(src, table, ['compression'], ['algorithm'])
  const algorithm = required(src, table, ['compression'], 'algorithm')
  if (!COMPRESSION_NAMES.includes(algorithm as CompressionName)) {
    const at = ['compression', 'algorithm']
    const names = COMPRESSION_NAMES.map((n) => `"${n}"`).join(', ')
    throw src.error(
      'ERR_CONFIG_INVALID',
      at,
      `${field(at)} must be one of ${names}, got ${describe(algorithm)}`,
    )
  }
  return algorithm as CompressionName
}

function readMeta(src: Source, value: unknown): { meta: Draft['meta']; key: KeySpec | null } {
  const path = ['meta']
  const table = asTable(src, value, path)
  checkFields(src, table, path, ['type', 'config'])
  const type = required(src, table, path, 'type')
  if (type !== 'zdb') {
    throw src.error(
      'ERR_CONFIG_INVALID',
      ['meta', 'type'],
      `\`meta.type\` must be "zdb", got ${describe(type)}`,
    )
  }
  const configPath = ['meta', 'config']
  const config = asTable(src, required(src, table, path, 'config'), configPath)
  checkFields(src, config, configPath, ['prefix', 'encryption', 'backends'])
  required(src, config, configPath, 'prefix')
  const prefix = readString(src, config, configPath, 'prefix')!
  const key =
    config.encryption === undefined
      ? null
      : readEncryption(src, config.encryption, [...configPath, 'encryption'])
  return { meta: { prefix, backends: readBackends(src, config, configPath, 1) }, key }
}

function readGroups(src: Source, root: Table): GroupConfig[] {
  required(src, root, [], 'groups')
  return readArray(src, root, [], 'groups')!.map((value, i) => {
    const path = ['groups', i]
    const table = asTable(src, value, path)
    checkFields(src, table, path, ['backends'])
    return { backends: readBackends(src, table, path, 0) }
  })
}

function readDraft(src: Source, root: Table): { draft: Draft; key: KeySpec; metaKey: KeySpec | null } {
  checkFields(src, root, [], CONFIG_FIELDS)
  const shards = readShards(src, root)
  const socket = readString(src, root, [], 'socket')
  const socketProblem = socket === null ? null : socketPathProblem(socket)
  if (socketProblem !== null) throw src.error('ERR_CONFIG_INVALID', ['socket'], `\`socket\` ${socketProblem}`)
  const limits = {
    maxZdbDataDirSize: readInteger(src, root, [], 'max_zdb_data_dir_size', {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
      what: 'a size in MiB ≥ 1',
    }),
    prometheusPort: readInteger(src, root, [], 'prometheus_port', { min: 1, max: 65535 }),
    repairInterval:
      readInteger(src, root, [], 'repair_interval', {
        min: 1,
        max: MAX_REPAIR_INTERVAL,
        what: `a number of seconds 1..${MAX_REPAIR_INTERVAL}`,
      }) ?? DEFAULT_REPAIR_INTERVAL,
    objectSize: readInteger(src, root, [], 'object_size', {
      min: 1,
      max: MAX_OBJECT_SIZE,
      what: `a number of bytes 1..${MAX_OBJECT_SIZE} (1 GiB)`,
    }),
  }
  const key = readEncryption(src, required(src, root, [], 'encryption'), ['encryption'])
  const compression = readCompression(src, required(src, root, [], 'compression'))
  const { meta, key: metaKey } = readMeta(src, required(src, root, [], 'meta'))
  const draft: Draft = {
    ...shards,
    root: readString(src, root, [], 'root'),
    socket,
    pidFile: readString(src, root, [], 'pid_file'),
    zdbDataDirPath: readString(src, root, [], 'zdb_data_dir_path'),
    zdbfsMountpoint: readString(src, root, [], 'zdbfs_mountpoint'),
    queueDir: readString(src, root, [], 'queue_dir'),
    ...limits,
    compression,
    meta,
    groups: readGroups(src, root),
    file: src.file,
  }
  return { draft, key, metaKey }
}

/**
 * Reads a config from its TOML text (spec zstor.md §1). Every field of upstream's file is
 * taken unchanged; see the package README for ours. Relative `key_file` paths are resolved
 * against the directory of `options.file`, else the working directory. Does not run
 * {@link validateConfig}, as upstream runs its `validate()` only at startup.
 * @throws {ConfigError} `ERR_CONFIG_SYNTAX`, `ERR_CONFIG_UNKNOWN_FIELD`, `ERR_CONFIG_MISSING_FIELD`,
 *   `ERR_CONFIG_INVALID`, or `ERR_CONFIG_READ` for a `key_file` that cannot be read.
 */
export async function parseConfig(text: string, options: ParseConfigOptions = {}): Promise<ZstorConfig> {
  const file = options.file ?? null
  if (typeof text !== 'string') {
    throw new ConfigError(
      'ERR_CONFIG_SYNTAX',
      `${file ?? 'config'}: the config must be a string of TOML, got ${typeof text}`,
    )
  }
  // A byte-order mark would shift the first key past the line scanner.
  if (text.startsWith('\uFEFF')) text = text.slice(1)
  const src = new Source(text, file)
  const { draft, key: keySpec, metaKey: metaKeySpec } = readDraft(src, parseToml(src, text))
  const context: KeyContext = {
    dir: file === null ? process.cwd() : dirname(resolve(file)),
    env: options.env ?? process.env,
    derived: new Map(),
  }
  const data = await resolveKey(src, keySpec, context)
  try {
    const meta = metaKeySpec === null ? null : await resolveKey(src, metaKeySpec, context)
    return {
      ...draft,
      key: data.key,
      keySource: data.source,
      meta: { ...draft.meta, keySource: meta?.source ?? null, key: meta?.key ?? null },
    }
  } catch (error) {
    data.key.fill(0)
    throw error
  }
}
