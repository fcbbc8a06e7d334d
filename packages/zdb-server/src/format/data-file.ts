/**
 * 0-db data files `<data>/<ns>/d<N>` (spec zdb.md §2): a 28-byte header, then packed
 * little-endian entries of 18 bytes + key + payload. Data files are strictly append-only.
 * @module
 */
import { ZdbFormatError } from '../errors.js'
import { putU32 } from './bytes.js'

export const DATA_MAGIC = 'DAT0'
export const DATA_VERSION = 3
export const DATA_HEADER_SIZE = 28
export const DATA_ENTRY_SIZE = 18
export const DATA_FLAG_DELETED = 1
export const DATA_FLAG_TRUNCATED = 2

/** The fixed part of a data entry (spec §2, "Data entry, 18 bytes + key + payload"). */
export interface DataEntryHeader {
  keyLength: number
  /** Payload length (0 for a DEL marker). */
  dataLength: number
  /** Offset of the previous data entry. */
  previous: number
  /** CRC-32C of the payload (0 for a DEL marker). */
  crc: number
  flags: number
  timestamp: number
}

/** `"DAT0", u32 3, u64 0, u64 0, u32 fileid`. */
export function encodeDataHeader(fileId: number): Buffer {
  const buf = Buffer.alloc(DATA_HEADER_SIZE)
  buf.write(DATA_MAGIC, 0, 'latin1')
  buf.writeUInt32LE(DATA_VERSION, 4)
  buf.writeUInt32LE(fileId, 24)
  return buf
}

/** Validates a header and returns its file id; `where` names the file in the error. */
export function decodeDataHeader(buf: Uint8Array, where: string): number {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  if (b.length < DATA_HEADER_SIZE) {
    throw new ZdbFormatError(`${where}: data header is ${b.length} bytes, expected ${DATA_HEADER_SIZE}`)
  }
  if (b.toString('latin1', 0, 4) !== DATA_MAGIC) {
    throw new ZdbFormatError(`${where}: not a 0-db v2 data file (magic is not "DAT0")`)
  }
  const version = b.readUInt32LE(4)
  if (version !== DATA_VERSION) {
    throw new ZdbFormatError(`${where}: data version ${version} is not supported (expected ${DATA_VERSION})`)
  }
  return b.readUInt32LE(24)
}

/** Encodes the 18-byte fixed part followed by the key; the payload is written after it. */
export function encodeDataEntryHead(header: Omit<DataEntryHeader, 'keyLength'>, key: Buffer): Buffer {
  const buf = Buffer.allocUnsafe(DATA_ENTRY_SIZE + key.length)
  writeDataEntryHead(buf, 0, header, key)
  return buf
}

/** {@link encodeDataEntryHead} into `buf` at `at`, which has room for 18 + key bytes. */
export function writeDataEntryHead(
  buf: Buffer,
  at: number,
  header: Omit<DataEntryHeader, 'keyLength'>,
  key: Buffer,
): void {
  buf[at] = key.length
  putU32(buf, at + 1, header.dataLength)
  putU32(buf, at + 5, header.previous)
  putU32(buf, at + 9, header.crc)
  buf[at + 13] = header.flags
  putU32(buf, at + 14, header.timestamp)
  key.copy(buf, at + DATA_ENTRY_SIZE)
}

/** Decodes the fixed part at `offset`, or `null` if fewer than 18 bytes remain. */
export function decodeDataEntryHeader(buf: Buffer, offset = 0): DataEntryHeader | null {
  if (buf.length - offset < DATA_ENTRY_SIZE) return null
  return {
    keyLength: buf.readUInt8(offset),
    dataLength: buf.readUInt32LE(offset + 1),
    previous: buf.readUInt32LE(offset + 5),
    crc: buf.readUInt32LE(offset + 9),
    flags: buf.readUInt8(offset + 13),
    timestamp: buf.readUInt32LE(offset + 14),
  }
}

/** Size on disk of an entry. */
export function dataEntrySize(keyLength: number, dataLength: number): number {
  return DATA_ENTRY_SIZE + keyLength + dataLength
}
