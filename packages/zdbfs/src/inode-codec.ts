/**
 * The 0-db-fs inode, stored as one `zdbfs-meta` value (spec zdbfs-and-glue.md §1
 * "Serialization"). A 44-byte packed little-endian header
 * `{u32 mode, u64 ino, u32 dev, u16 uid, u16 gid, u64 size, u32 links, u32 atime, u32 mtime,
 * u32 ctime}` (times in seconds), then by type:
 * - directory: 128 × u64 dirlist keys, `0x4242424242424242` marking an unused list (1068 bytes);
 * - symlink: the target, a NUL and one spare byte, with `size` = strlen(target) + 1;
 * - anything else (regular file, FIFO, socket, device): `u64 n` and `u32 blockid[n]`, 0 = hole.
 *
 * Then, optionally, our trailer ({@link ./inode-extension.ts}) with full 32-bit owners,
 * sub-second times, the high words of block ids past 2^32 and extended attributes.
 * @module
 */
import { ZdbfsFormatError } from './errors.js'
import {
  decodeExtension,
  decodeXattrs,
  EXT_BLOCK_HIGH,
  EXT_OWNER,
  EXT_TIMES_NS,
  EXT_XATTRS,
  type ExtensionRecord,
  encodeExtension,
  encodeXattrs,
} from './inode-extension.js'
import { isDir, isSymlink } from './mode.js'

export const INODE_HEADER_LENGTH = 44
/** Lists per directory; an entry lives in list `byteSum(name) % DIRLIST_COUNT`. */
export const DIRLIST_COUNT = 128
/** Byte length of a directory inode without extension. */
export const DIR_INODE_LENGTH = INODE_HEADER_LENGTH + DIRLIST_COUNT * 8
/** Marks an unused dirlist slot (upstream fills its buffers with 0x42). */
export const UNUSED_DIRLIST = 0x4242424242424242n

const U32_MAX = 0xffffffff
const U16_MAX = 0xffff

/** One decoded inode. Times are milliseconds since the epoch. */
export interface Inode {
  mode: number
  /** Device number of a character or block device (upstream's `dev`). */
  dev: number
  uid: number
  gid: number
  /** Bytes of a file, Σ(11 + name length) of a directory, strlen(target) of a symlink. */
  size: number
  links: number
  atime: number
  mtime: number
  ctime: number
  /** Block ids of a non-directory, non-symlink inode; 0 is a hole. */
  blocks: number[]
  /** Dirlist keys of a directory, 0 for an unused list; always {@link DIRLIST_COUNT} long. */
  dirlists: number[]
  /** Symlink target bytes. */
  target: Buffer
  xattrs: Map<string, Buffer>
  /** Extension records of a later version, written back unchanged. */
  unknown: ExtensionRecord[]
  /** The `ino` header field as read: upstream keeps a cache flag there; we write 0. */
  rawIno: bigint
}

/** A blank inode of `mode`; times default to now. */
export function newInode(mode: number, now = Date.now()): Inode {
  return {
    mode,
    dev: 0,
    uid: 0,
    gid: 0,
    size: 0,
    links: 1,
    atime: now,
    mtime: now,
    ctime: now,
    blocks: [],
    dirlists: isDir(mode) ? new Array<number>(DIRLIST_COUNT).fill(0) : [],
    target: Buffer.alloc(0),
    xattrs: new Map(),
    unknown: [],
    rawIno: 0n,
  }
}

const seconds = (ms: number): number => Math.min(U32_MAX, Math.max(0, Math.floor(ms / 1000)))
const nanos = (ms: number): number => {
  if (ms < 0 || Math.floor(ms / 1000) > U32_MAX) return 0
  return Math.round((ms - Math.floor(ms / 1000) * 1000) * 1e6)
}

