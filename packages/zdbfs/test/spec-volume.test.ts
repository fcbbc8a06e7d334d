/**
 * Format compatibility with upstream 0-db-fs in both directions (spec zdbfs-and-glue.md §1):
 * volumes built byte by byte from the spec open and read right, and what we write decodes, field
 * by field, as the spec lays it out. Both sides go through real namespaces on an in-process
 * zdb-server.
 */
import { describe, expect, it } from 'vitest'
import { S_IFDIR, S_IFLNK, S_IFREG } from '../src/mode.js'
import { BLOCK_SIZE } from '../src/node.js'
import { readAll } from './helpers/fs-calls.js'
import {
  sortEntries,
  specDirInode,
  specDirlist,
  specFileInode,
  specHeader,
  specListOf,
  specSymlinkInode,
  u64,
} from './helpers/spec-bytes.js'
import { useZdbServer } from './helpers/zdb-volume.js'

const zdb = useZdbServer()

const T = 1_700_000_000
const h = (mode: number, size: number, links = 1) => ({
  mode,
  uid: 0,
  gid: 0,
  size,
  links,
  atime: T,
  mtime: T,
  ctime: T,
})

/**
 * An upstream volume: root (meta 1) holding `hello.txt`, `link` → `hello.txt` and `sub/`, with
 * `sub/data.bin` a sparse file (block 0 short, block 1 a hole, block 2 with bytes past EOF as
 * upstream's truncate leaves them). Both `.` and `..` hold the parent, as upstream writes them.
 * Written into fresh namespaces; resolves to their names.
 */
function upstreamVolume() {
  const meta = new Map<number, Buffer>()
  const data = new Map<number, Buffer>()
  const temp = new Map<number, Buffer>()
  const put = (ns: Map<number, Buffer>, key: number, value: Buffer) => ns.set(key, value)
  put(meta, 0, specHeader('ZDBFSM', 0, 10n * 2n ** 30n))
  put(data, 0, specHeader('ZDBFSD', 0, 10n * 2n ** 30n))
  put(temp, 0, specHeader('ZDBFST', 0, 10n * 2n ** 30n))
  // root = 1, lists: keys 10+
  const rootEntries: [string, number][] = [
    ['.', 1],
    ['..', 1],
    ['hello.txt', 2],
    ['link', 3],
    ['sub', 4],
  ]
  const rootLists: Record<number, number> = {}
  let nextList = 10
  const byList = new Map<number, [string, number][]>()
  for (const e of rootEntries) {
    const l = specListOf(e[0])
    byList.set(l, [...(byList.get(l) ?? []), e])
  }
  for (const [l, es] of byList) {
    rootLists[l] = nextList
    put(meta, nextList, specDirlist(nextList, sortEntries(es)))
    nextList++
  }
  const rootSize = rootEntries
    .filter(([n]) => n !== '.' && n !== '..')
    .reduce((s, [n]) => s + 11 + n.length, 0)
  put(meta, 1, specDirInode(h(S_IFDIR | 0o755, rootSize, 0), rootLists))
  put(meta, 2, specFileInode(h(S_IFREG | 0o644, 12), [1]))
  put(data, 1, Buffer.from('Hello World\n'))
  put(meta, 3, specSymlinkInode({ ...h(S_IFLNK | 0o777, 0) }, 'hello.txt'))
  // sub = 4: . and .. both hold the parent (1)
  put(meta, 20, specDirlist(20, [['.', 1]]))
  put(meta, 21, specDirlist(21, [['..', 1]]))
  const dataList = specListOf('data.bin')
  put(meta, 22, specDirlist(22, [['data.bin', 5]]))
  put(meta, 4, specDirInode(h(S_IFDIR | 0o700, 11 + 8, 0), { 46: 20, 92: 21, [dataList]: 22 }))
  const size = 2 * BLOCK_SIZE + 100
  put(meta, 5, specFileInode(h(S_IFREG | 0o600, size), [2, 0, 3]))
  put(data, 2, Buffer.alloc(1000, 0x61)) // short block 0
  put(data, 3, Buffer.alloc(300, 0x62)) // block 2: 100 bytes in the file, 200 stale past EOF
  return zdb.writeNamespaces({ meta, data, temp })
}

