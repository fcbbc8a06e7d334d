/** SCAN/SCANX, RSCAN and KEYCUR over the wire (spec zdb.md §1 "SCAN / RSCAN", "KEYCUR"). */
import { decodeScanCursor, encodeScanCursor, encodeSeqKey, type RespValue } from '@qsfs/zdb-protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { crc32c } from '../src/crc32c.js'
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

interface Page {
  cursor: Buffer
  items: { key: string; size: number; time: number }[]
}

/** Checks the reply shape `*2 $17 *N (*3 $key :size :ts)..` and returns it typed. */
function page(reply: RespValue): Page {
  expect(Array.isArray(reply)).toBe(true)
  const [cursor, items] = reply as [Buffer, RespValue[]]
  expect(Buffer.isBuffer(cursor) && cursor.length).toBe(17)
  expect(Array.isArray(items) && items.length).toBeGreaterThan(0)
  return {
    cursor,
    items: items.map((item) => {
      const [key, size, time] = item as [Buffer, number, number]
      expect([Buffer.isBuffer(key), typeof size, typeof time]).toEqual([true, 'number', 'number'])
      return { key: key.toString('latin1'), size, time }
    }),
  }
}

/** Runs `cmd` then `cmd cursor` until `-No more data`; returns every page. */
async function walk(c: TestClient, cmd: 'SCAN' | 'RSCAN', from?: Buffer): Promise<Page[]> {
  const pages: Page[] = []
  let reply = await (from ? c.call(cmd, from) : c.call(cmd))
  while (!(reply instanceof Error)) {
    const p = page(reply)
    pages.push(p)
    reply = await c.call(cmd, p.cursor)
  }
  expect(reply.message).toBe('No more data')
  return pages
}

const keysOf = (pages: Page[]): string[] => pages.flatMap((p) => p.items.map((i) => i.key))

/** 20-byte values with a 100-byte datasize: two entries per data file. */
const v = (s: string): string => s.padEnd(20, '.')

async function fillWithRotation(c: TestClient): Promise<void> {
  for (const k of ['a', 'b', 'c', 'd', 'e']) await c.call('SET', k, v(k))
  await c.call('DEL', 'b')
  await c.call('SET', 'c', v('c2'))
  await c.call('SET', 'f', v('f'))
}

