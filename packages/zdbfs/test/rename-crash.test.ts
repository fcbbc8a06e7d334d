/**
 * Renames cut by a crash at every point of the write pass that stores them. A proxy in front of
 * a real zdb-server lets the first k writes of the pass through and then drops every connection
 * (test/helpers/cutting-proxy.ts), the volume is opened again straight on the server, and what
 * was stored before the renames must still be there: each file under its old name or its new one
 * (at worst both), with its content, no name pointing at a deleted inode, and link counts that
 * cover every name, so that removing one of two names never takes the file from the other.
 * k runs from 0 until the pass completes uncut.
 */
import { describe, expect, it } from 'vitest'
import { DOTDOT } from '../src/directory.js'
import { errnoOf } from '../src/errno.js'
import type { Filesystem } from '../src/filesystem.js'
import { startCuttingProxy } from './helpers/cutting-proxy.js'
import { readAll, writeAt } from './helpers/fs-calls.js'
import { useZdbServer } from './helpers/zdb-volume.js'

const zdb = useZdbServer()

const F = Buffer.from('file f, stored before the rename')
const G = Buffer.from('file g, stored before the rename, a bit longer')

async function put(fs: Filesystem, path: string, content: Buffer): Promise<void> {
  await fs.mknod(path, 0o100644, 0)
  await writeAt(fs, path, 0, content)
}

interface Entry {
  /** Directory inode and name: one stored entry, whatever path reached it. */
  key: string
  path: string
  ino: number
}

/**
 * Walks the whole volume: every name must lead to an inode, every directory's link count must
 * be at least 2 + the subdirectories it lists, and a directory's `..` must name a directory that
 * lists it. Returns the regular files found.
 */
async function survey(fs: Filesystem): Promise<{ files: Entry[]; contents: Map<number, Buffer> }> {
  const files: Entry[] = []
  const contents = new Map<number, Buffer>()
  const listedIn = new Map<number, Set<number>>()
  const dirs: { path: string; ino: number }[] = []
  const walk = async (path: string): Promise<void> => {
    const dir = await fs.getattr(path || '/')
    dirs.push({ path, ino: dir.ino })
    let subdirs = 0
    for (const e of await fs.readdir(path || '/')) {
      if (e.name === '.' || e.name === '..') continue
      const child = `${path}/${e.name}`
      const attr = await fs.getattr(child).catch((err) => {
        throw new Error(`${child} is listed but its inode is gone (errno ${errnoOf(err)})`)
      })
      if ((attr.mode & 0o170000) === 0o040000) {
        subdirs++
        if (!listedIn.has(attr.ino)) listedIn.set(attr.ino, new Set())
        listedIn.get(attr.ino)!.add(dir.ino)
        await walk(child)
      } else {
        files.push({ key: `${dir.ino}/${e.name}`, path: child, ino: attr.ino })
        contents.set(attr.ino, await readAll(fs, child))
      }
    }
    expect(dir.nlink, `link count of ${path || '/'}`).toBeGreaterThanOrEqual(2 + subdirs)
  }
  await walk('')
  for (const d of dirs) {
    if (d.ino === 1) continue
    const dotdot = (await fs.readdir(d.path)).find((e) => e.name === DOTDOT.toString())!.ino
    expect([...listedIn.get(d.ino)!], `.. of ${d.path}`).toContain(dotdot)
  }
  return { files, contents }
}

/**
 * Every content in `kept` is in a file of the volume. A file found under several names keeps
 * its content after all of them but one are unlinked.
 */
async function expectKept(fs: Filesystem, kept: Buffer[]): Promise<void> {
  const { files, contents } = await survey(fs)
  for (const content of kept) {
    const holders = files.filter((f) => contents.get(f.ino)!.equals(content))
    expect(holders.length, `files holding "${content}"`).toBeGreaterThan(0)
    const entries = [...new Map(holders.map((h) => [h.key, h])).values()]
    for (const extra of entries.slice(0, -1)) await fs.unlink(extra.path)
    // Stored, and the inode read again: an unlink that took the last link has deleted it.
    await fs.fsync()
    expect((await readAll(fs, entries.at(-1)!.path)).equals(content)).toBe(true)
  }
}

/**
 * Runs `prepare` and stores it, then `act` and a sync with the pass cut after k writes, for
 * every k until one completes; after each cut the volume is opened again and `check`ed.
 * Returns how many cut points were tried.
 */
