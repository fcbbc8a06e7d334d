/**
 * Our extension of the 0-db-fs inode (spec zdbfs-and-glue.md §1 asks for additions "in a way
 * upstream ignores"). Upstream reads an inode's header and its fixed body (the block list of a
 * file, the 128 dirlist keys of a directory, the NUL-terminated target of a symlink) and never
 * looks at bytes after it, so the extension is a trailer after that body:
 *
 * ```
 * "ZDBFSX"  u16 record count  { u16 type, u32 length, length bytes }*
 * ```
 *
 * All integers little-endian. Records this version does not know are kept and written back
 * unchanged. Upstream drops the trailer when it rewrites an inode (it only serializes the fixed
 * body), so anything stored here is lost for that inode after upstream changes it; the fixed
 * body always stays valid on its own.
 * @module
 */
import { ZdbfsFormatError } from './errors.js'

export const EXTENSION_MAGIC = 'ZDBFSX'

/** Record types. */
export const EXT_OWNER = 1
export const EXT_TIMES_NS = 2
export const EXT_BLOCK_HIGH = 3
export const EXT_XATTRS = 4

export interface ExtensionRecord {
  readonly type: number
  readonly data: Buffer
}

const HEADER = 8
const RECORD_HEADER = 6

/** The trailer holding `records`; an empty buffer when there are none. */
export function encodeExtension(records: readonly ExtensionRecord[]): Buffer {
  if (records.length === 0) return Buffer.alloc(0)
  let length = HEADER
  for (const r of records) length += RECORD_HEADER + r.data.length
  const out = Buffer.allocUnsafe(length)
  out.write(EXTENSION_MAGIC, 0, 'latin1')
  out.writeUInt16LE(records.length, 6)
  let at = HEADER
  for (const r of records) {
    out.writeUInt16LE(r.type, at)
    out.writeUInt32LE(r.data.length, at + 2)
    r.data.copy(out, at + RECORD_HEADER)
    at += RECORD_HEADER + r.data.length
  }
  return out
}

/**
 * The records of the trailer starting at `offset`, or none when the bytes there do not start
 * with the magic (an upstream inode, or upstream's spare bytes). A trailer that starts with the
 * magic but is cut short throws {@link ZdbfsFormatError}.
 */
export function decodeExtension(bytes: Buffer, offset: number): ExtensionRecord[] {
  if (offset < 0 || bytes.length - offset < HEADER) return []
  if (bytes.toString('latin1', offset, offset + 6) !== EXTENSION_MAGIC) return []
  const count = bytes.readUInt16LE(offset + 6)
  const records: ExtensionRecord[] = []
  let at = offset + HEADER
  for (let i = 0; i < count; i++) {
    if (bytes.length - at < RECORD_HEADER) {
      throw new ZdbfsFormatError(`inode extension record ${i} of ${count} is cut short`)
    }
    const type = bytes.readUInt16LE(at)
    const length = bytes.readUInt32LE(at + 2)
    at += RECORD_HEADER
    if (bytes.length - at < length) {
      throw new ZdbfsFormatError(`inode extension record ${i} (type ${type}) is cut short`)
    }
    records.push({ type, data: Buffer.from(bytes.subarray(at, at + length)) })
    at += length
  }
  return records
}

/** Extended attributes as an {@link EXT_XATTRS} record: `u32 count { u16 len, name, u32 len, value }*`. */
export function encodeXattrs(xattrs: ReadonlyMap<string, Buffer>): Buffer {
  const parts: Buffer[] = []
  const count = Buffer.allocUnsafe(4)
  count.writeUInt32LE(xattrs.size)
  parts.push(count)
  for (const [name, value] of xattrs) {
    const nameBytes = Buffer.from(name, 'utf8')
    const head = Buffer.allocUnsafe(2)
    head.writeUInt16LE(nameBytes.length)
    const vlen = Buffer.allocUnsafe(4)
    vlen.writeUInt32LE(value.length)
    parts.push(head, nameBytes, vlen, value)
  }
  return Buffer.concat(parts)
}

export function decodeXattrs(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  if (data.length < 4) throw new ZdbfsFormatError('xattr record is cut short')
  const count = data.readUInt32LE(0)
  let at = 4
  for (let i = 0; i < count; i++) {
    if (data.length - at < 2) throw new ZdbfsFormatError('xattr record is cut short')
    const nlen = data.readUInt16LE(at)
    at += 2
    if (data.length - at < nlen + 4) throw new ZdbfsFormatError('xattr record is cut short')
    const name = data.toString('utf8', at, at + nlen)
    at += nlen
    const vlen = data.readUInt32LE(at)
    at += 4
    if (data.length - at < vlen) throw new ZdbfsFormatError('xattr record is cut short')
    out.set(name, Buffer.from(data.subarray(at, at + vlen)))
    at += vlen
  }
  return out
}
