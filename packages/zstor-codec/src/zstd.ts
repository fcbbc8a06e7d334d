/**
 * Zstandard (RFC 8878) through `@bokuweb/zstd-wasm`: the reference C library compiled to
 * WebAssembly, loaded from the package's own `.wasm` file (nothing is fetched). Not part of
 * upstream 0-stor, which only knows snappy: objects compressed with it are ours alone.
 *
 * One frame per object, written by `ZSTD_compress`, which always records the content size.
 * Before decoding, the frame header is parsed here so that the output is bounded by the size the
 * caller expects rather than by what the input claims.
 * @module
 */
import { compress, decompress, init } from '@bokuweb/zstd-wasm'
import { CompressionError } from './errors.js'

/** The level objects are compressed at: zstd's default, which here runs at several hundred MB/s. */
export const ZSTD_LEVEL = 3

const MAGIC = 0xfd2fb528

let loading: Promise<void> | undefined

/** Instantiates the WebAssembly zstd once per process; later calls return the same promise. */
export function loadZstd(): Promise<void> {
  loading ??= init().catch((error: unknown) => {
    loading = undefined
    throw new CompressionError(
      'ERR_COMPRESSION_ENGINE',
      `the WebAssembly zstd could not be loaded (${error instanceof Error ? error.message : String(error)})`,
    )
  })
  return loading
}

function corrupt(what: string): CompressionError {
  return new CompressionError('ERR_DECOMPRESS', `zstd: ${what}`)
}

/** `data` as one zstd frame. Call after {@link loadZstd} resolved. */
export function zstdCompressLoaded(data: Uint8Array): Uint8Array {
  return compress(data, ZSTD_LEVEL)
}

/**
 * The content size a zstd frame header states (RFC 8878 §3.1.1.1), or throws when the input is
 * not a zstd frame or states no size.
 */
export function zstdContentSize(frame: Uint8Array): number {
  if (frame.length < 6) throw corrupt(`${frame.length} bytes cannot hold a frame header`)
  const magic = (frame[0]! | (frame[1]! << 8) | (frame[2]! << 16) | (frame[3]! << 24)) >>> 0
  if (magic !== MAGIC) throw corrupt(`not a zstd frame (magic 0x${magic.toString(16)})`)
  const descriptor = frame[4]!
  if (descriptor & 0x08) throw corrupt('the frame header sets its reserved bit')
  const fcsFlag = descriptor >>> 6
  const singleSegment = (descriptor >>> 5) & 1
  const dictIdBytes = [0, 1, 2, 4][descriptor & 3]!
  const fcsBytes = [singleSegment, 2, 4, 8][fcsFlag]!
  if (fcsBytes === 0) throw corrupt('the frame does not state its content size')
  let at = 5 + (singleSegment ? 0 : 1) + dictIdBytes
  if (at + fcsBytes > frame.length) throw corrupt('the frame header is truncated')
  let size = 0
  for (let i = 0; i < fcsBytes; i++) size += frame[at++]! * 2 ** (8 * i)
  return fcsBytes === 2 ? size + 256 : size
}

/**
 * The bytes of the zstd frame `frame`, which must state a content size of at most `maxLength`
 * and decode to exactly it. Call after {@link loadZstd} resolved.
 */
export function zstdDecompressLoaded(frame: Uint8Array, maxLength: number): Uint8Array {
  const size = zstdContentSize(frame)
  if (size > maxLength)
    throw corrupt(`the frame states ${size} bytes, more than the ${maxLength} allowed here`)
  let out: Uint8Array
  try {
    out = decompress(frame, { defaultHeapSize: size })
  } catch (error) {
    throw corrupt(`the frame does not decode (${error instanceof Error ? error.message : String(error)})`)
  }
  if (out.length !== size) throw corrupt(`the frame decodes to ${out.length} bytes but states ${size}`)
  return out
}
