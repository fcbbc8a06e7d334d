/**
 * Typed errors of the codec. Callers branch on `name` or `code`, never on message text;
 * messages say what was wrong and what to do about it.
 * @module
 */

/**
 * What every error of this package is: a stable `code`, and a message that starts with it.
 * `err instanceof CodecError` tells the codec's errors from any other.
 */
export abstract class CodecError<Code extends string = string> extends Error {
  readonly code: Code

  constructor(code: Code, message: string) {
    super(`${code}: ${message}`)
    this.code = code
  }
}

/** Stable codes of {@link ErasureCodeError}. */
export type ErasureCodeErrorCode =
  /** `k` or `m` out of range (k 1..255, m 1..256-k; ronomon engine: k 1..24, m 1..6). */
  | 'ERR_RS_PARAMS'
  /** An array of shards does not hold the number of shards the code needs. */
  | 'ERR_RS_SHARD_COUNT'
  /** A shard is not a `Uint8Array` (or, for reconstruct, not `null`/`undefined` either). */
  | 'ERR_RS_SHARD_TYPE'
  /** Shards of one stripe have different lengths. */
  | 'ERR_RS_SHARD_SIZE'
  /** Fewer than `k` shards are present, so the stripe cannot be rebuilt. */
  | 'ERR_RS_TOO_FEW_SHARDS'
  /** The padding of joined data shards is not the one {@link padAndSplit} writes. */
  | 'ERR_RS_PADDING'
  /** Any other argument of the wrong type or out of range. */
  | 'ERR_RS_ARGUMENT'
  /** The engine cannot run here: the native `@ronomon/reed-solomon` addon did not load. */
  | 'ERR_RS_ENGINE'

/** A misuse of an erasure coder, or input it cannot decode. */
export class ErasureCodeError extends CodecError<ErasureCodeErrorCode> {
  override readonly name = 'ErasureCodeError'
}

/** Stable codes of {@link GaloisFieldError}. */
export type GaloisFieldErrorCode =
  | 'ERR_GF_DIVISION_BY_ZERO'
  | 'ERR_GF_SINGULAR_MATRIX'
  | 'ERR_GF_MATRIX_SHAPE'

/**
 * An impossible GF(2^8) operation: division by zero, inverting a singular matrix, or matrices
 * whose shapes do not fit. The coders only invert sub-matrices of an MDS code, which are never
 * singular, so seeing one of these from a coder is a bug.
 */
export class GaloisFieldError extends CodecError<GaloisFieldErrorCode> {
  override readonly name = 'GaloisFieldError'
}

/** Stable codes of {@link CryptoError}. */
export type CryptoErrorCode =
  /** An argument of the wrong type, or an empty passphrase. */
  | 'ERR_CRYPTO_ARGUMENT'
  /** A key that is not exactly 32 bytes. */
  | 'ERR_KEY_LENGTH'
  /** A hex key that is not exactly 64 hexadecimal characters. */
  | 'ERR_KEY_HEX'
  /** scrypt parameters or salt out of the accepted range. */
  | 'ERR_KDF_PARAMS'
  /** An unknown cipher engine, or one this runtime does not have. */
  | 'ERR_CIPHER_ENGINE'
  /** The cipher was used after `destroy()` wiped its key. */
  | 'ERR_CIPHER_DESTROYED'
  /** A sealed object shorter than nonce + tag (28 bytes): truncated or not ours. */
  | 'ERR_CIPHERTEXT_TOO_SHORT'
  /** The GCM tag did not verify: wrong key, or nonce, ciphertext or tag altered. */
  | 'ERR_DECRYPT_AUTH'
  /** `update()` or `digest()` on a checksum whose digest was already taken. */
  | 'ERR_CHECKSUM_FINISHED'
  /** An unknown checksum engine, `wasm` before `loadWasmChecksum()` resolved, or no WebAssembly. */
  | 'ERR_CHECKSUM_ENGINE'

