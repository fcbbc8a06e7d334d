/** HISTORY over the wire (spec zdb.md §1 "HISTORY"; upstream zdbd/commands_history.c). */
import { decodeHistoryKey, encodeHistoryKey, encodeSeqKey, type RespValue } from '@qsfs/zdb-protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ZdbServer } from '../src/index.js'
import { errorText, TestClient } from './helpers/client.js'
import { startServer, type TempDirs, tempDirs } from './helpers/server.js'

let dirs: TempDirs
let server: ZdbServer | undefined
let client: TestClient | undefined
let clock: number

async function start(options: Parameters<typeof startServer>[1] = {}): Promise<TestClient> {
  server = await startServer(dirs, { now: () => clock, ...options })
  client = await TestClient.connect(server.address.host, server.address.port)
  return client
}

beforeEach(() => {
  dirs = tempDirs()
  clock = 1_600_000_000
})
afterEach(async () => {
  await client?.close()
  await server?.close()
  client = undefined
  server = undefined
  dirs.remove()
})

interface Version {
  ekey: Buffer | null
  timestamp: string
  payload: string
}

/** Checks the reply shape `*3 ($8 ekey | $-1) $"<ts>" $payload` and returns it typed. */
function version(reply: RespValue): Version {
  expect(Array.isArray(reply) && reply.length).toBe(3)
  const [ekey, timestamp, payload] = reply as [Buffer | null, Buffer, Buffer]
  if (ekey !== null) expect(ekey.length).toBe(8)
  return { ekey, timestamp: timestamp.toString(), payload: payload.toString() }
}

/** Follows the chain from the newest version down to the `$-1` ekey. */
async function chain(c: TestClient, key: Buffer | string): Promise<Version[]> {
  const out = [version(await c.call('HISTORY', key))]
  while (out.at(-1)!.ekey !== null) out.push(version(await c.call('HISTORY', key, out.at(-1)!.ekey!)))
  return out
}

describe('HISTORY', () => {
  it('walks three versions of a key, newest first, down to a nil ekey, then -No more history', async () => {
    const c = await start({ datasize: 100 })
    for (const [i, value] of ['one'.padEnd(30, '1'), 'two'.padEnd(30, '2'), 'three'].entries()) {
      clock = 1_600_000_000 + i
      await c.call('SET', 'k', value)
      await c.call('SET', `other-${i}`, 'x')
    }
    const versions = await chain(c, 'k')
    expect(versions.map((v) => [v.timestamp, v.payload])).toEqual([
      ['1600000002', 'three'],
      ['1600000001', 'two'.padEnd(30, '2')],
      ['1600000000', 'one'.padEnd(30, '1')],
    ])
    // The versions sit in different files (30-byte values, 100-byte datasize).
    expect(decodeHistoryKey(versions[0]!.ekey!).indexFileId).toBeGreaterThan(
      decodeHistoryKey(versions[1]!.ekey!).indexFileId,
    )
    expect(errorText(await c.call('HISTORY', 'k', Buffer.alloc(8)))).toBe('No more history')
  })

  it('walks the versions of a sequential key through the flagged copies of its updates', async () => {
    const c = await start({ mode: 'seq' })
    const key = encodeSeqKey(0)
    await c.call('SET', '', 'v1')
    clock += 1
    await c.call('SET', key, 'v2')
    clock += 1
    await c.call('SET', key, 'v3')
    const versions = await chain(c, key)
    expect(versions.map((v) => v.payload)).toEqual(['v3', 'v2', 'v1'])
    expect(versions.map((v) => v.timestamp)).toEqual(['1600000002', '1600000001', '1600000000'])
  })

  it('answers upstream errors for bad arguments, unknown keys and forged ekeys', async () => {
    const c = await start()
    await c.call('SET', 'k', 'v1')
    await c.call('SET', 'k', 'v2')
    await c.call('SET', 'j', 'other')
    const ekey = version(await c.call('HISTORY', 'k')).ekey!
    expect(errorText(await c.call('HISTORY'))).toBe('Invalid arguments')
    expect(errorText(await c.call('HISTORY', 'k', ekey, 'x'))).toBe('Invalid arguments')
    expect(errorText(await c.call('HISTORY', 'missing'))).toBe('Key not found')
    expect(errorText(await c.call('HISTORY', 'k', 'short'))).toBe('Invalid arguments')
    expect(errorText(await c.call('HISTORY', 'j', ekey))).toBe('Invalid arguments (invalid key)')
    const nowhere = encodeHistoryKey({ indexFileId: 9, indexOffset: 29 })
    expect(errorText(await c.call('HISTORY', 'k', nowhere))).toBe('Invalid arguments (index query)')
    const pastEnd = encodeHistoryKey({ indexFileId: 0, indexOffset: 100_000 })
    expect(errorText(await c.call('HISTORY', 'k', pastEnd))).toBe('Invalid arguments (index query)')
    await c.call('DEL', 'j')
    expect(errorText(await c.call('HISTORY', 'j'))).toBe('Key not found')
    // An old version stays readable through its ekey after the key is deleted.
    await c.call('DEL', 'k')
    expect(version(await c.call('HISTORY', 'k', ekey)).payload).toBe('v1')
  })
})
