/**
 * @module @qsfs/zstor-codec
 * The QSFS data pipeline, without I/O (shared/specs/zstor.md §2): the BLAKE2b-128 checksum
 * (steps 1 and 5), AES-256-GCM object encryption with hex or passphrase keys (step 3), and the
 * erasure-coding engine: the standard systematic Reed-Solomon code of upstream 0-stor,
 * Backblaze and klauspost (GF(2^8), polynomial 0x11D, Vandermonde-derived matrix; step 4) in
 * pure TypeScript, with the padding that turns an object into `k` data shards. Compression,
 * streaming and metadata are not built yet.
 */
export { type Blake2b128, blake2b128, CHECKSUM_LENGTH, createBlake2b128 } from './checksum.js'
export {
  availableCipherEngines,
  type CipherEngine,
  type CipherOptions,
  createCipher,
  KEY_LENGTH,
  NONCE_LENGTH,
  type ObjectCipher,
  SEALED_OVERHEAD,
  TAG_LENGTH,
} from './cipher.js'
export type { ErasureCoder } from './erasure-coder.js'
export {
  CryptoError,
  type CryptoErrorCode,
  ErasureCodeError,
  type ErasureCodeErrorCode,
  GaloisFieldError,
  type GaloisFieldErrorCode,
} from './errors.js'
export {
  DEFAULT_SCRYPT_PARAMS,
  type DerivedKey,
  type DeriveKeyOptions,
  deriveKey,
  formatHexKey,
  parseHexKey,
  SALT_LENGTH,
  type ScryptParams,
} from './key.js'
export { joinAndUnpad, padAndSplit } from './padding.js'
export { createStandardRs, STANDARD_RS_ID, type StandardRsCoder, standardRsMatrix } from './standard-rs.js'
export { MAX_TOTAL_SHARDS } from './validate.js'