/**
 * A misuse of the encryption, key or checksum API, or a sealed object that does not
 * authenticate. An engine's own exception (OpenSSL's or noble's) is never thrown through.
 */
export class CryptoError extends CodecError<CryptoErrorCode> {
  override readonly name = 'CryptoError'
}

/** Stable codes of {@link CompressionError}. */
export type CompressionErrorCode =
  /** Compressed input that does not decode: corrupt, truncated, over its size cap, or not this format. */
  | 'ERR_DECOMPRESS'
  /** An unknown compression, or an argument of the wrong type. */
  | 'ERR_COMPRESSION_ARGUMENT'
  /** The WebAssembly zstd engine could not be loaded. */
  | 'ERR_COMPRESSION_ENGINE'

/**
 * A compressed object that does not decode, or a misuse of the compression API. A codec's own
 * exception is never thrown through.
 */
export class CompressionError extends CodecError<CompressionErrorCode> {
  override readonly name = 'CompressionError'
}

/** Stable codes of {@link PipelineError}. */
export type PipelineErrorCode =
  /** Fewer than `k` shards are present with a checksum that holds. */
  | 'ERR_TOO_FEW_SHARDS'
  /** The decoded object's size or BLAKE2b-128 is not the one its metadata records. */
  | 'ERR_OBJECT_CHECKSUM'
  /** Metadata that is incomplete or inconsistent, or that names a code or cipher not supported here. */
  | 'ERR_OBJECT_META'
  /** An argument of the wrong type or out of range. */
  | 'ERR_PIPELINE_ARGUMENT'

/**
 * An object that cannot be encoded or decoded as a whole. Failures of one stage keep their own
 * class: a wrong key is a {@link CryptoError} `ERR_DECRYPT_AUTH`, corrupt compressed data a
 * {@link CompressionError} `ERR_DECOMPRESS`.
 */
export class PipelineError extends CodecError<PipelineErrorCode> {
  override readonly name = 'PipelineError'
}

/** Stable codes of {@link StreamError}. */
export type StreamErrorCode =
  /** An option or source of the wrong type or out of range (`objectSize`, `concurrency`, a chunk). */
  | 'ERR_STREAM_ARGUMENT'
  /** An object out of order, repeated, missing before a later one, or after the last object. */
  | 'ERR_STREAM_ORDER'
  /** The objects ended before the one marked `last`: objects are missing at the end. */
  | 'ERR_STREAM_TRUNCATED'

/**
 * A misuse of the streaming encoder or decoder, or a sequence of objects that is not one whole
 * stream. Failures of a single object keep their own class ({@link PipelineError},
 * {@link CryptoError}, {@link CompressionError}).
 */
export class StreamError extends CodecError<StreamErrorCode> {
  override readonly name = 'StreamError'
}

/** Stable codes of {@link MetadataError}. */
export type MetadataErrorCode =
  /** Bytes that are not a well-formed metadata record: truncated, altered, or not metadata at all. */
  | 'ERR_METADATA_CORRUPT'
  /** A record of a format version this package does not read. The message lists those it does. */
  | 'ERR_METADATA_VERSION'
  /**
   * A well-formed record naming something this package cannot decode: an unknown erasure code,
   * compression, cipher or checksum id, or an upstream record our pipeline cannot read.
   */
  | 'ERR_METADATA_UNSUPPORTED'
  /** A metadata object given to `encodeMetadata` that is incomplete, inconsistent or out of range. */
  | 'ERR_METADATA_ARGUMENT'

/**
 * Metadata that cannot be encoded or decoded: ours (`encodeMetadata`/`decodeMetadata`) or
 * upstream 0-stor's bincode `MetaData` (`decodeUpstreamMetadata`, `toMetadata`). Decoding never
 * throws anything else, whatever the input bytes.
 */
export class MetadataError extends CodecError<MetadataErrorCode> {
  override readonly name = 'MetadataError'
}
