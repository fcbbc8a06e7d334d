/**
 * The 32-byte AES-256 key of a store, in one of two forms:
 * - 64 hex characters, as upstream 0-stor's config `encryption.key` and its metadata records
 *   carry it (spec zstor.md §1, §3 `SymmetricKey`);
 * - derived from a passphrase with scrypt (RFC 7914, `@noble/hashes`) and a random salt. This
 *   form is ours (upstream has no passphrase keys): callers store `salt` and `params` to derive
 *   the same key again.
 * @module
 */
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { KEY_LENGTH } from './cipher.js'
import { checkBytes, typeOf } from './crypto-args.js'
import { CryptoError } from './errors.js'

/** scrypt work factors: CPU/memory cost `N` (a power of two), block size `r`, parallelism `p`. */
export interface ScryptParams {
  readonly N: number
  readonly r: number
  readonly p: number
}

/**
 * 2^17 · 8 · 128 B = 128 MiB of memory and about 0.6 s in `@noble/hashes` on a 2-core server
 * (bench/crypto.bench.ts): the interactive-login setting of Filippo Valsorda's "The scrypt
 * parameters" (2017), raised from 2^15 because a store key is derived once per process, not
 * per request.
 */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = Object.freeze({ N: 2 ** 17, r: 8, p: 1 })
/** Bytes of random salt {@link deriveKey} draws; salts given to it must be at least this long. */
export const SALT_LENGTH = 16

// Floor: weaker settings would be a misconfiguration. Ceiling: params read back from storage
// cannot make us allocate more than 1 GiB (noble's own default `maxmem`).
const MIN_LOG_N = 14
const MAX_LOG_N = 20
const MAX_MEMORY = 2 ** 30 + 2 ** 11
const MAX_SALT_LENGTH = 1024

/** What {@link deriveKey} returns. Store `salt` and `params` (not secret) next to the data. */
export interface DerivedKey {
  /** The 32-byte key. It is the caller's to wipe (`key.fill(0)`) when done. */
  key: Uint8Array
  salt: Uint8Array
  params: ScryptParams
}

/** Options of {@link deriveKey}. */
export interface DeriveKeyOptions {
  /** A string is NFC-normalized and UTF-8 encoded; bytes are used as they are. Not empty. */
  passphrase: string | Uint8Array
  /** The stored salt, to derive an existing key again; default {@link SALT_LENGTH} random bytes. */
  salt?: Uint8Array
  /** Default {@link DEFAULT_SCRYPT_PARAMS}. `N` 2^14..2^20, `r` 1..32, `p` 1..16, ≤ 1 GiB. */
  params?: ScryptParams
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30
  const lower = code | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10
  return -1
}

/**
 * The 32-byte key written as exactly 64 hex characters, either case (upstream's config
 * `encryption.key`, spec zstor.md §1). Errors say what is wrong without echoing the text.
 */
export function parseHexKey(hex: string): Uint8Array {
  if (typeof hex !== 'string') {
    throw new CryptoError('ERR_KEY_HEX', `\`hex\` must be a string of 64 hex characters, got ${typeOf(hex)}`)
  }
  if (hex.length !== KEY_LENGTH * 2) {
    throw new CryptoError(
      'ERR_KEY_HEX',
      `a hex key must be exactly ${KEY_LENGTH * 2} hex characters (${KEY_LENGTH} bytes), got ${hex.length} characters`,
    )
  }
  const key = new Uint8Array(KEY_LENGTH)
  for (let i = 0; i < KEY_LENGTH; i++) {
    const hi = hexValue(hex.charCodeAt(2 * i))
    const lo = hexValue(hex.charCodeAt(2 * i + 1))
    if (hi < 0 || lo < 0) {
      key.fill(0)
      const at = hi < 0 ? 2 * i : 2 * i + 1
      throw new CryptoError(
        'ERR_KEY_HEX',
        `a hex key may hold only 0-9, a-f and A-F; character ${at + 1} of ${KEY_LENGTH * 2} is not a hex digit`,
      )
    }
    key[i] = (hi << 4) | lo
  }
  return key
}

