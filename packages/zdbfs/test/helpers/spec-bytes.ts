/**
 * Little-endian builders that write the 0-db-fs layouts of spec zdbfs-and-glue.md §1 field by
 * field, independently of src/, so that tests compare our codecs with the spec's bytes.
 */
export const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2)
  b.writeUInt16LE(n)
  return b
}
export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n)
  return b
}
export const u64 = (n: bigint | number): Buffer => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt(n))
  return b
}
export const ascii = (s: string): Buffer => Buffer.from(s, 'latin1')
export const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts)

/** Key 0: magic[6], u16 version, u16 flags, 6 bytes padding, u64 size (24 bytes). */
export const specHeader = (magic: string, flags: number, size: bigint, pad = 0): Buffer =>
  cat(ascii(magic), u16(1), u16(flags), Buffer.alloc(6, pad), u64(size))

export interface SpecInodeHeader {
  mode: number
  ino?: bigint
  dev?: number
  uid: number
  gid: number
  size: bigint | number
  links: number
  atime: number
  mtime: number
  ctime: number
}

/** The 44-byte inode header: u32 mode, u64 ino, u32 dev, u16 uid, u16 gid, u64 size, u32 links, u32 ×3 times. */
export const specInodeHeader = (h: SpecInodeHeader): Buffer =>
  cat(
    u32(h.mode),
    u64(h.ino ?? 0n),
    u32(h.dev ?? 0),
    u16(h.uid),
    u16(h.gid),
    u64(h.size),
    u32(h.links),
    u32(h.atime),
    u32(h.mtime),
    u32(h.ctime),
  )

/** A directory inode: header + 128 × u64 dirlist keys, 0x4242424242424242 for unused ones. */
export const specDirInode = (h: SpecInodeHeader, lists: Record<number, number>): Buffer =>
  cat(
    specInodeHeader(h),
    ...Array.from({ length: 128 }, (_, i) =>
      lists[i] === undefined ? u64(0x4242424242424242n) : u64(lists[i]!),
    ),
  )

/** A file inode: header + u64 n + u32 blockid[n]. */
export const specFileInode = (h: SpecInodeHeader, blocks: number[]): Buffer =>
  cat(specInodeHeader(h), u64(blocks.length), ...blocks.map(u32))

/** A symlink inode as upstream writes it: header (size = strlen + 1) + target + NUL + one spare byte. */
export const specSymlinkInode = (h: Omit<SpecInodeHeader, 'size'>, target: string, spare = 0x42): Buffer =>
  cat(specInodeHeader({ ...h, size: target.length + 1 }), ascii(target), Buffer.of(0, spare))

/** A dirlist: u64 own key, u32 count, 4 junk bytes, then {u16 len, u64 ino, name, NUL} per entry. */
export const specDirlist = (key: number, entries: [string, number][], junk = 0x42): Buffer =>
  cat(
    u64(key),
    u32(entries.length),
    Buffer.alloc(4, junk),
    ...entries.map(([name, ino]) =>
      cat(u16(Buffer.byteLength(name)), u64(ino), Buffer.from(name), Buffer.of(0)),
    ),
  )

/** strcmp-sorted copy of dirlist entries. */
export const sortEntries = (entries: [string, number][]): [string, number][] =>
  [...entries].sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])))

/** Byte sum modulo 128, as the spec defines the list of a name. */
export const specListOf = (name: string): number => [...Buffer.from(name)].reduce((s, b) => s + b, 0) % 128
