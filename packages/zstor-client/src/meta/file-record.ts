/**
 * What the metadata store holds per stored path. Ours, a *file record*, lists the objects a
 * file was cut into (streaming with bounded memory: upstream stores a file as one object, spec
 * zstor.md §2) and the BLAKE2b-128 of the whole file, which `check` prints as upstream does.
 * Records written by upstream 0-stor are bincode `MetaData` (spec §3) and are read as such.
 *
 * File record, version 1, little-endian:
 * ```
 * "QSFF" | version u8 = 1 | size u64 | checksum [16] | objectSize u32 | storedAt u64 (ms)
 * | pathLength u16 | path (UTF-8, relative to root) | count u32 | count × (length u32 | QSFM record)
 * ```
 * Objects are in stream order; the last one is the stream's last. The record travels sealed
 * (AES-256-GCM, see meta-envelope.ts), so it needs no checksum of its own.
 * @module
 */
import {
  decodeMetadata,
  decodeUpstreamMetadata,
  encodeMetadata,
  type Metadata,
  type UpstreamMetadata,
} from '@qsfs/zstor-codec'
import { MetaStoreError } from '../errors.js'

const MAGIC = Buffer.from('QSFF', 'latin1')
const VERSION = 1

/** A file stored by this client. */
export interface FileRecord {
  readonly kind: 'qsfs'
  /** The stored path, cleaned and relative to `root` (what the metadata key hashes). */
  readonly path: string
  readonly size: number
  /** BLAKE2b-128 of the whole file (`b2sum -l 128`). */
  readonly checksum: Uint8Array
  /** Input bytes per object; every object but the last holds exactly this many. */
  readonly objectSize: number
  /** Milliseconds since the epoch when the store finished. */
  readonly storedAt: number
  readonly objects: readonly Metadata[]
}

/** A file stored by upstream 0-stor: one object, sizes unknown until it is read. */
export interface UpstreamRecord {
  readonly kind: 'upstream'
  readonly meta: UpstreamMetadata
}

export type StoredRecord = FileRecord | UpstreamRecord

export function encodeFileRecord(record: FileRecord): Buffer {
  const path = Buffer.from(record.path, 'utf8')
  const objects = record.objects.map((o) => Buffer.from(encodeMetadata(o)))
  const head = Buffer.alloc(4 + 1 + 8 + 16 + 4 + 8 + 2)
  let at = MAGIC.copy(head, 0)
  at = head.writeUInt8(VERSION, at)
  head.writeBigUInt64LE(BigInt(record.size), at)
  at += 8
  at += Buffer.from(record.checksum).copy(head, at)
  at = head.writeUInt32LE(record.objectSize, at)
  head.writeBigUInt64LE(BigInt(record.storedAt), at)
  at += 8
  head.writeUInt16LE(path.length, at)
  const count = Buffer.alloc(4)
  count.writeUInt32LE(objects.length)
  const parts: Buffer[] = [head, path, count]
  for (const o of objects) {
    const length = Buffer.alloc(4)
    length.writeUInt32LE(o.length)
    parts.push(length, o)
  }
  return Buffer.concat(parts)
}

function corrupt(what: string): MetaStoreError {
  return new MetaStoreError('ERR_META_CORRUPT', `metadata record: ${what}`)
}

/** Reads a record of either kind. Throws `MetaStoreError` `ERR_META_CORRUPT` on bad bytes. */
export function decodeRecord(bytes: Uint8Array): StoredRecord {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC)) {
    try {
      return { kind: 'upstream', meta: decodeUpstreamMetadata(buf) }
    } catch (error) {
      throw corrupt(`neither a QSFS file record nor an upstream 0-stor record (${(error as Error).message})`)
    }
  }
  try {
    let at = 4
    const version = buf.readUInt8(at++)
    if (version !== VERSION)
      throw corrupt(`version ${version} is newer than this client reads (1); upgrade it`)
    const size = Number(buf.readBigUInt64LE(at))
    at += 8
    const checksum = Uint8Array.prototype.slice.call(buf, at, at + 16)
    at += 16
    const objectSize = buf.readUInt32LE(at)
    at += 4
    const storedAt = Number(buf.readBigUInt64LE(at))
    at += 8
    const pathLength = buf.readUInt16LE(at)
    at += 2
    if (at + pathLength > buf.length) throw corrupt('truncated path')
    const path = buf.toString('utf8', at, at + pathLength)
    at += pathLength
    const count = buf.readUInt32LE(at)
    at += 4
    const objects: Metadata[] = []
    for (let i = 0; i < count; i++) {
      const length = buf.readUInt32LE(at)
      at += 4
      if (at + length > buf.length) throw corrupt(`object ${i} is truncated`)
      objects.push(decodeMetadata(buf.subarray(at, at + length)))
      at += length
    }
    if (at !== buf.length) throw corrupt(`${buf.length - at} bytes after the last object`)
    if (count === 0) throw corrupt('no objects')
    return { kind: 'qsfs', path, size, checksum, objectSize, storedAt, objects }
  } catch (error) {
    if (error instanceof MetaStoreError) throw error
    throw corrupt((error as Error).message)
  }
}
