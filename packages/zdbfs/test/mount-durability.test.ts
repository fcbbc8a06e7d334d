/**
 * Durability and failure behaviour with real processes: kill -9 of the file system and of the
 * zdb, a zdb that goes away and comes back, and a dead mount left at the mountpoint.
 */
import { randomBytes } from 'node:crypto'
import * as fsp from 'node:fs/promises'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { forceUnmount, type MountProcess, run, startMount, tempMountpoint } from './helpers/mount-process.js'
import { startZdb, type ZdbProcess } from './helpers/zdb-process.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {})
}, 60_000)

async function setup(opts: string[] = []): Promise<{ zdb: ZdbProcess; m: MountProcess; mnt: string }> {
  const zdb = await startZdb()
  const mnt = tempMountpoint()
  cleanups.push(() => rm(zdb.dir, { recursive: true, force: true }))
  cleanups.push(() => rm(mnt, { recursive: true, force: true }))
  cleanups.push(() => forceUnmount(mnt))
  const m = await startMount({ port: zdb.port, mountpoint: mnt, opts })
  return { zdb, m, mnt }
}

const timed = async <T>(p: Promise<T>): Promise<{ ms: number; value: T | NodeJS.ErrnoException }> => {
  const t = Date.now()
  const value = await p.catch((e: NodeJS.ErrnoException) => e)
  return { ms: Date.now() - t, value }
}

describe('durability', () => {
  it('keeps what fsync returned for across kill -9 of the file system and the zdb, and replaces the dead mount', async () => {
    let { zdb, m, mnt } = await setup()
    const big = randomBytes(5 * 131072 + 777)
    await fsp.mkdir(join(mnt, 'd'))
    const fh = await fsp.open(join(mnt, 'd', 'big'), 'w')
    await fh.write(big)
    await fh.sync()
    await fh.close()
    const small = await fsp.open(join(mnt, 'small'), 'w')
    await small.write('just written')
    await small.sync()
    await small.close()
    await m.kill()
    await zdb.kill()
    expect(
      (await fsp.stat(mnt).catch((e: NodeJS.ErrnoException) => e)) as NodeJS.ErrnoException,
    ).toMatchObject({
      code: 'ENOTCONN',
    })
    zdb = await startZdb({ dir: zdb.dir, port: zdb.port })
    m = await startMount({ port: zdb.port, mountpoint: mnt })
    cleanups.push(
      () => zdb.stop(),
      () => m.stop(),
    )
    expect(m.output()).toMatch(/dead mount/)
    expect((await fsp.readFile(join(mnt, 'd', 'big'))).equals(big)).toBe(true)
    expect(await fsp.readFile(join(mnt, 'small'), 'utf8')).toBe('just written')
  }, 60_000)

  it('without fsync, keeps changes older than the sync interval (1 s) across kill -9', async () => {
    let { zdb, m, mnt } = await setup()
    await fsp.writeFile(join(mnt, 'unsynced'), 'written, closed, never fsynced')
    await fsp.mkdir(join(mnt, 'dir'))
    await new Promise((r) => setTimeout(r, 2500))
    await m.kill()
    await zdb.kill()
    zdb = await startZdb({ dir: zdb.dir, port: zdb.port })
    m = await startMount({ port: zdb.port, mountpoint: mnt })
    cleanups.push(
      () => zdb.stop(),
      () => m.stop(),
    )
    expect(await fsp.readFile(join(mnt, 'unsynced'), 'utf8')).toBe('written, closed, never fsynced')
    expect((await fsp.stat(join(mnt, 'dir'))).isDirectory()).toBe(true)
  }, 60_000)

  it('keeps everything across a clean unmount and remount', async () => {
    let { zdb, m, mnt } = await setup()
    cleanups.push(() => zdb.stop())
    const data = randomBytes(300_000)
    await fsp.writeFile(join(mnt, 'f'), data)
    await fsp.symlink('f', join(mnt, 'l'))
    await m.stop()
    m = await startMount({ port: zdb.port, mountpoint: mnt })
    cleanups.push(() => m.stop())
    expect((await fsp.readFile(join(mnt, 'l'))).equals(data)).toBe(true)
  }, 60_000)
})

describe('an unreachable zdb', () => {
  it('turns operations into EIO within the timeout, keeps df and cached stats answering, and recovers', async () => {
    let { zdb, m, mnt } = await setup(['timeout=1000'])
    cleanups.push(() => m.stop())
    await fsp.writeFile(join(mnt, 'old'), 'stored before')
    await m.stop()
    m = await startMount({ port: zdb.port, mountpoint: mnt, opts: ['timeout=1000'] })
    cleanups.push(() => m.stop())
    await fsp.stat(join(mnt, 'old')) // its inode is now cached, its block is not
    await zdb.kill()

    const read = await timed(fsp.readFile(join(mnt, 'old'), 'utf8'))
    expect((read.value as NodeJS.ErrnoException).code).toBe('EIO')
    expect(read.ms).toBeLessThan(5000)
    const df = await timed(run('df', ['-P', mnt], { timeout: 10_000 }))
    expect(df.ms).toBeLessThan(2000)
    const cached = await timed(fsp.stat(join(mnt, 'old')))
    expect(cached.ms).toBeLessThan(2000)

    // Overwriting every stored byte needs no read, so the write itself succeeds in memory.
    const fh = await fsp.open(join(mnt, 'old'), 'r+')
    await fh.write('during the outage', 0)
    const sync = await timed(fh.sync())
    expect((sync.value as NodeJS.ErrnoException).code).toBe('EIO')
    expect(sync.ms).toBeLessThan(5000)

    zdb = await startZdb({ dir: zdb.dir, port: zdb.port })
    cleanups.push(() => zdb.stop())
    expect((await fsp.readdir(mnt)).sort()).toEqual(['old'])
    await fh.sync()
    await fh.close()
    expect(await fsp.readFile(join(mnt, 'old'), 'utf8')).toBe('during the outage')
  }, 60_000)

  it('makes mount() fail with a clear message when the zdb is not there', async () => {
    const mnt = tempMountpoint()
    cleanups.push(() => rm(mnt, { recursive: true, force: true }))
    const err = await startMount({ port: 1, mountpoint: mnt, opts: ['timeout=500'] }).catch((e: Error) => e)
    expect(String(err)).toMatch(/ERR_ZDBFS_ZDB: cannot reach zdb localhost:1/)
  }, 30_000)
})
