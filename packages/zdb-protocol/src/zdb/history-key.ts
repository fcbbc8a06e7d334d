/**
 * The 0-db HISTORY key: upstream `index_ekey_t` (libzdb/index.h), the exact position of a
 * previous version of a key, sent by zdbd/commands_history.c as the raw bytes of the packed
 * struct: `u32 indexid` (`fileid_t`) then `u32 offset`, little-endian.
 *
 * The server fills it from the entry's `parentid` / `parentoff`. An all-zero key marks the end
 * of the chain: upstream replies `$-1` in its place, and answers `-No more history` if a client
 * sends it back.
 * @module
 */
import { ZdbFormatError } from './errors.js'

/** Byte length of a HISTORY key; upstream answers `-Invalid arguments` to any other length. */
export const HISTORY_KEY_LENGTH = 8

/** Where the previous version of a key lives in the index. */
export interface HistoryKey {
  /** Id of the index file holding that version (`i<N>`), u32. */
  readonly indexFileId: number
  /** Byte offset of that version's entry in its index file, u32. */
  readonly indexOffset: number
}

const U32_MAX = 0xffff_ffff

/** The 8 bytes of a HISTORY key. */
export function encodeHistoryKey(key: HistoryKey): Buffer {
  const out = Buffer.allocUnsafe(HISTORY_KEY_LENGTH)
  out.writeUInt32LE(checkU32(key.indexFileId, 'indexFileId'), 0)
  out.writeUInt32LE(checkU32(key.indexOffset, 'indexOffset'), 4)
  return out
}

/** The position held by an 8-byte HISTORY key. */
export function decodeHistoryKey(bytes: Uint8Array): HistoryKey {
  if (bytes.byteLength !== HISTORY_KEY_LENGTH) {
    throw new ZdbFormatError(
      `history key must be ${HISTORY_KEY_LENGTH} bytes, got ${bytes.byteLength}`,
      'key',
    )
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return { indexFileId: view.getUint32(0, true), indexOffset: view.getUint32(4, true) }
}

function checkU32(value: number, field: keyof HistoryKey): number {
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw new ZdbFormatError(
      `history key ${field} must be an integer in 0..${U32_MAX}, got ${String(value)}`,
      field,
    )
  }
  return value
}