describe('a volume written by upstream 0-db-fs', () => {
  it('mounts and reads: names, types, sizes, contents, symlinks', async () => {
    const v = await zdb.openVolume(await upstreamVolume())
    const names = (await v.fs.readdir('/')).map((e) => e.name).sort()
    expect(names).toEqual(['.', '..', 'hello.txt', 'link', 'sub'])
    expect((await readAll(v.fs, '/hello.txt')).toString()).toBe('Hello World\n')
    expect(await v.fs.readlink('/link')).toBe('hello.txt')
    const link = await v.fs.getattr('/link')
    expect(link.size).toBe(9)
    expect((await v.fs.getattr('/sub')).mode).toBe(S_IFDIR | 0o700)
    expect((await v.fs.getattr('/hello.txt')).mtime).toBe(T * 1000)
    await v.close()
  })

  it('reads short and missing blocks as zeros, and never the stale bytes past EOF', async () => {
    const v = await zdb.openVolume(await upstreamVolume())
    const bytes = await readAll(v.fs, '/sub/data.bin')
    expect(bytes.length).toBe(2 * BLOCK_SIZE + 100)
    expect(bytes.subarray(0, 1000).every((b) => b === 0x61)).toBe(true)
    expect(bytes.subarray(1000, 2 * BLOCK_SIZE).every((b) => b === 0)).toBe(true)
    expect(bytes.subarray(2 * BLOCK_SIZE).every((b) => b === 0x62)).toBe(true)
    // Growing the file must not bring back the 200 stale bytes of block 2.
    await v.fs.truncate('/sub/data.bin', 3 * BLOCK_SIZE)
    const grown = await readAll(v.fs, '/sub/data.bin')
    expect(grown.subarray(2 * BLOCK_SIZE + 100).every((b) => b === 0)).toBe(true)
    await v.close()
  })

  it('reports . as the directory itself and .. as the parent, although upstream stores the parent in both', async () => {
    const v = await zdb.openVolume(await upstreamVolume())
    const entries = await v.fs.readdir('/sub')
    const sub = await v.fs.resolve('/sub')
    expect(entries.find((e) => e.name === '.')?.ino).toBe(sub.ino)
    expect(entries.find((e) => e.name === '..')?.ino).toBe(1)
    await v.close()
  })

  it('takes changes and writes them back in the same format', async () => {
    const vol = await upstreamVolume()
    const v = await zdb.openVolume(vol)
    const fh = await v.fs.create('/sub/new.txt', 0o644)
    await v.fs.write(fh, Buffer.from('fresh'), 0)
    await v.fs.release(fh)
    await v.fs.unlink('/hello.txt')
    await v.close()
    const again = await zdb.openVolume(vol)
    expect((await readAll(again.fs, '/sub/new.txt')).toString()).toBe('fresh')
    expect(await again.fs.readdir('/').then((e) => e.map((x) => x.name).sort())).toEqual([
      '.',
      '..',
      'link',
      'sub',
    ])
    expect(await again.meta.get(2)).toBeNull() // the inode of hello.txt is deleted
    expect(await again.data.get(1)).toBeNull() // and its block
    await again.close()
  })
})

describe('a volume written by us', () => {
  it('starts with the three headers at key 0 and the root directory at meta key 1', async () => {
    const v = await zdb.openVolume(undefined, () => T * 1000)
    expect((await v.meta.get(0))?.subarray(0, 6).toString()).toBe('ZDBFSM')
    expect((await v.data.get(0))?.subarray(0, 6).toString()).toBe('ZDBFSD')
    expect((await v.temp.get(0))?.subarray(0, 6).toString()).toBe('ZDBFST')
    // The IN_USE flag is set while mounted, and cleared at unmount.
    expect((await v.meta.get(0))?.readUInt16LE(8)).toBe(1)
    const root = (await v.meta.get(1))!
    expect(root.length).toBe(1068)
    expect(root.readUInt32LE(0)).toBe(S_IFDIR | 0o755)
    const dot = Number(root.readBigUInt64LE(44 + 46 * 8))
    const dotdot = Number(root.readBigUInt64LE(44 + 92 * 8))
    expect(await v.meta.get(dot)).toEqual(specDirlist(dot, [['.', 1]], 0))
    expect(await v.meta.get(dotdot)).toEqual(specDirlist(dotdot, [['..', 1]], 0))
    for (let i = 0; i < 128; i++) {
      if (i !== 46 && i !== 92)
        expect(root.subarray(44 + i * 8, 52 + i * 8)).toEqual(u64(0x4242424242424242n))
    }
    await v.close()
    expect(await v.meta.get(0)).toEqual(specHeader('ZDBFSM', 0, 10n * 2n ** 30n))
  })

  it('stores files, directories and symlinks exactly as the spec lays them out', async () => {
    const v = await zdb.openVolume(undefined, () => T * 1000)
    await v.fs.mkdir('/d', 0o750)
    const fh = await v.fs.create('/d/f', 0o640)
    await v.fs.write(fh, Buffer.alloc(BLOCK_SIZE + 5, 7), 0)
    await v.fs.release(fh)
    await v.fs.symlink('target', '/d/s')
    await v.fs.fsync()

    const d = await v.fs.resolve('/d')
    const f = await v.fs.resolve('/d/f')
    const s = await v.fs.resolve('/d/s')
    const dRaw = (await v.meta.get(d.ino))!
    const lists: Record<number, number> = {}
    for (let i = 0; i < 128; i++) {
      const k = dRaw.readBigUInt64LE(44 + i * 8)
      if (k !== 0x4242424242424242n) lists[i] = Number(k)
    }
    expect(
      Object.keys(lists)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual([46, 92, specListOf('f'), specListOf('s')].sort((a, b) => a - b))
    expect(dRaw).toEqual(specDirInode({ ...h(S_IFDIR | 0o750, 11 + 1 + 11 + 1, 2) }, lists))
    expect(await v.meta.get(lists[specListOf('f')]!)).toEqual(
      specDirlist(lists[specListOf('f')]!, [['f', f.ino]], 0),
    )

    const blocks = f.inode.blocks
    expect(blocks.length).toBe(2)
    expect(await v.meta.get(f.ino)).toEqual(specFileInode(h(S_IFREG | 0o640, BLOCK_SIZE + 5), blocks))
    expect((await v.data.get(blocks[0]!))?.equals(Buffer.alloc(BLOCK_SIZE, 7))).toBe(true)
    expect(await v.data.get(blocks[1]!)).toEqual(Buffer.alloc(5, 7)) // the partial block is stored short
    expect(await v.meta.get(s.ino)).toEqual(specSymlinkInode(h(S_IFLNK | 0o777, 0), 'target', 0))
    await v.close()
  })
})
