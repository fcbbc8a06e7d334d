/**
 * The value cache (value-cache.ts) on real servers: reads it serves need no disk read, and no
 * read ever returns a value the files do not hold (overwrite, DEL, FLUSH, NSDEL + NSNEW,
 * RELOAD over replaced files, restart, eviction).
 */
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ZdbOptionError } from '../src/index.js'
import { MIN_CACHE_BYTES } from '../src/value-cache.js'
import { type TestClient, text } from './helpers/client.js'
import { serverFixture } from './helpers/fixture.js'
import { type ModelOp, model, shown } from './helpers/kv-model.js'

const f = serverFixture()

/** INFO fields as numbers. */
async function info(c: TestClient): Promise<Record<string, number>> {
  const body = text(await c.call('INFO'))!
  const out: Record<string, number> = {}
  for (const line of body.split('\n')) {
    const m = /^([a-z_]+): (\d+)$/.exec(line)
    if (m) out[m[1]!] = Number(m[2])
  }
  return out
}

/** Disk bytes read by `fn`'s commands. */
async function diskReads(c: TestClient, fn: () => Promise<void>): Promise<number> {
  const before = (await info(c)).data_disk_read_bytes!
  await fn()
  return (await info(c)).data_disk_read_bytes! - before
}

/** A private namespace with a password (FLUSH needs one), selected. */
async function privateNamespace(c: TestClient, name: string): Promise<void> {
  expect(await c.call('NSNEW', name)).toBe('OK')
  expect(await c.call('NSSET', name, 'password', 'pw')).toBe('OK')
  expect(await c.call('NSSET', name, 'public', '0')).toBe('OK')
  expect(await c.call('SELECT', name, 'pw')).toBe('OK')
}

