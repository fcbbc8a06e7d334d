/**
 * The snappy framing format (google/snappy `framing_format.txt`), as upstream 0-stor compresses
 * objects with the Rust `snap` crate's `write::FrameEncoder` and reads them with
 * `read::FrameDecoder` (spec zstor.md §2 step 2). A stream is the stream-identifier chunk
 * `ff 06 00 00 "sNaPpY"`, then chunks of `type(1) || length(3, LE) || body`. Data chunks carry
 * at most 64 KiB of data, and their body starts with the masked CRC-32C (LE) of the
 * uncompressed bytes: type 0x00 holds a raw snappy block, 0x01 the bytes themselves.
 *
 * Encoding follows `snap` 1.1: nothing at all for empty input, 64 KiB chunks, and a chunk is
 * stored uncompressed when its snappy block saves less than an eighth. The snappy block
 * compressor differs from `snap`'s, so compressed bytes differ; every decoder reads both.
 *
 * Unlike `snap`, a run of incompressible chunks (already compressed or encrypted data, the
 * common case for ledger segments) is not compressed over and over: after `n` incompressible
 * chunks in a row, the next `min(2^(n-1), 8)` are stored without trying, then one is tried
 * again. Compressing random data costs most of the pipeline's time otherwise; the output is
 * the same format, only with more uncompressed chunks.
 * @module
 */
import { maskedCrc32c } from './crc32c.js'
import { CompressionError } from './errors.js'
import { compressBlock, decompressBlock } from './snappy-block.js'

/** Most uncompressed bytes in one data chunk (framing format §4.2, §4.3). */
export const SNAPPY_MAX_CHUNK = 65536

const STREAM_IDENTIFIER = Uint8Array.of(0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59)
/** Most chunks stored without a compression attempt after a run of incompressible ones. */
const MAX_SKIP = 8
const CHUNK_COMPRESSED = 0x00
const CHUNK_UNCOMPRESSED = 0x01
const CHUNK_STREAM = 0xff
/** Chunk types 0x02..0x7f are reserved and unskippable; 0x80..0xfe (0xfe: padding) are skipped. */
const FIRST_SKIPPABLE = 0x80

/** The most bytes {@link snappyFrameCompress} writes for `length` bytes of data. */
export function snappyFrameBound(length: number): number {
  // A chunk is never longer than its data plus the 8-byte header and CRC.
  return length === 0 ? 0 : STREAM_IDENTIFIER.length + Math.ceil(length / SNAPPY_MAX_CHUNK) * 8 + length
}

/**
 * `data` in the snappy framing format, written into `into` when it holds
 * {@link snappyFrameBound} bytes (the result is then a view of it). Empty input gives empty
 * output, as `snap` writes it.
 */
export function snappyFrameCompress(data: Uint8Array, into?: Uint8Array): Uint8Array {
  if (data.length === 0) return new Uint8Array(0)
  const bound = snappyFrameBound(data.length)
  const out = into && into.length >= bound ? into : new Uint8Array(bound)
  out.set(STREAM_IDENTIFIER, 0)
  let at = STREAM_IDENTIFIER.length
  let misses = 0
  let skip = 0
  for (let from = 0; from < data.length; from += SNAPPY_MAX_CHUNK) {
    const src = data.subarray(from, Math.min(data.length, from + SNAPPY_MAX_CHUNK))
    const crc = maskedCrc32c(src)
    let compressed = false
    let block = src
    if (skip > 0) skip--
    else {
      block = compressBlock(src)
      compressed = block.length < src.length - Math.floor(src.length / 8)
      if (compressed) misses = 0
      else {
        misses++
        skip = Math.min(2 ** (misses - 1), MAX_SKIP)
      }
    }
    const body = compressed ? block : src
    const length = 4 + body.length
    out[at] = compressed ? CHUNK_COMPRESSED : CHUNK_UNCOMPRESSED
    out[at + 1] = length & 0xff
    out[at + 2] = (length >>> 8) & 0xff
    out[at + 3] = length >>> 16
    out[at + 4] = crc & 0xff
    out[at + 5] = (crc >>> 8) & 0xff
    out[at + 6] = (crc >>> 16) & 0xff
    out[at + 7] = crc >>> 24
    out.set(body, at + 8)
    at += 8 + body.length
  }
  return out.subarray(0, at)
}