describe('SCAN and RSCAN', () => {
  it('SCAN walks live entries in write order across rotated files, skipping deleted and overwritten ones', async () => {
    let t = 1000
    const c = await start({ datasize: 100, now: () => t++ })
    await fillWithRotation(c)
    const pages = await walk(c, 'SCAN')
    expect(keysOf(pages)).toEqual(['a', 'd', 'e', 'c', 'f'])
    const items = pages.flatMap((p) => p.items)
    // The clock ticks once at boot, then once per SET or DEL.
    expect(items[0]).toEqual({ key: 'a', size: 20, time: 1001 })
    expect(items[3]).toEqual({ key: 'c', size: 20, time: 1007 })
    // The cursor of a page is that of its last entry.
    const last = decodeScanCursor(pages.at(-1)!.cursor)
    expect(last).toMatchObject({ idLength: 1, valueLength: 20, crc: crc32c(Buffer.from(v('f'))) })
    expect(last.indexFileId).toBeGreaterThan(0)
  })

  it('RSCAN walks the same entries backward and SCANX is SCAN', async () => {
    const c = await start({ datasize: 100 })
    await fillWithRotation(c)
    expect(keysOf(await walk(c, 'RSCAN'))).toEqual(['f', 'c', 'e', 'd', 'a'])
    const scanx = page(await c.call('SCANX'))
    expect(scanx.items.map((i) => i.key)).toEqual(['a', 'd', 'e', 'c', 'f'])
  })

  it('an empty or fully deleted namespace replies -No more data', async () => {
    const c = await start()
    expect(errorText(await c.call('SCAN'))).toBe('No more data')
    expect(errorText(await c.call('RSCAN'))).toBe('No more data')
    await c.call('SET', 'k', 'v')
    await c.call('DEL', 'k')
    expect(errorText(await c.call('SCAN'))).toBe('No more data')
    expect(errorText(await c.call('RSCAN'))).toBe('No more data')
  })

  it('a walk over more entries than one reply holds returns every live key once', async () => {
    // 2000 live keys: more than the 1024 one reply may hold, however fast the 2 ms slice runs.
    const c = await start()
    const keys = Array.from({ length: 3000 }, (_, i) => `key-${i}`)
    await c.pipeline(keys.map((k) => ['SET', k, 'x']))
    await c.pipeline(keys.filter((_, i) => i % 3 === 0).map((k) => ['DEL', k]))
    const live = keys.filter((_, i) => i % 3 !== 0)
    const forward = await walk(c, 'SCAN')
    expect(forward.length).toBeGreaterThan(1)
    expect(keysOf(forward)).toEqual(live)
    expect(keysOf(await walk(c, 'RSCAN'))).toEqual([...live].reverse())
  })

  it('a cursor stays valid after its key is overwritten or deleted', async () => {
    const c = await start({ datasize: 100 })
    await fillWithRotation(c)
    const cursor = (await c.call('KEYCUR', 'd')) as Buffer
    await c.call('SET', 'd', v('d2'))
    expect(keysOf(await walk(c, 'SCAN', cursor))).toEqual(['e', 'c', 'f', 'd'])
    expect(keysOf(await walk(c, 'RSCAN', cursor))).toEqual(['a'])
    await c.call('DEL', 'e')
    expect(keysOf(await walk(c, 'SCAN', cursor))).toEqual(['c', 'f', 'd'])
  })

  it('a cursor of the wrong size or that matches no entry gets -Invalid key format', async () => {
    const c = await start()
    await c.call('SET', 'k', 'value')
    const good = decodeScanCursor((await c.call('KEYCUR', 'k')) as Buffer)
    expect(errorText(await c.call('SCAN', 'xyz'))).toBe('Invalid key format')
    expect(errorText(await c.call('RSCAN', Buffer.alloc(18)))).toBe('Invalid key format')
    const forged = [
      { ...good, crc: (good.crc ^ 1) >>> 0 },
      { ...good, valueLength: 6 },
      { ...good, indexOffset: good.indexOffset + 1 },
      { ...good, indexFileId: 3 },
      { ...good, indexOffset: 0 },
    ]
    for (const cur of forged) {
      expect(errorText(await c.call('SCAN', encodeScanCursor(cur)))).toBe('Invalid key format')
    }
    // The genuine cursor of the only entry: nothing after it.
    expect(errorText(await c.call('SCAN', encodeScanCursor(good)))).toBe('No more data')
  })

  it('SCAN in a sequential namespace lists 8-byte ids and skips the copies that updates leave', async () => {
    const c = await start({ mode: 'seq' })
    await c.call('SET', '', 'v1')
    await c.call('SET', encodeSeqKey(0), 'v2')
    await c.call('SET', '', 'other')
    const seqKeys = (pages: Page[]): Buffer[] => keysOf(pages).map((k) => Buffer.from(k, 'latin1'))
    expect(seqKeys(await walk(c, 'SCAN'))).toEqual([encodeSeqKey(0), encodeSeqKey(2)])
    expect(seqKeys(await walk(c, 'RSCAN'))).toEqual([encodeSeqKey(2), encodeSeqKey(0)])
  })
})

describe('KEYCUR', () => {
  it('replies the 17-byte cursor of a live key, or -Key not found', async () => {
    const c = await start()
    await c.call('SET', 'first', '1')
    await c.call('SET', 'k', 'value')
    const cursor = decodeScanCursor((await c.call('KEYCUR', 'k')) as Buffer)
    expect(cursor).toEqual({
      idLength: 1,
      indexFileId: 0,
      valueLength: 5,
      indexOffset: 29 + 34 + 5,
      crc: crc32c(Buffer.from('value')),
    })
    expect(errorText(await c.call('KEYCUR', 'missing'))).toBe('Key not found')
    await c.call('DEL', 'k')
    expect(errorText(await c.call('KEYCUR', 'k'))).toBe('Key not found')
    expect(errorText(await c.call('KEYCUR'))).toBe('Unexpected arguments')
  })

  it('SCAN from a KEYCUR cursor continues after that key', async () => {
    const c = await start()
    for (const k of ['a', 'b', 'c']) await c.call('SET', k, k)
    const cursor = (await c.call('KEYCUR', 'a')) as Buffer
    expect(keysOf(await walk(c, 'SCAN', cursor))).toEqual(['b', 'c'])
  })
})
