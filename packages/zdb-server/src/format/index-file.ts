/**
 * 0-db index files `<index>/<ns>/i<N>` (spec zdb.md §2): a 29-byte header, then packed
 * little-endian entries of 34 bytes + key, appended in write order. The only in-place edit
 * upstream ever makes is the `flags` byte of an entry (overwrite or DEL).
 * @module
 */
import { ZdbFormatError } from '../errors.js'
import { putU32 } from './bytes.js'

export const INDEX_MAGIC = 'IDX0'
export const INDEX_VERSION = 4
export const INDEX_HEADER_SIZE = 29
export const INDEX_ENTRY_SIZE = 34
/** Byte offset of `flags` inside an entry, the byte rewritten in place. */
export const INDEX_FLAGS_OFFSET = 13
export const INDEX_FLAG_DELETED = 1

/** Index mode stored in the header; `i0`'s mode is the namespace's persisted mode. */
export const INDEX_MODE_USER = 0
export const INDEX_MODE_SEQ = 1

/** Key length in a sequential-mode namespace: the id as a little-endian u64 (v1 used 4). */
export const SEQ_KEY_SIZE = 8
/** Every entry of a sequential-mode index file has this size: 34 + 8 (spec §2, "Startup"). */
export const SEQ_ENTRY_SIZE = INDEX_ENTRY_SIZE + SEQ_KEY_SIZE

/** Offset of the `rel`-th entry of a sequential-mode index file: `29 + rel * 42`. */
export function seqSlotOffset(rel: number): number {
  return INDEX_HEADER_SIZE + rel * SEQ_ENTRY_SIZE
}

export interface IndexHeader {
  fileId: number
  mode: number
}

/** One index entry as stored (spec §2, "Index entry, 34 bytes + key"). */
export interface IndexEntry {
  key: Buffer
  /** Offset of the data entry inside data file `dataId`. */
  dataOffset: number
  /** Payload length. */
  length: number
  /** Offset of the previous index entry (may be in the previous file). */
  previous: number
  flags: number
  dataId: number
  timestamp: number
  crc: number
  parentId: number
  parentOffset: number
}

/** `"IDX0", u32 4, u64 0, u64 0, u32 fileid, u8 mode`. */
export function encodeIndexHeader(header: IndexHeader): Buffer {
  const buf = Buffer.alloc(INDEX_HEADER_SIZE)
  buf.write(INDEX_MAGIC, 0, 'latin1')
  buf.writeUInt32LE(INDEX_VERSION, 4)
  buf.writeUInt32LE(header.fileId, 24)
  buf.writeUInt8(header.mode, 28)
  return buf
}

/** Parses and validates a header; `where` names the file in the error. */
export function decodeIndexHeader(buf: Uint8Array, where: string): IndexHeader {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  if (b.length < INDEX_HEADER_SIZE) {
    throw new ZdbFormatError(`${where}: index header is ${b.length} bytes, expected ${INDEX_HEADER_SIZE}`)
  }
  if (b.toString('latin1', 0, 4) !== INDEX_MAGIC) {
    throw new ZdbFormatError(`${where}: not a 0-db v2 index file (magic is not "IDX0")`)
  }
  const version = b.readUInt32LE(4)
  if (version !== INDEX_VERSION) {
    throw new ZdbFormatError(
      `${where}: index version ${version} is not supported (expected ${INDEX_VERSION})`,
    )
  }
  return { fileId: b.readUInt32LE(24), mode: b.readUInt8(28) }
}

/** Encodes an entry, key included. */
export function encodeIndexEntry(entry: IndexEntry): Buffer {
  return encodeIndexEntryWith(entry, entry.previous)
}

/**
 * {@link encodeIndexEntry} with `previous` given apart, as appends learn it only when they
 * happen.
 */
export function encodeIndexEntryWith(entry: Omit<IndexEntry, 'previous'>, previous: number): Buffer {
  const buf = Buffer.allocUnsafe(INDEX_ENTRY_SIZE + entry.key.length)
  writeIndexEntry(buf, 0, entry, previous)
  return buf
}

/** {@link encodeIndexEntryWith} into `buf` at `at`, which has room for 34 + key bytes. */
export function writeIndexEntry(
  buf: Buffer,
  at: number,
  entry: Omit<IndexEntry, 'previous'>,
  previous: number,
): void {
  buf[at] = entry.key.length
  putU32(buf, at + 1, entry.dataOffset)
  putU32(buf, at + 5, entry.length)
  putU32(buf, at + 9, previous)
  buf[at + 13] = entry.flags
  putU32(buf, at + 14, entry.dataId)
  putU32(buf, at + 18, entry.timestamp)
  putU32(buf, at + 22, entry.crc)
  putU32(buf, at + 26, entry.parentId)
  putU32(buf, at + 30, entry.parentOffset)
  entry.key.copy(buf, at + INDEX_ENTRY_SIZE)
}

/**
 * Decodes the entry at `offset`, or returns `null` when fewer bytes than the entry needs are
 * left (a torn tail). The key is a view into `buf`: copy it to keep it without the buffer.
 */
export function decodeIndexEntry(buf: Buffer, offset: number): IndexEntry | null {
  if (buf.length - offset < INDEX_ENTRY_SIZE) return null
  const idlen = buf.readUInt8(offset)
  if (buf.length - offset < INDEX_ENTRY_SIZE + idlen) return null
  return {
    key: buf.subarray(offset + INDEX_ENTRY_SIZE, offset + INDEX_ENTRY_SIZE + idlen),
    dataOffset: buf.readUInt32LE(offset + 1),
    length: buf.readUInt32LE(offset + 5),
    previous: buf.readUInt32LE(offset + 9),
    flags: buf.readUInt8(offset + 13),
    dataId: buf.readUInt32LE(offset + 14),
    timestamp: buf.readUInt32LE(offset + 18),
    crc: buf.readUInt32LE(offset + 22),
    parentId: buf.readUInt32LE(offset + 26),
    parentOffset: buf.readUInt32LE(offset + 30),
  }
}

/** Size on disk of an entry with a key of `keyLength` bytes. */
export function indexEntrySize(keyLength: number): number {
  return INDEX_ENTRY_SIZE + keyLength
}