function corrupt(what: string): CompressionError {
  return new CompressionError('ERR_DECOMPRESS', `snappy frame: ${what}`)
}

/**
 * The bytes of a snappy-framed stream, checking every chunk's CRC unless `verifyCrc` is false.
 * Empty input is an empty stream (what `snap` writes for empty data). Throws `ERR_DECOMPRESS`,
 * naming the chunk and byte offset at fault, for a missing or wrong stream identifier, a reserved
 * chunk type, a truncated chunk, a chunk over 64 KiB, a corrupt snappy block, a CRC mismatch, or
 * more than `maxLength` bytes of output.
 */
export function snappyFrameDecompress(
  framed: Uint8Array,
  maxLength = Number.MAX_SAFE_INTEGER,
  verifyCrc = true,
): Uint8Array {
  const parts: Uint8Array[] = []
  let total = 0
  let pos = 0
  let index = 0
  while (pos < framed.length) {
    if (framed.length - pos < 4)
      throw corrupt(`chunk ${index} at byte ${pos}: the 4-byte header is truncated`)
    const type = framed[pos]!
    const length = framed[pos + 1]! | (framed[pos + 2]! << 8) | (framed[pos + 3]! << 16)
    const at = pos
    pos += 4
    if (length > framed.length - pos) {
      throw corrupt(`chunk ${index} at byte ${at} states ${length} bytes, only ${framed.length - pos} remain`)
    }
    const body = framed.subarray(pos, pos + length)
    pos += length
    if (index === 0 && type !== CHUNK_STREAM) {
      throw corrupt(`the stream does not start with the stream identifier (chunk type 0x${hex2(type)})`)
    }
    index++
    if (type === CHUNK_STREAM) {
      if (length !== 6 || !STREAM_IDENTIFIER.subarray(4).every((b, i) => body[i] === b)) {
        throw corrupt(`the stream identifier at byte ${at} is not "sNaPpY"`)
      }
      continue
    }
    if (type === CHUNK_COMPRESSED || type === CHUNK_UNCOMPRESSED) {
      if (length < 4) throw corrupt(`data chunk at byte ${at} is ${length} bytes, too short for its CRC`)
      const crc = (body[0]! | (body[1]! << 8) | (body[2]! << 16) | (body[3]! << 24)) >>> 0
      let data: Uint8Array
      if (type === CHUNK_COMPRESSED) {
        try {
          data = decompressBlock(body.subarray(4), Math.min(SNAPPY_MAX_CHUNK, maxLength - total))
        } catch (error) {
          if (error instanceof CompressionError) {
            throw corrupt(`compressed chunk at byte ${at}: ${error.message.replace(/^ERR_DECOMPRESS: /, '')}`)
          }
          throw error
        }
      } else {
        data = body.subarray(4)
        if (data.length > SNAPPY_MAX_CHUNK) {
          throw corrupt(`uncompressed chunk at byte ${at} holds ${data.length} bytes, over the 65536 allowed`)
        }
        if (data.length > maxLength - total) throw corrupt(`the output passes the ${maxLength} bytes allowed`)
      }
      const actual = verifyCrc ? maskedCrc32c(data) : crc
      if (actual !== crc) {
        throw corrupt(
          `CRC mismatch in the chunk at byte ${at}: stored 0x${crc.toString(16)}, data gives 0x${actual.toString(16)}`,
        )
      }
      parts.push(data)
      total += data.length
      continue
    }
    if (type < FIRST_SKIPPABLE) {
      throw corrupt(`chunk at byte ${at} has the reserved unskippable type 0x${hex2(type)}`)
    }
  }
  if (parts.length === 1 && parts[0]!.buffer !== framed.buffer) return parts[0]!
  const out = new Uint8Array(total)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

const hex2 = (b: number) => b.toString(16).padStart(2, '0')
