/** NSINFO over the wire (spec zdb.md §1 "NSINFO"; upstream zdbd/commands_namespace.c). */
import { encodeSeqKey, parseNsInfo, type ZdbNsInfo } from '@qsfs/zdb-protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ZdbServer } from '../src/index.js'
import { errorText, TestClient } from './helpers/client.js'
import { startServer, type TempDirs, tempDirs } from './helpers/server.js'

let dirs: TempDirs
let server: ZdbServer | undefined
let client: TestClient | undefined

async function start(options: Parameters<typeof startServer>[1] = {}): Promise<TestClient> {
  server = await startServer(dirs, options)
  client = await TestClient.connect(server.address.host, server.address.port)
  return client
}

async function nsinfo(c: TestClient, name: string): Promise<ZdbNsInfo> {
  const reply = await c.call('NSINFO', name)
  expect(Buffer.isBuffer(reply)).toBe(true)
  return parseNsInfo(reply as Buffer)
}

beforeEach(() => {
  dirs = tempDirs()
})
afterEach(async () => {
  await client?.close()
  await server?.close()
  client = undefined
  server = undefined
  dirs.remove()
})

describe('NSINFO', () => {
  it('reports entries, live bytes, mode and the byte-swapped next id of a user namespace', async () => {
    const c = await start()
    await c.call('SET', 'a', 'xx')
    await c.call('SET', 'b', 'yyy')
    await c.call('SET', 'a', 'z')
    await c.call('DEL', 'b')
    const info = await nsinfo(c, 'default')
    expect(info).toMatchObject({
      name: 'default',
      entries: 1,
      public: true,
      worm: false,
      locked: false,
      password: false,
      dataSizeBytes: 1,
      dataLimitsBytes: 0,
      indexSizeBytes: 64 + 1,
      mode: 'userkey',
      // Two keys were inserted; upstream prints bswap_32(2).
      nextInternalId: '0x02000000',
      dataCurrentId: 0,
    })
    expect(info.raw.space_available).toBeUndefined()
    expect(info.indexDiskFreespaceBytes).toBeGreaterThan(0)
    expect(info.dataPath).toBe(`${dirs.dataDir}/default`)
    expect(info.dataActive).toBe(`${dirs.dataDir}/default/d0`)
    expect(info.indexActive).toBe(`${dirs.indexDir}/default/i0`)
    expect(info.dataCurrentOffset).toBeGreaterThan(28)
    expect(String(await c.call('NSINFO', 'default'))).toMatch(/^# namespace\nname: default\nentries: 1\n/)
  })

  it('reports a sequential namespace, whose next id counts the ids updates consumed', async () => {
    const c = await start({ mode: 'seq' })
    await c.call('SET', '', 'hello')
    await c.call('SET', encodeSeqKey(0), 'goodbye')
    await c.call('SET', '', 'abc')
    expect(await nsinfo(c, 'default')).toMatchObject({
      entries: 2,
      dataSizeBytes: 10,
      mode: 'sequential',
      nextInternalId: '0x03000000',
      indexSizeBytes: 0,
    })
  })

  it('answers -Namespace not found, -Namespace too long and argument errors', async () => {
    const c = await start()
    expect(errorText(await c.call('NSINFO', 'nope'))).toBe('Namespace not found')
    expect(errorText(await c.call('NSINFO', 'x'.repeat(129)))).toBe('Namespace too long')
    expect(errorText(await c.call('NSINFO'))).toBe('Unexpected arguments')
    await c.call('NSNEW', 'other')
    expect((await nsinfo(c, 'other')).entries).toBe(0)
  })
})
