/**
 * @module @qsfs/zstor-codec
 * The QSFS data pipeline, first slice: the erasure-coding engine. The standard systematic
 * Reed-Solomon code of upstream 0-stor, Backblaze and klauspost (GF(2^8), polynomial 0x11D,
 * Vandermonde-derived matrix; shared/specs/zstor.md §2, step 4) in pure TypeScript, and the
 * padding that turns an object into `k` data shards. Compression, encryption, checksums,
 * streaming and metadata are not built yet.
 */
export type { ErasureCoder } from './erasure-coder.js'
export {
  ErasureCodeError,
  type ErasureCodeErrorCode,
  GaloisFieldError,
  type GaloisFieldErrorCode,
} from './errors.js'
export { joinAndUnpad, padAndSplit } from './padding.js'
export { createStandardRs, STANDARD_RS_ID, type StandardRsCoder, standardRsMatrix } from './standard-rs.js'
export { MAX_TOTAL_SHARDS } from './validate.js'
