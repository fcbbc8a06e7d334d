/**
 * POSIX behaviour of the file system logic over real namespaces on an in-process zdb-server (no
 * FUSE): fast checks of every rule the mount relies on, including each upstream bug listed in
 * spec §1.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  EEXIST,
  EINVAL,
  EIO,
  EISDIR,
  ENAMETOOLONG,
  ENODATA,
  ENOENT,
  ENOTDIR,
  ENOTEMPTY,
  EOPNOTSUPP,
} from '../src/errno.js'
import { S_IFIFO } from '../src/mode.js'
import { BLOCK_SIZE } from '../src/node.js'
import { errnoOfCall, readAll, writeAt } from './helpers/fs-calls.js'
import { MemoryNamespace } from './helpers/memory-namespace.js'
import { openMemoryVolume } from './helpers/memory-volume.js'
import { useZdbServer } from './helpers/zdb-volume.js'

const zdb = useZdbServer()

describe('directories', () => {
  it('refuses rmdir of a directory that holds anything, whatever list the child is in (upstream bug 1)', async () => {
    const v = await zdb.openVolume()
    await v.fs.mkdir('/d', 0o755)
    // 'zz' and 'd' hash to different lists: upstream only looked at the list of the name.
    await v.fs.mknod('/d/zz', 0o644, 0)
    expect(await errnoOfCall(v.fs.rmdir('/d'))).toBe(ENOTEMPTY)
    await v.fs.unlink('/d/zz')
    await v.fs.rmdir('/d')
    expect(await errnoOfCall(v.fs.getattr('/d'))).toBe(ENOENT)
    await v.close()
  })

  it('refuses to rename a directory over a non-empty one, and replaces an empty one', async () => {
    const v = await zdb.openVolume()
    await v.fs.mkdir('/a', 0o755)
    await v.fs.mkdir('/b', 0o755)
    await v.fs.mknod('/b/x', 0o644, 0)
    expect(await errnoOfCall(v.fs.rename('/a', '/b'))).toBe(ENOTEMPTY)
    await v.fs.unlink('/b/x')
    await v.fs.rename('/a', '/b')
    expect(await errnoOfCall(v.fs.getattr('/a'))).toBe(ENOENT)
    expect((await v.fs.getattr('/')).nlink).toBe(3) // root: ., .. and b
    await v.close()
  })

  it('keeps link counts: 2 + subdirectories, through mkdir, rmdir and renames (upstream bug 7)', async () => {
    const v = await zdb.openVolume()
    await v.fs.mkdir('/p', 0o755)
    await v.fs.mkdir('/q', 0o755)
    await v.fs.mkdir('/p/c', 0o755)
    expect((await v.fs.getattr('/p')).nlink).toBe(3)
    await v.fs.rename('/p/c', '/q/c')
    expect([(await v.fs.getattr('/p')).nlink, (await v.fs.getattr('/q')).nlink]).toEqual([2, 3])
    await v.fs.mkdir('/p/c', 0o755)
    await v.fs.rename('/q/c', '/p/c') // over an empty directory
    expect([(await v.fs.getattr('/p')).nlink, (await v.fs.getattr('/q')).nlink]).toEqual([3, 2])
    await v.close()
  })

  it('lists . as itself and .. as the parent, and updates .. when a directory moves', async () => {
    const v = await zdb.openVolume()
    await v.fs.mkdir('/a', 0o755)
    await v.fs.mkdir('/b', 0o755)
    await v.fs.mkdir('/a/c', 0o755)
    await v.fs.rename('/a/c', '/b/c')
    const c = await v.fs.readdir('/b/c')
    expect(c.find((e) => e.name === '.')?.ino).toBe((await v.fs.getattr('/b/c')).ino)
    expect(c.find((e) => e.name === '..')?.ino).toBe((await v.fs.getattr('/b')).ino)
    await v.close()
  })

  it('refuses to move a directory below itself', async () => {
    const v = await zdb.openVolume()
    await v.fs.mkdir('/a', 0o755)
    await v.fs.mkdir('/a/b', 0o755)
    expect(await errnoOfCall(v.fs.rename('/a', '/a/b/c'))).toBe(EINVAL)
    await v.close()
  })

  it('gives EEXIST, ENOTDIR, EISDIR and ENOENT where POSIX says', async () => {
    const v = await zdb.openVolume()
    await v.fs.mkdir('/d', 0o755)
    await v.fs.mknod('/f', 0o644, 0)
    expect(await errnoOfCall(v.fs.mkdir('/d', 0o755))).toBe(EEXIST)
    expect(await errnoOfCall(v.fs.create('/f', 0o644))).toBe(EEXIST)
    expect(await errnoOfCall(v.fs.getattr('/f/x'))).toBe(ENOTDIR)
    expect(await errnoOfCall(v.fs.rmdir('/f'))).toBe(ENOTDIR)
    expect(await errnoOfCall(v.fs.unlink('/d'))).toBe(EISDIR)
    expect(await errnoOfCall(v.fs.rename('/f', '/d'))).toBe(EISDIR)
    expect(await errnoOfCall(v.fs.rename('/d', '/f'))).toBe(ENOTDIR)
    expect(await errnoOfCall(v.fs.unlink('/nope'))).toBe(ENOENT)
    await v.close()
  })

  it('refuses names over 255 bytes with ENAMETOOLONG (upstream bug 6)', async () => {
    const v = await zdb.openVolume()
    const long = `/${'é'.repeat(128)}` // 256 bytes
    expect(await errnoOfCall(v.fs.create(long, 0o644))).toBe(ENAMETOOLONG)
    expect(await errnoOfCall(v.fs.mkdir(long, 0o755))).toBe(ENAMETOOLONG)
    await v.fs.create(`/${'x'.repeat(255)}`, 0o644)
    await v.close()
  })
})

describe('files', () => {
  it('reads zeros after a shrink and a grow (upstream bug 2)', async () => {
    const v = await zdb.openVolume()
    await v.fs.create('/f', 0o644)
    await writeAt(v.fs, '/f', 0, 'A'.repeat(100))
    await v.fs.fsync()
    await v.fs.truncate('/f', 10)
    await v.fs.truncate('/f', 100)
    expect((await readAll(v.fs, '/f')).toString()).toBe('A'.repeat(10) + '\0'.repeat(90))
    await v.fs.fsync()
    // Also after the blocks were evicted and reloaded from zdb.
    const again = await zdb.openVolume(v.names)
    expect((await readAll(again.fs, '/f')).toString()).toBe('A'.repeat(10) + '\0'.repeat(90))
    await again.close()
  })

  it('deletes the blocks a truncate cuts off, after the inode no longer lists them', async () => {
    const v = await zdb.openVolume()
    await v.fs.create('/f', 0o644)
    await writeAt(v.fs, '/f', 0, Buffer.alloc(3 * BLOCK_SIZE, 1))
    await v.fs.fsync()
    const blocks = [...(await v.fs.resolve('/f')).inode.blocks]
    expect(blocks.length).toBe(3)
    const before = (await v.data.stats()).entries
    await v.fs.truncate('/f', BLOCK_SIZE)
    await v.fs.fsync()
    expect((await v.fs.resolve('/f')).inode.blocks).toEqual(blocks.slice(0, 1))
    expect((await v.data.stats()).entries).toBe(before - 2)
    expect((await v.data.get(blocks[0]!))?.equals(Buffer.alloc(BLOCK_SIZE, 1))).toBe(true)
    expect(await v.data.get(blocks[1]!)).toBeNull()
    expect(await v.data.get(blocks[2]!)).toBeNull()
    await v.close()
  })

  it('updates mtime and ctime on write, ctime on chmod and chown (upstream bug 4)', async () => {
    let now = 1_000_000
    const v = await zdb.openVolume(undefined, () => now)
    await v.fs.create('/f', 0o644)
    now += 5000
    await writeAt(v.fs, '/f', 0, 'x')
    let a = await v.fs.getattr('/f')
    expect([a.mtime, a.ctime]).toEqual([now, now])
    now += 5000
    await v.fs.chmod('/f', 0o600)
    a = await v.fs.getattr('/f')
    expect([a.mtime, a.ctime, a.mode & 0o777]).toEqual([now - 5000, now, 0o600])
    now += 5000
    await v.fs.chown('/f', 0xffffffff, 42)
    a = await v.fs.getattr('/f')
    expect([a.ctime, a.uid, a.gid]).toEqual([now, 0, 42])
    await v.close()
  })

  it('keeps an unlinked open file readable until it is closed (upstream bug 5)', async () => {
    const v = await zdb.openVolume()
    const fh = await v.fs.create('/f', 0o644)
    await v.fs.write(fh, Buffer.from('still here'), 0)
    await v.fs.fsync()
    const ino = (await v.fs.getattr('/f')).ino
    await v.fs.unlink('/f')
    const buf = Buffer.alloc(10)
    expect(await v.fs.read(fh, buf, 0)).toBe(10)
    expect(buf.toString()).toBe('still here')
    await v.fs.release(fh)
    await v.fs.fsync()
    expect(await v.meta.get(ino)).toBeNull()
    await v.close()
  })

  it('counts hard links and keeps the data until the last one goes', async () => {
    const v = await zdb.openVolume()
    await v.fs.create('/a', 0o644)
    await writeAt(v.fs, '/a', 0, 'shared')
    await v.fs.link('/a', '/b')
    expect((await v.fs.getattr('/a')).nlink).toBe(2)
    await v.fs.unlink('/a')
    expect((await readAll(v.fs, '/b')).toString()).toBe('shared')
    expect((await v.fs.getattr('/b')).nlink).toBe(1)
    await v.close()
  })

  it('renames over a file, and does nothing when both names are links to one inode', async () => {
    const v = await zdb.openVolume()
    await v.fs.create('/a', 0o644)
    await writeAt(v.fs, '/a', 0, 'A')
    await v.fs.create('/b', 0o644)
    await writeAt(v.fs, '/b', 0, 'B')
    await v.fs.rename('/a', '/b')
    expect((await readAll(v.fs, '/b')).toString()).toBe('A')
    await v.fs.link('/b', '/c')
    await v.fs.rename('/b', '/c')
    expect((await v.fs.getattr('/b')).nlink).toBe(2)
    await v.close()
  })

  it('stores FIFOs, symlinks and extended attributes', async () => {
    const v = await zdb.openVolume()
    await v.fs.mknod('/fifo', S_IFIFO | 0o600, 0)
    expect((await v.fs.getattr('/fifo')).mode).toBe(S_IFIFO | 0o600)
    await v.fs.symlink('../somewhere', '/s')
    expect(await v.fs.readlink('/s')).toBe('../somewhere')
    expect(await errnoOfCall(v.fs.readlink('/fifo'))).toBe(EINVAL)
    await v.fs.setxattr('/fifo', 'user.a', Buffer.from('1'), 0)
    expect(await errnoOfCall(v.fs.setxattr('/fifo', 'user.a', Buffer.from('2'), 1))).toBe(EEXIST)
    expect(await errnoOfCall(v.fs.setxattr('/fifo', 'user.b', Buffer.from('2'), 2))).toBe(ENODATA)
    expect(await errnoOfCall(v.fs.setxattr('/fifo', 'system.posix_acl_access', Buffer.from(''), 0))).toBe(
      EOPNOTSUPP,
    )
    expect(await v.fs.listxattr('/fifo')).toEqual(['user.a'])
    await v.fs.fsync()
    const again = await zdb.openVolume(v.names)
    expect((await again.fs.getxattr('/fifo', 'user.a')).toString()).toBe('1')
    await again.fs.removexattr('/fifo', 'user.a')
    expect(await errnoOfCall(again.fs.getxattr('/fifo', 'user.a'))).toBe(ENODATA)
    await again.close()
  })
})

describe('ids', () => {
  it('uses inode numbers and block ids past 2^32 without wrapping (upstream bug 8)', async () => {
    // In-memory namespaces here: a real zdb would need 2^32 entries written to get there.
    const meta = new MemoryNamespace('zdbfs-meta')
    const data = new MemoryNamespace('zdbfs-data')
    const fresh = await openMemoryVolume({ meta, data })
    await fresh.close()
    meta.jumpTo(2 ** 32 + 7)
    data.jumpTo(2 ** 33 + 3)
    const v = await openMemoryVolume({ meta, data, temp: fresh.temp })
    await v.fs.mkdir('/big', 0o755)
    await v.fs.create('/big/f', 0o644)
    const content = Buffer.alloc(2 * BLOCK_SIZE + 10)
    for (let i = 0; i < content.length; i++) content[i] = (i * 7) % 251
    await writeAt(v.fs, '/big/f', 0, content)
    await v.fs.fsync()
    const again = await openMemoryVolume({ meta, data, temp: v.temp })
    const attr = await again.fs.getattr('/big/f')
    expect(attr.ino).toBeGreaterThan(2 ** 32)
    const node = await again.fs.resolve('/big/f')
    expect(node.inode.blocks.every((b) => b > 2 ** 33)).toBe(true)
    expect((await readAll(again.fs, '/big/f')).equals(content)).toBe(true)
    await again.close()
  })
})

describe('durability and failures', () => {
  it('after fsync, a volume reopened without unmount (a crash) has everything', async () => {
    const v = await zdb.openVolume()
    await v.fs.mkdir('/d', 0o755)
    await v.fs.create('/d/f', 0o644)
    await writeAt(v.fs, '/d/f', 0, 'durable')
    await v.fs.fsync()
    // No close: the process "died" here.
    const again = await zdb.openVolume(v.names)
    expect((await readAll(again.fs, '/d/f')).toString()).toBe('durable')
    await again.close()
  })

  it('turns a zdb failure into EIO and works again once zdb is back', async () => {
    const v = await zdb.openVolume()
    await v.fs.create('/f', 0o644)
    await writeAt(v.fs, '/f', 0, 'x')
    await v.fs.fsync()
    const again = await zdb.openVolume(v.names)
    // A frozen namespace refuses reads and writes at once (the zdb-side failure of one namespace).
    await zdb.admin('NSSET', v.names.meta, 'freeze', '1')
    expect(await errnoOfCall(again.fs.getattr('/f'))).toBe(EIO)
    await zdb.admin('NSSET', v.names.meta, 'freeze', '0')
    expect((await readAll(again.fs, '/f')).toString()).toBe('x')
    await zdb.admin('NSSET', v.names.meta, 'freeze', '1')
    await writeAt(again.fs, '/f', 1, 'y')
    expect(await errnoOfCall(again.fs.fsync())).toBe(EIO)
    await zdb.admin('NSSET', v.names.meta, 'freeze', '0')
    await again.fs.fsync()
    const third = await zdb.openVolume(v.names)
    expect((await readAll(third.fs, '/f')).toString()).toBe('xy')
    await third.close()
  })
})

describe('memory bounds', () => {
  it('forgets clean inodes past the cache limit and reloads them on demand', async () => {
    const v = await zdb.openVolume(undefined, undefined, { maxNodes: 10 })
    await v.fs.mkdir('/many', 0o755)
    for (let i = 0; i < 40; i++) {
      await v.fs.release(await v.fs.create(`/many/f${i}`, 0o644))
      await writeAt(v.fs, `/many/f${i}`, 0, `content ${i}`)
    }
    await v.fs.fsync()
    for (let i = 0; i < 40; i++) expect((await readAll(v.fs, `/many/f${i}`)).toString()).toBe(`content ${i}`)
    let cached = 0
    for (let ino = 0; ino < 200; ino++) if (v.store.cached(ino)) cached++
    expect(cached).toBeLessThanOrEqual(12)
    await v.close()
  })

  it('fails a write with EIO when zdb cannot take the dirty data in time', async () => {
    const v = await zdb.openVolume(undefined, undefined, {
      maxDirtyBytes: 2 * BLOCK_SIZE,
      roomTimeout: 300,
    })
    await v.fs.create('/f', 0o644)
    // A locked (read-only) namespace: zdbfs retries the writes until its call timeout.
    await zdb.admin('NSSET', v.names.data, 'lock', '1')
    const fh = await v.fs.open('/f', 0)
    const started = Date.now()
    let errno: number | undefined
    for (let i = 0; i < 5 && errno === undefined; i++) {
      errno = await errnoOfCall(v.fs.write(fh, Buffer.alloc(BLOCK_SIZE, 1), i * BLOCK_SIZE))
    }
    expect(errno).toBe(EIO)
    expect(Date.now() - started).toBeLessThan(3000)
    await zdb.admin('NSSET', v.names.data, 'lock', '0')
    await v.fs.fsync()
    await v.close()
  })
})

describe('random pwrite and truncate sequences', () => {
  it('leave the same bytes as a plain buffer model (property)', async () => {
    type Op = { kind: 'write'; pos: number; len: number; seed: number } | { kind: 'truncate'; size: number }
    const max = 3 * BLOCK_SIZE + 1000
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('write' as const),
        pos: fc.integer({ min: 0, max }),
        len: fc.integer({ min: 1, max: BLOCK_SIZE + 100 }),
        seed: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({ kind: fc.constant('truncate' as const), size: fc.integer({ min: 0, max }) }),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        async (ops: Op[], sync) => {
          try {
            const v = await zdb.openVolume()
            await v.fs.create('/f', 0o644)
            let model = Buffer.alloc(0)
            for (const o of ops) {
              if (o.kind === 'write') {
                const bytes = Buffer.alloc(o.len)
                for (let i = 0; i < o.len; i++) bytes[i] = (o.seed + i) % 256
                await writeAt(v.fs, '/f', o.pos, bytes)
                if (model.length < o.pos + o.len)
                  model = Buffer.concat([model, Buffer.alloc(o.pos + o.len - model.length)])
                bytes.copy(model, o.pos)
              } else {
                await v.fs.truncate('/f', o.size)
                model =
                  o.size <= model.length
                    ? Buffer.from(model.subarray(0, o.size))
                    : Buffer.concat([model, Buffer.alloc(o.size - model.length)])
              }
              if (sync) await v.fs.fsync()
            }
            expect((await readAll(v.fs, '/f')).equals(model)).toBe(true)
            await v.fs.fsync()
            const again = await zdb.openVolume(v.names)
            expect((await readAll(again.fs, '/f')).equals(model)).toBe(true)
          } finally {
            // Each run has namespaces of its own: drop them now rather than at the end of the test.
            await zdb.cleanup()
          }
        },
      ),
      { seed: 42, numRuns: 60 },
    )
    // 60 volumes of their own: a few seconds alone, more beside the mount tests.
  }, 30_000)
})