describe('the value cache', () => {
  it('serves a GET of a value just written without reading the disk', async () => {
    await f.start()
    const c = await f.connect()
    expect(text(await c.call('SET', 'k', 'hello'))).toBe('k')
    const before = await info(c)
    expect(
      await diskReads(c, async () => {
        expect(text(await c.call('GET', 'k'))).toBe('hello')
      }),
    ).toBe(0)
    const after = await info(c)
    expect(after.value_cache_hits).toBe(before.value_cache_hits! + 1)
    expect(after.value_cache_entries).toBe(1)
    expect(after.value_cache_limit_bytes).toBe(32 * 1024 * 1024)
  })

  it('answers an unchanged SET with nil without reading the disk, and a changed one with the key', async () => {
    await f.start()
    const c = await f.connect()
    await c.call('SET', 'k', 'same')
    expect(
      await diskReads(c, async () => {
        expect(await c.call('SET', 'k', 'same')).toBeNull()
      }),
    ).toBe(0)
    expect(text(await c.call('SET', 'k', 'diff'))).toBe('k')
    expect(text(await c.call('SET', 'k', 'same'))).toBe('k')
    expect(text(await c.call('GET', 'k'))).toBe('same')
  })

  it('reads the disk for every GET with cacheSize 0', async () => {
    await f.start({ cacheSize: 0 })
    const c = await f.connect()
    await c.call('SET', 'k', 'hello')
    expect(
      await diskReads(c, async () => {
        expect(text(await c.call('GET', 'k'))).toBe('hello')
        expect(await c.call('SET', 'k', 'hello')).toBeNull()
      }),
    ).toBe(10)
    expect((await info(c)).value_cache_limit_bytes).toBe(0)
  })

  it('caches a value read from disk, so the next read of it needs none', async () => {
    await f.start()
    const c = await f.connect()
    await c.call('SET', 'k', 'hello')
    await f.stop()
    await f.start()
    const d = await f.connect()
    expect(await diskReads(d, async () => void (await d.call('GET', 'k')))).toBe(5)
    expect(await diskReads(d, async () => void (await d.call('GET', 'k')))).toBe(0)
    expect(text(await d.call('GET', 'k'))).toBe('hello')
  })

  it('never keeps a value over 64 KiB', async () => {
    await f.start()
    const c = await f.connect()
    const big = Buffer.alloc(64 * 1024 + 1, 0x62)
    await c.call('SET', 'big', big)
    expect(await diskReads(c, async () => expect(await c.call('GET', 'big')).toEqual(big))).toBe(big.length)
  })

  it('reads the new value after an overwrite, nil after a DEL, and the value again once set back', async () => {
    await f.start({ cacheSize: MIN_CACHE_BYTES })
    const c = await f.connect()
    await c.call('SET', 'k', 'one')
    expect(text(await c.call('GET', 'k'))).toBe('one')
    await c.call('SET', 'k', 'two')
    expect(text(await c.call('GET', 'k'))).toBe('two')
    expect(await c.call('DEL', 'k')).toBe('OK')
    expect(await c.call('GET', 'k')).toBeNull()
    expect(text(await c.call('SET', 'k', 'one'))).toBe('k')
    expect(text(await c.call('GET', 'k'))).toBe('one')
  })

  it('after FLUSH, a value written at the same place as an old one reads back as the new one', async () => {
    await f.start()
    const c = await f.connect()
    await privateNamespace(c, 'p')
    await c.call('SET', 'k', 'aaaa')
    expect(text(await c.call('GET', 'k'))).toBe('aaaa')
    expect(await c.call('FLUSH')).toBe('OK')
    expect(await c.call('GET', 'k')).toBeNull()
    // Same key and length: the same offset of the same d0, now in emptied files.
    expect(text(await c.call('SET', 'k', 'bbbb'))).toBe('k')
    expect(text(await c.call('GET', 'k'))).toBe('bbbb')
    expect(await c.call('SET', 'k', 'aaaa')).toEqual(Buffer.from('k'))
  })

  it('after NSDEL and NSNEW of the same name, the new namespace reads its own values', async () => {
    await f.start()
    const c = await f.connect()
    await c.call('NSNEW', 'n')
    await c.call('SELECT', 'n')
    await c.call('SET', 'k', 'old!')
    expect(text(await c.call('GET', 'k'))).toBe('old!')
    await c.call('SELECT', 'default')
    expect(await c.call('NSDEL', 'n')).toBe('OK')
    expect(await c.call('NSNEW', 'n')).toBe('OK')
    await c.call('SELECT', 'n')
    expect(await c.call('GET', 'k')).toBeNull()
    // Same key and length: the same offset of a d0 of the same path as the removed one's.
    expect(text(await c.call('SET', 'k', 'new!'))).toBe('k')
    expect(text(await c.call('GET', 'k'))).toBe('new!')
    expect(text(await c.call('SET', 'k', 'old!'))).toBe('k')
    expect(text(await c.call('GET', 'k'))).toBe('old!')
  })

  it('after RELOAD of replaced files, reads what the new files hold', async () => {
    await f.start()
    const c = await f.connect()
    await c.call('NSNEW', 'x')
    await c.call('NSNEW', 'y')
    await c.call('SELECT', 'x')
    await c.call('SET', 'k', 'xxxx')
    expect(text(await c.call('GET', 'k'))).toBe('xxxx')
    await c.call('SELECT', 'y')
    await c.call('SET', 'k', 'yyyy')
    // x's files become y's (same layout: the value sits at the same offset), then RELOAD.
    for (const [root, name] of [
      [f.dirs.indexDir, 'i0'],
      [f.dirs.dataDir, 'd0'],
    ] as const) {
      copyFileSync(join(root, 'y', name), join(root, 'x', name))
    }
    await c.call('SELECT', 'default')
    expect(await c.call('RELOAD', 'x')).toBe('OK')
    await c.call('SELECT', 'x')
    expect(text(await c.call('GET', 'k'))).toBe('yyyy')
  })

  it('reads every value back after a restart', async () => {
    await f.start()
    const c = await f.connect()
    for (let i = 0; i < 50; i++) await c.call('SET', `k${i}`, `v${i}`)
    await f.stop()
    await f.start()
    const d = await f.connect()
    for (let i = 0; i < 50; i++) expect(text(await d.call('GET', `k${i}`))).toBe(`v${i}`)
  })

  it('answers right for an evicted value: unchanged SET nil (read from disk), GET its value', async () => {
    await f.start({ cacheSize: MIN_CACHE_BYTES })
    const c = await f.connect()
    const value = 'v'.repeat(300)
    await c.call('SET', 'k', value)
    for (let i = 0; i < 40; i++) await c.call('SET', `other${i}`, String(i).repeat(300).slice(0, 300))
    const reads = await diskReads(c, async () => {
      expect(await c.call('SET', 'k', value)).toBeNull()
      expect(text(await c.call('GET', 'k'))).toBe(value)
    })
    expect(reads).toBe(300)
  })

  it('serves sequential-mode reads and unchanged updates too', async () => {
    await f.start({ mode: 'seq' })
    const c = await f.connect()
    const id = (await c.call('SET', '', 'first')) as Buffer
    expect(await diskReads(c, async () => expect(text(await c.call('GET', id))).toBe('first'))).toBe(0)
    expect(await c.call('SET', id, 'first')).toBeNull()
    expect(text(await c.call('SET', id, 'other'))).toBe(id.toString('latin1'))
    expect(text(await c.call('GET', id))).toBe('other')
  })

  it('cacheSize must be 0 or 4096..2^32-1 bytes', async () => {
    for (const cacheSize of [-1, 1, 4095, 2 ** 32, 1.5]) {
      await expect(f.start({ cacheSize })).rejects.toBeInstanceOf(ZdbOptionError)
    }
  })
})

