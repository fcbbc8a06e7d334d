/** Our server specifically: persistence across restarts, crash recovery, rotation, locking. */
import { readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ZdbAddressInUseError, ZdbLockedError, type ZdbServerOptions } from '../src/index.js'
import { type TestClient, text } from './helpers/client.js'
import { serverFixture } from './helpers/fixture.js'
import { startServer, tempDirs } from './helpers/server.js'

const f = serverFixture()

async function start(options: Partial<ZdbServerOptions> = {}): Promise<TestClient> {
  await f.start(options)
  return f.connect()
}

const stopAll = (): Promise<void> => f.stop()

describe('persistence', () => {
  it('values, overwrites, deletes and namespaces survive a restart on the same directories', async () => {
    let c = await start()
    await c.call('SET', 'a', '1')
    await c.call('SET', 'b', '2')
    await c.call('SET', 'a', '3')
    await c.call('DEL', 'b')
    await c.call('NSNEW', 'other')
    await c.call('SELECT', 'other')
    await c.call('SET', 'x', 'in-other')
    await stopAll()
    c = await start()
    expect(text(await c.call('GET', 'a'))).toBe('3')
    expect(await c.call('GET', 'b')).toBeNull()
    expect(await c.call('DBSIZE')).toBe(1)
    expect(((await c.call('NSLIST')) as Buffer[]).map(String)).toEqual(['default', 'other'])
    await c.call('SELECT', 'other')
    expect(text(await c.call('GET', 'x'))).toBe('in-other')
  })

  it('a server starts after a crash tore its last index entry, and earlier keys read back', async () => {
    let c = await start()
    for (const k of ['a', 'b', 'c']) await c.call('SET', k, `value-${k}`)
    await stopAll()
    const i0 = join(f.dirs.indexDir, 'default', 'i0')
    truncateSync(i0, statSync(i0).size - 4)
    const warnings: string[] = []
    c = await start({ logger: { debug() {}, info() {}, error() {}, warn: (m) => void warnings.push(m) } })
    expect(await c.call('PING')).toBe('PONG')
    expect(text(await c.call('GET', 'a'))).toBe('value-a')
    expect(text(await c.call('GET', 'b'))).toBe('value-b')
    expect(await c.call('GET', 'c')).toBeNull()
    expect(warnings.some((w) => w.includes('torn index entry'))).toBe(true)
  })

  it('a tiny datasize rotates data and index files together and every value stays readable', async () => {
    let c = await start({ datasize: 1024 })
    const value = (i: number): Buffer => Buffer.alloc(300, i)
    for (let i = 0; i < 20; i++) await c.call('SET', `k${i}`, value(i))
    const files = (root: string): string[] =>
      readdirSync(join(root, 'default')).filter((f) => /^[id]\d+$/.test(f))
    const index = files(f.dirs.indexDir)
    const data = files(f.dirs.dataDir)
    expect(index.length).toBeGreaterThan(3)
    expect(data.map((f) => f.slice(1)).sort()).toEqual(index.map((f) => f.slice(1)).sort())
    for (let i = 0; i < 20; i++) expect(await c.call('GET', `k${i}`)).toEqual(value(i))
    await stopAll()
    c = await start({ datasize: 1024 })
    for (let i = 0; i < 20; i++) expect(await c.call('GET', `k${i}`)).toEqual(value(i))
    expect(await c.call('DBSIZE')).toBe(20)
  })
})

describe('exclusive use of the directories', () => {
  it('a second server on the same directories is refused with a typed error', async () => {
    await start()
    const err = await startServer(f.dirs).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ZdbLockedError)
    expect((err as ZdbLockedError).code).toBe('ERR_ZDB_LOCKED')
  })

  it('a lockfile held by another live process refuses the start; a dead owner is taken over', async () => {
    const { mkdirSync } = await import('node:fs')
    mkdirSync(f.dirs.dataDir, { recursive: true })
    writeFileSync(join(f.dirs.dataDir, '.lockfile'), String(process.ppid))
    await expect(startServer(f.dirs)).rejects.toBeInstanceOf(ZdbLockedError)
    writeFileSync(join(f.dirs.dataDir, '.lockfile'), '2147483646')
    const c = await start()
    expect(await c.call('PING')).toBe('PONG')
  })

  it('a busy port gives a typed error and releases the directories', async () => {
    await start()
    const other = tempDirs()
    try {
      const err = await startServer(other, { port: f.server!.address.port }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ZdbAddressInUseError)
      const retry = await startServer(other)
      await retry.close()
    } finally {
      other.remove()
    }
  })
})
