/**
 * The 0-db SCAN / RSCAN / KEYCUR cursor: upstream `index_bkey_t` (libzdb/index.h), filled by
 * `index_item_serialize` / `index_entry_serialize` and checked by `index_entry_deserialize`
 * (libzdb/index.c), sent by zdbd/commands_scan.c as the raw bytes of the packed struct:
 *
 * | offset | size | field                       | upstream    |
 * |-------:|-----:|-----------------------------|-------------|
 * |      0 |    1 | key length                  | `idlength`  |
 * |      1 |    4 | index file id               | `fileid`    |
 * |      5 |    4 | value (payload) length      | `length`    |
 * |      9 |    4 | offset of the index entry   | `idxoffset` |
 * |     13 |    4 | CRC-32C of the value        | `crc`       |
 *
 * All little-endian. `fileid` is `fileid_t`, a `uint32_t` since v2 (a `uint16_t` in v1, which
 * made the cursor 15 bytes).
 * @module
 */
import { ZdbFormatError } from './errors.js'

/** Byte length of a cursor; upstream answers `-Invalid key format` to any other length. */
export const SCAN_CURSOR_LENGTH = 17

/** The fields of a SCAN cursor. Every one is an unsigned integer. */
export interface ScanCursor {
  /** Length of the entry's key, 0..255. */
  readonly idLength: number
  /** Id of the index file holding the entry (`i<N>`), u32. */
  readonly indexFileId: number
  /** Length of the entry's value, u32. */
  readonly valueLength: number
  /** Byte offset of the entry in its index file, u32. */
  readonly indexOffset: number
  /**
   * The entry's value CRC (upstream `index_item_t.crc`: CRC-32C of the payload, init 0, no
   * final XOR), u32. Upstream never uses it to locate the entry: together with `valueLength`
   * it only proves the cursor was issued by the server, so a forged offset is refused.
   */
  readonly crc: number
}

const U8_MAX = 0xff
const U32_MAX = 0xffff_ffff

/** The 17 bytes of a cursor. */
export function encodeScanCursor(cursor: ScanCursor): Buffer {
  const out = Buffer.allocUnsafe(SCAN_CURSOR_LENGTH)
  out.writeUInt8(checkUint(cursor.idLength, U8_MAX, 'idLength'), 0)
  out.writeUInt32LE(checkUint(cursor.indexFileId, U32_MAX, 'indexFileId'), 1)
  out.writeUInt32LE(checkUint(cursor.valueLength, U32_MAX, 'valueLength'), 5)
  out.writeUInt32LE(checkUint(cursor.indexOffset, U32_MAX, 'indexOffset'), 9)
  out.writeUInt32LE(checkUint(cursor.crc, U32_MAX, 'crc'), 13)
  return out
}

/** The fields of a 17-byte cursor, as received from SCAN, RSCAN or KEYCUR. */
export function decodeScanCursor(bytes: Uint8Array): ScanCursor {
  if (bytes.byteLength !== SCAN_CURSOR_LENGTH) {
    throw new ZdbFormatError(
      `scan cursor must be ${SCAN_CURSOR_LENGTH} bytes, got ${bytes.byteLength}`,
      'cursor',
    )
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return {
    idLength: view.getUint8(0),
    indexFileId: view.getUint32(1, true),
    valueLength: view.getUint32(5, true),
    indexOffset: view.getUint32(9, true),
    crc: view.getUint32(13, true),
  }
}

function checkUint(value: number, max: number, field: keyof ScanCursor): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ZdbFormatError(
      `scan cursor ${field} must be an integer in 0..${max}, got ${String(value)}`,
      field,
    )
  }
  return value
}