type Op = ModelOp

const KEYS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']
const key = fc.constantFrom(...KEYS)
// A few repeated values, so that unchanged SETs are frequent, and random ones of any size up
// to the tiny cache's largest.
const value = fc.oneof(
  fc.constantFrom('', 'x', 'same-value', 'y'.repeat(200), 'z'.repeat(700)),
  fc.string({ maxLength: 300 }),
)
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('SET' as const), key, value }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('DEL' as const), key }) },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('GET' as const), key }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('FLUSH' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('NSJUMP' as const) }) },
)

describe('the value cache, under constant eviction', () => {
  it('any pipelined mix of SET, DEL, GET, FLUSH and NSJUMP answers as a model does, and after a restart', async () => {
    let hits = 0
    let diskRead = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { minLength: 1, maxLength: 40, size: 'max' }), {
          minLength: 1,
          maxLength: 5,
          size: 'max',
        }),
        fc.constantFrom(undefined, 900),
        async (turns, datasize) => {
          const options = { cacheSize: MIN_CACHE_BYTES, ...(datasize === undefined ? {} : { datasize }) }
          await f.start(options)
          const c = await f.connect()
          await privateNamespace(c, 'p')
          const want = model(turns)
          for (const [i, ops] of turns.entries()) {
            const got = await c.pipeline(
              ops.map((o) =>
                o.op === 'SET'
                  ? [o.op, o.key, o.value]
                  : o.op === 'GET' || o.op === 'DEL'
                    ? [o.op, o.key]
                    : [o.op],
              ),
            )
            expect(got.map(shown)).toEqual(want.replies[i])
          }
          const holds = async (d: TestClient) => {
            for (const k of KEYS) expect(text(await d.call('GET', k)), k).toBe(want.state.get(k) ?? null)
            expect(await d.call('DBSIZE')).toBe(want.state.size)
          }
          await holds(c)
          const stats = await info(c)
          hits += stats.value_cache_hits!
          diskRead += stats.data_disk_read_bytes!
          await f.stop()
          await f.start(options)
          const d = await f.connect()
          expect(await d.call('SELECT', 'p', 'pw')).toBe('OK')
          await holds(d)
          await f.stop()
          f.dirs.remove()
        },
      ),
      { seed: 0xcace, numRuns: 100 },
    )
    // Both paths ran: reads served by the cache, and reads of evicted values from disk.
    expect(hits).toBeGreaterThan(200)
    expect(diskRead).toBeGreaterThan(1_000)
  }, 120_000)
})