async function everyCut(
  prepare: (fs: Filesystem) => Promise<void>,
  act: (fs: Filesystem) => Promise<void>,
  check: (fs: Filesystem) => Promise<void>,
): Promise<number> {
  for (let k = 0; k < 100; k++) {
    const proxy = await startCuttingProxy({ host: '127.0.0.1', port: zdb.port })
    try {
      const v = await zdb.openVolume(undefined, undefined, {}, { port: proxy.port, timeout: 1000 })
      await prepare(v.fs)
      await v.store.sync()
      proxy.allowWrites(k)
      // The crash: this file system's connections go, with whatever they had not sent.
      proxy.onCut(() => {
        for (const ns of [v.meta, v.data, v.temp]) void ns.close()
      })
      const completed = await act(v.fs)
        .then(() => v.store.sync())
        .then(
          () => true,
          () => false,
        )
      if (!proxy.cut) {
        expect(completed).toBe(true)
        proxy.allowWrites(Number.POSITIVE_INFINITY)
        await check(v.fs)
        await v.close()
        return k
      }
      const again = await zdb.openVolume(v.names)
      try {
        await check(again.fs)
      } catch (err) {
        throw new Error(`after a crash following ${k} writes of the pass: ${(err as Error).message}`)
      }
      await again.close()
    } finally {
      await proxy.close()
    }
  }
  throw new Error('the write pass never completed')
}

describe('a crash in the middle of the write pass of a rename', () => {
  it('keeps a file moved to another directory under its old or its new name', async () => {
    const cuts = await everyCut(
      async (fs) => {
        await fs.mkdir('/a', 0o755)
        await fs.mkdir('/b', 0o755)
        await put(fs, '/a/f', F)
      },
      (fs) => fs.rename('/a/f', '/b/g'),
      (fs) => expectKept(fs, [F]),
    )
    expect(cuts).toBeGreaterThanOrEqual(5)
  }, 60_000)

  it('keeps two files that cross between two directories in the same pass', async () => {
    const cuts = await everyCut(
      async (fs) => {
        await fs.mkdir('/a', 0o755)
        await fs.mkdir('/b', 0o755)
        await put(fs, '/a/f', F)
        await put(fs, '/b/g', G)
      },
      async (fs) => {
        await fs.rename('/a/f', '/b/f')
        await fs.rename('/b/g', '/a/g')
      },
      (fs) => expectKept(fs, [F, G]),
    )
    expect(cuts).toBeGreaterThanOrEqual(5)
  }, 60_000)

  it('keeps both files when two names in different lists are swapped through a third', async () => {
    const cuts = await everyCut(
      async (fs) => {
        await fs.mkdir('/d', 0o755)
        await put(fs, '/d/x', F) // 'x', 'y' and 't' are in three different lists
        await put(fs, '/d/y', G)
      },
      async (fs) => {
        await fs.rename('/d/x', '/d/t')
        await fs.rename('/d/y', '/d/x')
        await fs.rename('/d/t', '/d/y')
      },
      async (fs) => {
        await expectKept(fs, [F, G])
      },
    )
    expect(cuts).toBeGreaterThanOrEqual(5)
  }, 60_000)

  it('keeps a directory moved to another parent, its content, link counts and ..', async () => {
    const cuts = await everyCut(
      async (fs) => {
        await fs.mkdir('/p', 0o755)
        await fs.mkdir('/q', 0o755)
        await fs.mkdir('/p/d', 0o755)
        await put(fs, '/p/d/f', F)
      },
      (fs) => fs.rename('/p/d', '/q/d'),
      (fs) => expectKept(fs, [F]),
    )
    expect(cuts).toBeGreaterThanOrEqual(5)
  }, 60_000)

  it('never leaves the replaced name pointing at a deleted inode, nor loses the moved file', async () => {
    const cuts = await everyCut(
      async (fs) => {
        await fs.mkdir('/a', 0o755)
        await fs.mkdir('/b', 0o755)
        await put(fs, '/a/f', F)
        await put(fs, '/b/g', G)
      },
      (fs) => fs.rename('/a/f', '/b/g'),
      (fs) => expectKept(fs, [F]),
    )
    expect(cuts).toBeGreaterThanOrEqual(5)
  }, 60_000)

  it('keeps the other hard link of a replaced file, with a link count that covers its names', async () => {
    const cuts = await everyCut(
      async (fs) => {
        await fs.mkdir('/a', 0o755)
        await fs.mkdir('/b', 0o755)
        await fs.mkdir('/c', 0o755)
        await put(fs, '/a/f', F)
        await put(fs, '/b/g', G)
        await fs.link('/b/g', '/c/h')
      },
      (fs) => fs.rename('/a/f', '/b/g'),
      (fs) => expectKept(fs, [F, G]),
    )
    expect(cuts).toBeGreaterThanOrEqual(5)
  }, 60_000)
})
