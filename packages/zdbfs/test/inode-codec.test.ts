import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ZdbfsFormatError } from '../src/errors.js'
import {
  DIR_INODE_LENGTH,
  decodeInode,
  encodeInode,
  INODE_HEADER_LENGTH,
  newInode,
} from '../src/inode-codec.js'
import { EXTENSION_MAGIC } from '../src/inode-extension.js'
import { S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG } from '../src/mode.js'
import { specDirInode, specFileInode, specInodeHeader, specSymlinkInode } from './helpers/spec-bytes.js'

const base = {
  uid: 1000,
  gid: 100,
  links: 1,
  atime: 1_700_000_001,
  mtime: 1_700_000_002,
  ctime: 1_700_000_003,
}
const ms = (s: number): number => s * 1000

describe('the inode serialization (spec §1)', () => {
  it('has a 44-byte header', () => {
    expect(INODE_HEADER_LENGTH).toBe(44)
    expect(specInodeHeader({ ...base, mode: 0, size: 0 }).length).toBe(44)
  })

  it('writes a file as header + u64 n + u32 blockid[n], 0 for a hole', () => {
    const inode = newInode(S_IFREG | 0o644)
    Object.assign(inode, { ...base, atime: ms(base.atime), mtime: ms(base.mtime), ctime: ms(base.ctime) })
    inode.size = 300_000
    inode.blocks = [7, 0, 9]
    const spec = specFileInode({ ...base, mode: S_IFREG | 0o644, size: 300_000 }, [7, 0, 9])
    expect(encodeInode(inode)).toEqual(spec)
    const back = decodeInode(spec)
    expect(back.blocks).toEqual([7, 0, 9])
    expect(back.size).toBe(300_000)
    expect([back.uid, back.gid, back.links]).toEqual([1000, 100, 1])
    expect([back.atime, back.mtime, back.ctime]).toEqual([ms(base.atime), ms(base.mtime), ms(base.ctime)])
  })

  it('writes a directory as header + 128 dirlist keys, 0x4242424242424242 when unused: 1068 bytes', () => {
    const inode = newInode(S_IFDIR | 0o755)
    Object.assign(inode, {
      ...base,
      links: 0,
      atime: ms(base.atime),
      mtime: ms(base.mtime),
      ctime: ms(base.ctime),
    })
    inode.size = 22
    inode.dirlists[46] = 3
    inode.dirlists[92] = 4
    const spec = specDirInode({ ...base, links: 0, mode: S_IFDIR | 0o755, size: 22 }, { 46: 3, 92: 4 })
    expect(spec.length).toBe(1068)
    expect(DIR_INODE_LENGTH).toBe(1068)
    expect(encodeInode(inode)).toEqual(spec)
    const back = decodeInode(spec)
    expect(back.dirlists.filter((k) => k !== 0)).toEqual([3, 4])
    expect(back.dirlists[46]).toBe(3)
  })

  it('writes a symlink as target + NUL + a spare byte, with size strlen + 1; st_size reads strlen', () => {
    const inode = newInode(S_IFLNK | 0o777)
    Object.assign(inode, { ...base, atime: ms(base.atime), mtime: ms(base.mtime), ctime: ms(base.ctime) })
    inode.target = Buffer.from('abcdef')
    const encoded = encodeInode(inode)
    const spec = specSymlinkInode({ ...base, mode: S_IFLNK | 0o777 }, 'abcdef', 0)
    expect(encoded).toEqual(spec)
    expect(encoded.readBigUInt64LE(20)).toBe(7n) // upstream's "verified 7 for abcdef"
    const upstream = decodeInode(specSymlinkInode({ ...base, mode: S_IFLNK | 0o777 }, 'abcdef', 0x42))
    expect(upstream.target.toString()).toBe('abcdef')
    expect(upstream.size).toBe(6)
  })

  it('writes a FIFO like a file with no blocks, which is how upstream reads any other type', () => {
    const inode = newInode(S_IFIFO | 0o600)
    Object.assign(inode, { ...base, atime: ms(base.atime), mtime: ms(base.mtime), ctime: ms(base.ctime) })
    expect(encodeInode(inode)).toEqual(specFileInode({ ...base, mode: S_IFIFO | 0o600, size: 0 }, []))
  })

  it('ignores the ino field (upstream keeps a cache flag there) and writes 0', () => {
    const spec = specFileInode({ ...base, mode: S_IFREG | 0o600, size: 1, ino: 0xdeadbeefn }, [5])
    const inode = decodeInode(spec)
    expect(inode.rawIno).toBe(0xdeadbeefn)
    expect(encodeInode(inode).readBigUInt64LE(4)).toBe(0n)
  })

  it('refuses inodes cut short', () => {
    const file = specFileInode({ ...base, mode: S_IFREG | 0o600, size: 1, ino: 0n }, [5, 6])
    for (const n of [0, 10, 43, 55]) expect(() => decodeInode(file.subarray(0, n))).toThrow(ZdbfsFormatError)
    const dir = specDirInode({ ...base, mode: S_IFDIR | 0o700, size: 0 }, {})
    expect(() => decodeInode(dir.subarray(0, 1067))).toThrow(ZdbfsFormatError)
    expect(() => decodeInode(Buffer.from('X'))).toThrow(ZdbfsFormatError)
  })
})

