import { rm } from 'node:fs/promises'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ZdbfsNoSpaceError, ZdbfsZdbError } from '../src/errors.js'
import { openZdbNamespace } from '../src/zdb-namespace.js'
import { startZdb, type ZdbProcess } from './helpers/zdb-process.js'

let zdb: ZdbProcess
let admin: Redis

beforeAll(async () => {
  zdb = await startZdb()
  admin = new Redis({
    port: zdb.port,
    protocol: 2,
    disableClientInfo: true,
    enableReadyCheck: false,
    lazyConnect: true,
  })
  await admin.connect()
  for (const ns of ['t1', 't2', 'full']) await admin.call('NSNEW', ns)
  await admin.call('NSSET', 'full', 'maxsize', '100')
})

afterAll(async () => {
  admin?.disconnect()
  await zdb?.stop()
  if (zdb) await rm(zdb.dir, { recursive: true, force: true })
})

describe('a zdb namespace over ioredis', () => {
  it('appends with SET "", returning sequential ids from 0, and updates and deletes them', async () => {
    const ns = await openZdbNamespace({ port: zdb.port, namespace: 't1', timeout: 2000 })
    expect(await ns.insert(Buffer.from('header'))).toBe(0)
    expect(await ns.insert(Buffer.from('one'))).toBe(1)
    await ns.update(1, Buffer.from('uno'))
    await ns.update(1, Buffer.from('uno')) // unchanged: nil reply, still fine
    expect((await ns.get(1))?.toString()).toBe('uno')
    expect(await ns.get(999)).toBeNull()
    await ns.del(1)
    await ns.del(1) // already gone: fine
    expect(await ns.get(1)).toBeNull()
    expect((await ns.stats()).entries).toBe(1)
    await ns.close()
  })

  it('selects its namespace, so writes never land in another one', async () => {
    const a = await openZdbNamespace({ port: zdb.port, namespace: 't2', timeout: 2000 })
    await a.insert(Buffer.from('x'))
    await a.close()
    await admin.call('SELECT', 'default')
    expect(await admin.call('DBSIZE')).toBe(0)
  })

  it('refuses an update of an id that was never created', async () => {
    const ns = await openZdbNamespace({ port: zdb.port, namespace: 't1', timeout: 2000 })
    await expect(ns.update(12345, Buffer.from('v'))).rejects.toThrow(/only update authorized/)
    await ns.close()
  })

  it('reports a full namespace as ZdbfsNoSpaceError', async () => {
    const ns = await openZdbNamespace({ port: zdb.port, namespace: 'full', timeout: 2000 })
    await expect(ns.insert(Buffer.alloc(200))).rejects.toBeInstanceOf(ZdbfsNoSpaceError)
    await ns.close()
  })

  it('fails with ZdbfsZdbError within the timeout when the namespace does not exist', async () => {
    const started = Date.now()
    await expect(openZdbNamespace({ port: zdb.port, namespace: 'missing', timeout: 500 })).rejects.toThrow(
      /Namespace not found/,
    )
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('fails with ZdbfsZdbError within the timeout when nothing listens', async () => {
    const started = Date.now()
    const err = await openZdbNamespace({ port: 1, namespace: 'x', timeout: 500 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ZdbfsZdbError)
    expect((err as ZdbfsZdbError).code).toBe('ERR_ZDBFS_ZDB')
    expect(Date.now() - started).toBeLessThan(3000)
  })
})

describe('a zdb that restarts', () => {
  it('fails calls after the timeout while it is down, and serves them again, re-selected, once it is back', async () => {
    const own = await startZdb()
    const setup = new Redis({ port: own.port, protocol: 2, disableClientInfo: true, enableReadyCheck: false })
    await setup.call('NSNEW', 'r')
    setup.disconnect()
    const ns = await openZdbNamespace({ port: own.port, namespace: 'r', timeout: 800 })
    await ns.insert(Buffer.from('h'))
    const id = await ns.insert(Buffer.from('before'))
    await own.kill()
    const started = Date.now()
    await expect(ns.get(id)).rejects.toBeInstanceOf(ZdbfsZdbError)
    expect(Date.now() - started).toBeLessThan(2500)
    const back = await startZdb({ dir: own.dir, port: own.port })
    expect((await ns.get(id))?.toString()).toBe('before')
    expect(await ns.insert(Buffer.from('after'))).toBe(id + 1)
    await ns.close()
    await back.stop()
    await rm(own.dir, { recursive: true, force: true })
  })
})
