/**
 * The raw snappy block format (google/snappy `format_description.txt`): a varint of the
 * uncompressed length, then literal and copy elements. Compression is `snappyjs` (pure
 * JavaScript, a port of the reference compressor). Decompression is ours: `snappyjs`'s decoder
 * neither bounds its output nor rejects every malformed element, and this one must turn any
 * input into either the exact bytes or an `ERR_DECOMPRESS` saying what was wrong.
 * @module
 */
/// <reference path="./types/snappyjs.d.ts" />
import { compress } from 'snappyjs'
import { CompressionError } from './errors.js'

/** The raw snappy block of `data`. */
export function compressBlock(data: Uint8Array): Uint8Array {
  return compress(data)
}

function corrupt(what: string): CompressionError {
  return new CompressionError('ERR_DECOMPRESS', `snappy block: ${what}`)
}

/**
 * The bytes of the raw snappy block `block`, which must say it holds at most `maxLength` bytes
 * and decode to exactly the length it states.
 */
export function decompressBlock(block: Uint8Array, maxLength: number): Uint8Array {
  const end = block.length
  let pos = 0
  let length = 0
  for (let shift = 0; ; shift += 7) {
    if (pos >= end) throw corrupt('the length header is truncated')
    if (shift > 28) throw corrupt('the length header is longer than 5 bytes')
    const b = block[pos++]!
    length += (b & 0x7f) * 2 ** shift
    if (b < 0x80) break
  }
  if (length > maxLength) throw corrupt(`it states ${length} bytes, more than the ${maxLength} allowed here`)
  const out = new Uint8Array(length)
  let op = 0
  while (pos < end) {
    const tag = block[pos++]!
    const kind = tag & 3
    if (kind === 0) {
      let len = tag >>> 2
      if (len >= 60) {
        const n = len - 59
        if (pos + n > end) throw corrupt(`a literal's ${n}-byte length runs past the end at byte ${pos}`)
        len = 0
        for (let i = 0; i < n; i++) len += block[pos + i]! * 2 ** (8 * i)
        pos += n
      }
      len += 1
      if (len > end - pos) throw corrupt(`a ${len}-byte literal at byte ${pos} runs past the end`)
      if (len > length - op) throw corrupt(`output passes the stated ${length} bytes at byte ${pos}`)
      if (len < 16) for (let i = 0; i < len; i++) out[op + i] = block[pos + i]!
      else out.set(block.subarray(pos, pos + len), op)
      pos += len
      op += len
      continue
    }
    let len: number
    let offset: number
    if (kind === 1) {
      if (pos >= end) throw corrupt(`a copy at byte ${pos - 1} is truncated`)
      len = ((tag >>> 2) & 7) + 4
      offset = ((tag >>> 5) << 8) | block[pos++]!
    } else if (kind === 2) {
      if (pos + 2 > end) throw corrupt(`a copy at byte ${pos - 1} is truncated`)
      len = (tag >>> 2) + 1
      offset = block[pos]! | (block[pos + 1]! << 8)
      pos += 2
    } else {
      if (pos + 4 > end) throw corrupt(`a copy at byte ${pos - 1} is truncated`)
      len = (tag >>> 2) + 1
      offset =
        (block[pos]! | (block[pos + 1]! << 8) | (block[pos + 2]! << 16) | (block[pos + 3]! << 24)) >>> 0
      pos += 4
    }
    if (offset === 0 || offset > op) {
      throw corrupt(`a copy at byte ${pos} reaches back ${offset} bytes with only ${op} written`)
    }
    if (len > length - op) throw corrupt(`output passes the stated ${length} bytes at byte ${pos}`)
    // Overlapping copies (offset < len) repeat the last `offset` bytes, so go byte by byte.
    if (offset < len || len < 16) for (let i = 0; i < len; i++) out[op + i] = out[op - offset + i]!
    else out.copyWithin(op, op - offset, op - offset + len)
    op += len
  }
  if (op !== length) throw corrupt(`it decodes to ${op} bytes but states ${length}: truncated`)
  return out
}