describe('our inode extension', () => {
  it('is absent when nothing needs it, so our inodes are byte-identical to upstream ones', () => {
    const inode = newInode(S_IFREG | 0o644, 1_700_000_000_000)
    inode.blocks = [1]
    expect(encodeInode(inode).includes(EXTENSION_MAGIC)).toBe(false)
  })

  it('follows the fixed body, leaving the part upstream reads unchanged', () => {
    const inode = newInode(S_IFREG | 0o644, 1_700_000_000_123)
    inode.uid = 100_000
    inode.blocks = [1, 2 ** 32 + 5]
    inode.xattrs.set('user.k', Buffer.from('v'))
    const bytes = encodeInode(inode)
    const fixed = 44 + 8 + 2 * 4
    expect(bytes.toString('latin1', fixed, fixed + 6)).toBe(EXTENSION_MAGIC)
    // What upstream sees: low 16 bits of the uid, low 32 bits of the block ids, seconds.
    expect(bytes.readUInt16LE(16)).toBe(100_000 & 0xffff)
    expect(bytes.readUInt32LE(44 + 8 + 4)).toBe(5)
    expect(bytes.readUInt32LE(32)).toBe(1_700_000_000)
    const back = decodeInode(bytes)
    expect(back.uid).toBe(100_000)
    expect(back.blocks).toEqual([1, 2 ** 32 + 5])
    expect(back.atime).toBe(1_700_000_000_123)
    expect(back.xattrs.get('user.k')?.toString()).toBe('v')
  })

  it('keeps records of a later version and writes them back', () => {
    const inode = newInode(S_IFDIR | 0o755, 0)
    inode.unknown.push({ type: 99, data: Buffer.from('future') })
    const back = decodeInode(encodeInode(inode))
    expect(back.unknown).toEqual([{ type: 99, data: Buffer.from('future') }])
  })

  it('round-trips any inode (property)', () => {
    const arbInode = fc.record({
      kind: fc.constantFrom(S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO),
      perm: fc.integer({ min: 0, max: 0o7777 }),
      uid: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      gid: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      size: fc.integer({ min: 0, max: 2 ** 40 }),
      links: fc.integer({ min: 0, max: 1000 }),
      times: fc.array(fc.integer({ min: 0, max: (2 ** 32 - 1) * 1000 + 999 }), {
        minLength: 3,
        maxLength: 3,
      }),
      blocks: fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { maxLength: 20 }),
      lists: fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 128, maxLength: 128 }),
      target: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a.map((b) => b || 1))),
      xattrs: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.uint8Array({ maxLength: 50 })),
    })
    fc.assert(
      fc.property(arbInode, (a) => {
        const inode = newInode(a.kind | a.perm, 0)
        Object.assign(inode, { uid: a.uid, gid: a.gid, links: a.links })
        ;[inode.atime, inode.mtime, inode.ctime] = a.times as [number, number, number]
        if (a.kind === S_IFDIR) {
          inode.dirlists = a.lists
          inode.size = a.size
        } else if (a.kind === S_IFLNK) {
          inode.target = a.target
          inode.size = a.target.length
        } else {
          inode.blocks = a.blocks
          inode.size = a.size
        }
        for (const [k, v] of Object.entries(a.xattrs)) inode.xattrs.set(k, Buffer.from(v))
        const back = decodeInode(encodeInode(inode))
        expect(back).toEqual(inode)
      }),
      { seed: 6, numRuns: 300 },
    )
  })
})