function writeHeader(out: Buffer, inode: Inode, size: number): void {
  out.writeUInt32LE(inode.mode >>> 0, 0)
  out.writeBigUInt64LE(0n, 4)
  out.writeUInt32LE(inode.dev >>> 0, 12)
  out.writeUInt16LE(inode.uid & U16_MAX, 16)
  out.writeUInt16LE(inode.gid & U16_MAX, 18)
  out.writeBigUInt64LE(BigInt(size), 20)
  out.writeUInt32LE(Math.min(U32_MAX, inode.links), 28)
  out.writeUInt32LE(seconds(inode.atime), 32)
  out.writeUInt32LE(seconds(inode.mtime), 36)
  out.writeUInt32LE(seconds(inode.ctime), 40)
}

function extensionRecords(inode: Inode): ExtensionRecord[] {
  const records: ExtensionRecord[] = []
  if (inode.uid > U16_MAX || inode.gid > U16_MAX) {
    const data = Buffer.allocUnsafe(8)
    data.writeUInt32LE(inode.uid >>> 0, 0)
    data.writeUInt32LE(inode.gid >>> 0, 4)
    records.push({ type: EXT_OWNER, data })
  }
  const ns = [nanos(inode.atime), nanos(inode.mtime), nanos(inode.ctime)]
  if (ns.some((n) => n !== 0)) {
    const data = Buffer.allocUnsafe(12)
    ns.forEach((n, i) => {
      data.writeUInt32LE(n, i * 4)
    })
    records.push({ type: EXT_TIMES_NS, data })
  }
  if (!isDir(inode.mode) && !isSymlink(inode.mode) && inode.blocks.some((b) => b > U32_MAX)) {
    const data = Buffer.allocUnsafe(inode.blocks.length * 4)
    inode.blocks.forEach((b, i) => {
      data.writeUInt32LE(Math.floor(b / 2 ** 32), i * 4)
    })
    records.push({ type: EXT_BLOCK_HIGH, data })
  }
  if (inode.xattrs.size > 0) records.push({ type: EXT_XATTRS, data: encodeXattrs(inode.xattrs) })
  records.push(...inode.unknown)
  return records
}

/** The `zdbfs-meta` value of `inode`. */
export function encodeInode(inode: Inode): Buffer {
  const ext = encodeExtension(extensionRecords(inode))
  if (isDir(inode.mode)) {
    if (inode.dirlists.length !== DIRLIST_COUNT) {
      throw new ZdbfsFormatError(`a directory has ${DIRLIST_COUNT} dirlists, got ${inode.dirlists.length}`)
    }
    const out = Buffer.alloc(DIR_INODE_LENGTH + ext.length)
    writeHeader(out, inode, inode.size)
    for (let i = 0; i < DIRLIST_COUNT; i++) {
      const key = inode.dirlists[i]!
      out.writeBigUInt64LE(key === 0 ? UNUSED_DIRLIST : BigInt(key), INODE_HEADER_LENGTH + i * 8)
    }
    ext.copy(out, DIR_INODE_LENGTH)
    return out
  }
  if (isSymlink(inode.mode)) {
    const t = inode.target
    // Upstream: size = strlen + 1, the NUL is part of the copied target, then one spare byte.
    const out = Buffer.alloc(INODE_HEADER_LENGTH + t.length + 2 + ext.length)
    writeHeader(out, inode, t.length + 1)
    t.copy(out, INODE_HEADER_LENGTH)
    ext.copy(out, INODE_HEADER_LENGTH + t.length + 2)
    return out
  }
  const n = inode.blocks.length
  const body = INODE_HEADER_LENGTH + 8 + n * 4
  const out = Buffer.alloc(body + ext.length)
  writeHeader(out, inode, inode.size)
  out.writeBigUInt64LE(BigInt(n), INODE_HEADER_LENGTH)
  for (let i = 0; i < n; i++) out.writeUInt32LE(inode.blocks[i]! % 2 ** 32, INODE_HEADER_LENGTH + 8 + i * 4)
  ext.copy(out, body)
  return out
}

