/**
 * @module @qsfs/zstor-codec
 * The QSFS data pipeline, without I/O (shared/specs/zstor.md §2): `encodeObject` and
 * `decodeObject` compose its steps, which are exported too: the BLAKE2b-128 checksum (steps 1
 * and 5; WebAssembly or noble), compression (step 2; the snappy framing format of upstream,
 * zstd, or none), AES-256-GCM object encryption with hex or passphrase keys (step 3), and the
 * standard systematic Reed-Solomon code of upstream 0-stor, Backblaze and klauspost (GF(2^8),
 * polynomial 0x11D, Vandermonde-derived matrix; step 4) in pure TypeScript, with the padding
 * that turns an object into `k` data shards; `createRonomonRs` is the optional fast profile over
 * the native `@ronomon/reed-solomon` addon (its own code, recorded as such in the metadata).
 * `encodeStream`/`decodeStream` cut inputs of any size into objects with bounded memory; `encodeMetadata`/`decodeMetadata` store what is needed
 * to get an object back (never its key), and `decodeUpstreamMetadata` reads 0-stor's records.
 */
export {
  availableChecksumEngines,
  type Blake2b128,
  blake2b128,
  CHECKSUM_LENGTH,
  type ChecksumEngine,
  type ChecksumOptions,
  createBlake2b128,
  loadWasmChecksum,
} from './checksum.js'
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
export {
  COMPRESSIONS,
  type Compression,
  type CompressOptions,
  compress,
  type DecompressOptions,
  decompress,
} from './compression.js'
export type { ErasureCoder } from './erasure-coder.js'
export {
  coderFor,
  ERASURE_CODE_IDS,
  ERASURE_PROFILES,
  type ErasureCodeId,
  type ErasureProfile,
} from './erasure-engines.js'
export {
  CodecError,
  CompressionError,
  type CompressionErrorCode,
  CryptoError,
  type CryptoErrorCode,
  ErasureCodeError,
  type ErasureCodeErrorCode,
  GaloisFieldError,
  type GaloisFieldErrorCode,
  PipelineError,
  type PipelineErrorCode,
  StreamError,
  type StreamErrorCode,
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
export {
  type BackendAddress,
  DEFAULT_CHUNK_SIZE,
  decodeMetadata,
  encodeMetadata,
  METADATA_MAGIC,
  METADATA_VERSION,
  METADATA_VERSIONS,
  type Metadata,
  MetadataError,
  type MetadataErrorCode,
  type ShardLocation,
  shardSizeFor,
} from './metadata.js'
export {
  decodeUpstreamMetadata,
  type ObjectSizes,
  toMetadata,
  type UpstreamConnectionInfo,
  type UpstreamKey,
  type UpstreamMetadata,
  type UpstreamShardInfo,
} from './metadata-bincode.js'
export { joinAndUnpad, padAndSplit } from './padding.js'
export {
  type DecodeObjectOptions,
  decodeObject,
  type EncodedObject,
  type EncodeObjectOptions,
  encodeObject,
  OBJECT_CIPHER,
  type ObjectMeta,
} from './pipeline.js'
export { createRonomonRs, RONOMON_MAX_K, RONOMON_MAX_M, RONOMON_RS_ID } from './ronomon-rs.js'
export { SNAPPY_MAX_CHUNK, snappyFrameCompress, snappyFrameDecompress } from './snappy-frame.js'
export { createStandardRs, STANDARD_RS_ID, type StandardRsCoder, standardRsMatrix } from './standard-rs.js'
export {
  type DecodeStreamOptions,
  decodeStream,
  type StoredStreamObject,
} from './stream-decode.js'
export {
  DEFAULT_OBJECT_SIZE,
  type EncodedStreamObject,
  type EncodeStreamOptions,
  encodeStream,
  MAX_OBJECT_SIZE,
  type StreamSource,
} from './stream-encode.js'
export { MAX_STREAM_CONCURRENCY } from './stream-window.js'
export { MAX_TOTAL_SHARDS } from './validate.js'
export { type CodecPool, type CodecPoolOptions, createCodecPool } from './worker-pool.js'
