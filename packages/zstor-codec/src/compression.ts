/**
 * Object compression (spec zstor.md §2 step 2), chosen per object and recorded in its metadata:
 * `snappy` (upstream 0-stor's only option: the snappy framing format, see `snappy-frame.ts`),
 * `zstd` (ours: better ratios, not readable by upstream) and `none`.
 * @module
 */
import { CompressionError } from './errors.js'
import { snappyFrameCompress, snappyFrameDecompress } from './snappy-frame.js'
import { loadZstd, zstdCompressLoaded, zstdDecompressLoaded } from './zstd.js'

/** How an object's bytes are compressed before encryption. */
export type Compression = 'snappy' | 'zstd' | 'none'

/** Every {@link Compression}. */
export const COMPRESSIONS: readonly Compression[] = ['snappy', 'zstd', 'none']

/** Options of {@link compress}. */
export interface CompressOptions {
  /**
   * Where `snappy` writes its output when it has room for the worst case (`data.length` plus 8
   * bytes per 64 KiB plus 10): the result is then a view of it. Memory used before costs no page
   * faults. Ignored by `zstd` and `none`.
   */
  into?: Uint8Array
}

/** Options of {@link decompress}. */
export interface DecompressOptions {
  /** Refuse to produce more bytes than this (the object's size from its metadata). */
  maxLength?: number
  /**
   * `false` skips the CRC-32C of each snappy frame (default `true`), for a caller that checks
   * every output byte another way: `decodeObject` compares the object's BLAKE2b-128 after, and
   * the frames' CRCs cost it a sixth of its CPU.
   */
  verifyChecksums?: boolean
}

function checkCompression(compression: unknown): asserts compression is Compression {
  if (!COMPRESSIONS.includes(compression as Compression)) {
    throw new CompressionError(
      'ERR_COMPRESSION_ARGUMENT',
      `\`compression\` must be 'snappy', 'zstd' or 'none', got ${typeof compression === 'string' ? JSON.stringify(compression) : typeof compression}`,
    )
  }
}

function checkData(data: unknown, title: string): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) {
    throw new CompressionError('ERR_COMPRESSION_ARGUMENT', `\`${title}\` must be a Uint8Array`)
  }
}

/**
 * `data` compressed with `compression`. Asynchronous only because the zstd engine is
 * WebAssembly, instantiated on first use; `none` returns `data` itself.
 */
export async function compress(
  data: Uint8Array,
  compression: Compression,
  options: CompressOptions = {},
): Promise<Uint8Array> {
  checkData(data, 'data')
  checkCompression(compression)
  if (compression === 'none') return data
  if (compression === 'snappy') return snappyFrameCompress(data, options.into)
  await loadZstd()
  return zstdCompressLoaded(data)
}

/**
 * The bytes `compressed` holds. Throws `ERR_DECOMPRESS`, saying what was wrong, for input that is
 * corrupt, truncated, not in the format, or that would produce more than `maxLength` bytes.
 */
export async function decompress(
  compressed: Uint8Array,
  compression: Compression,
  options: DecompressOptions = {},
): Promise<Uint8Array> {
  checkData(compressed, 'compressed')
  checkCompression(compression)
  const maxLength = options.maxLength ?? Number.MAX_SAFE_INTEGER
  if (!Number.isSafeInteger(maxLength) || maxLength < 0) {
    throw new CompressionError(
      'ERR_COMPRESSION_ARGUMENT',
      `\`maxLength\` must be a non-negative integer, got ${maxLength}`,
    )
  }
  if (compression === 'none') {
    if (compressed.length > maxLength) {
      throw new CompressionError(
        'ERR_DECOMPRESS',
        `none: ${compressed.length} bytes, more than the ${maxLength} allowed`,
      )
    }
    return compressed
  }
  if (compression === 'snappy') {
    return snappyFrameDecompress(compressed, maxLength, options.verifyChecksums ?? true)
  }
  await loadZstd()
  return zstdDecompressLoaded(compressed, maxLength)
}