/** Decodes a `zdbfs-meta` inode value; throws {@link ZdbfsFormatError} when it is malformed. */
export function decodeInode(value: Uint8Array): Inode {
  const b = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (b.length < INODE_HEADER_LENGTH) {
    throw new ZdbfsFormatError(`an inode is at least ${INODE_HEADER_LENGTH} bytes, got ${b.length}`)
  }
  const mode = b.readUInt32LE(0)
  const inode = newInode(mode, 0)
  inode.rawIno = b.readBigUInt64LE(4)
  inode.dev = b.readUInt32LE(12)
  inode.uid = b.readUInt16LE(16)
  inode.gid = b.readUInt16LE(18)
  inode.size = Number(b.readBigUInt64LE(20))
  inode.links = b.readUInt32LE(28)
  inode.atime = b.readUInt32LE(32) * 1000
  inode.mtime = b.readUInt32LE(36) * 1000
  inode.ctime = b.readUInt32LE(40) * 1000
  let extAt: number
  if (isDir(mode)) {
    if (b.length < DIR_INODE_LENGTH) {
      throw new ZdbfsFormatError(`a directory inode is at least ${DIR_INODE_LENGTH} bytes, got ${b.length}`)
    }
    for (let i = 0; i < DIRLIST_COUNT; i++) {
      const key = b.readBigUInt64LE(INODE_HEADER_LENGTH + i * 8)
      inode.dirlists[i] = key === UNUSED_DIRLIST ? 0 : Number(key)
    }
    extAt = DIR_INODE_LENGTH
  } else if (isSymlink(mode)) {
    const nul = b.indexOf(0, INODE_HEADER_LENGTH)
    const end = nul === -1 ? b.length : nul
    inode.target = Buffer.from(b.subarray(INODE_HEADER_LENGTH, end))
    inode.size = inode.target.length
    extAt = nul === -1 ? b.length : nul + 2
  } else {
    let n = 0
    if (b.length >= INODE_HEADER_LENGTH + 8) n = Number(b.readBigUInt64LE(INODE_HEADER_LENGTH))
    if (b.length < INODE_HEADER_LENGTH + 8 + n * 4) {
      throw new ZdbfsFormatError(`a file inode lists ${n} blocks but holds ${b.length} bytes`)
    }
    inode.blocks = new Array<number>(n)
    for (let i = 0; i < n; i++) inode.blocks[i] = b.readUInt32LE(INODE_HEADER_LENGTH + 8 + i * 4)
    extAt = INODE_HEADER_LENGTH + 8 + n * 4
  }
  for (const record of decodeExtension(b, extAt)) applyRecord(inode, record)
  return inode
}

function applyRecord(inode: Inode, record: ExtensionRecord): void {
  const d = record.data
  switch (record.type) {
    case EXT_OWNER:
      if (d.length < 8) throw new ZdbfsFormatError('owner record is cut short')
      inode.uid = d.readUInt32LE(0)
      inode.gid = d.readUInt32LE(4)
      return
    case EXT_TIMES_NS:
      if (d.length < 12) throw new ZdbfsFormatError('times record is cut short')
      inode.atime += d.readUInt32LE(0) / 1e6
      inode.mtime += d.readUInt32LE(4) / 1e6
      inode.ctime += d.readUInt32LE(8) / 1e6
      return
    case EXT_BLOCK_HIGH:
      if (d.length !== inode.blocks.length * 4) {
        throw new ZdbfsFormatError(
          `block-high record holds ${d.length / 4} words for ${inode.blocks.length} blocks`,
        )
      }
      for (let i = 0; i < inode.blocks.length; i++) {
        inode.blocks[i] = inode.blocks[i]! + d.readUInt32LE(i * 4) * 2 ** 32
      }
      return
    case EXT_XATTRS:
      inode.xattrs = decodeXattrs(d)
      return
    default:
      inode.unknown.push(record)
  }
}