/** The key as 64 lowercase hex characters, the form upstream writes in config and metadata. */
export function formatHexKey(key: Uint8Array): string {
  checkBytes(key, 'key')
  if (key.length !== KEY_LENGTH) {
    throw new CryptoError(
      'ERR_KEY_LENGTH',
      `\`key\` must be ${KEY_LENGTH} bytes (AES-256), got ${key.length}`,
    )
  }
  let hex = ''
  for (const byte of key) hex += byte.toString(16).padStart(2, '0')
  return hex
}

function checkParams(params: unknown): ScryptParams {
  if (typeof params !== 'object' || params === null) {
    throw new CryptoError('ERR_KDF_PARAMS', `\`params\` must be an object { N, r, p }, got ${typeOf(params)}`)
  }
  const { N, r, p } = params as Record<string, unknown>
  const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v)
  if (!isInt(N) || N < 2 ** MIN_LOG_N || N > 2 ** MAX_LOG_N || (N & (N - 1)) !== 0) {
    throw new CryptoError(
      'ERR_KDF_PARAMS',
      `\`params.N\` must be a power of two 2^${MIN_LOG_N}..2^${MAX_LOG_N}, got ${isInt(N) ? N : typeOf(N)}`,
    )
  }
  if (!isInt(r) || r < 1 || r > 32) {
    throw new CryptoError(
      'ERR_KDF_PARAMS',
      `\`params.r\` must be an integer 1..32, got ${isInt(r) ? r : typeOf(r)}`,
    )
  }
  if (!isInt(p) || p < 1 || p > 16) {
    throw new CryptoError(
      'ERR_KDF_PARAMS',
      `\`params.p\` must be an integer 1..16, got ${isInt(p) ? p : typeOf(p)}`,
    )
  }
  const memory = 128 * r * (N + p + 1)
  if (memory > MAX_MEMORY) {
    throw new CryptoError(
      'ERR_KDF_PARAMS',
      `scrypt with N = ${N}, r = ${r} needs ${Math.round(memory / 2 ** 20)} MiB; the limit is 1024 MiB (128 · r · N)`,
    )
  }
  return Object.freeze({ N, r, p })
}

/**
 * Derives a 32-byte key from a passphrase with scrypt. Without `salt` it draws a new one
 * (a new key); with the stored `salt` and `params` it gives the same key again. Yields to the
 * event loop while it works (about 0.5 s and 128 MiB at the default params).
 */
export async function deriveKey(options: DeriveKeyOptions): Promise<DerivedKey> {
  if (typeof options !== 'object' || options === null) {
    throw new CryptoError('ERR_CRYPTO_ARGUMENT', `\`options\` must be an object, got ${typeOf(options)}`)
  }
  const params = checkParams(options.params ?? DEFAULT_SCRYPT_PARAMS)
  let salt: Uint8Array
  if (options.salt === undefined) {
    salt = globalThis.crypto.getRandomValues(new Uint8Array(SALT_LENGTH))
  } else {
    checkBytes(options.salt, 'salt')
    if (options.salt.length < SALT_LENGTH || options.salt.length > MAX_SALT_LENGTH) {
      throw new CryptoError(
        'ERR_KDF_PARAMS',
        `\`salt\` must be ${SALT_LENGTH}..${MAX_SALT_LENGTH} bytes, got ${options.salt.length}`,
      )
    }
    salt = Uint8Array.from(options.salt)
  }
  const { passphrase } = options
  let secret: Uint8Array
  if (typeof passphrase === 'string') {
    secret = new TextEncoder().encode(passphrase.normalize('NFC'))
  } else if (passphrase instanceof Uint8Array) {
    secret = passphrase
  } else {
    throw new CryptoError(
      'ERR_CRYPTO_ARGUMENT',
      `\`passphrase\` must be a string or a Uint8Array, got ${typeOf(passphrase)}`,
    )
  }
  try {
    if (secret.length === 0) throw new CryptoError('ERR_CRYPTO_ARGUMENT', '`passphrase` must not be empty')
    const key = await scryptAsync(secret, salt, { ...params, dkLen: KEY_LENGTH, maxmem: MAX_MEMORY })
    return { key, salt, params }
  } finally {
    // Our UTF-8 copy of a string passphrase; the JS string itself cannot be wiped.
    if (secret !== passphrase) secret.fill(0)
  }
}
