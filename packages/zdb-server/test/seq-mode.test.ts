/** Sequential mode over the wire (spec zdb.md §1 "SET", seq mode; §2 "Startup"; §4 `--mode`). */
import { encodeSeqKey } from '@qsfs/zdb-protocol'
import { describe, expect, it } from 'vitest'
import { ZdbModeMismatchError, type ZdbServerOptions } from '../src/index.js'
import { errorText, type TestClient, text } from './helpers/client.js'
import { serverFixture } from './helpers/fixture.js'
import { startServer } from './helpers/server.js'

const f = serverFixture()

async function start(options: Partial<ZdbServerOptions> = {}): Promise<TestClient> {
  await f.start(options)
  return f.connect()
}

const stopAll = (): Promise<void> => f.stop()

const id = (n: number): Buffer => encodeSeqKey(n)

describe('SET in a sequential namespace', () => {
  it('an empty key appends and replies the next id as 8 little-endian bytes', async () => {
    const c = await start({ mode: 'seq' })
    expect(await c.call('SET', '', 'first')).toEqual(id(0))
    expect(await c.call('SET', '', 'second')).toEqual(id(1))
    expect(text(await c.call('GET', id(0)))).toBe('first')
    expect(text(await c.call('GET', id(1)))).toBe('second')
    expect(await c.call('DBSIZE')).toBe(2)
  })

  it('an update replies the key and consumes one id: SET new→0, SET 0, SET new→2', async () => {
    const c = await start({ mode: 'seq' })
    expect(await c.call('SET', '', 'v1')).toEqual(id(0))
    expect(await c.call('SET', id(0), 'v2')).toEqual(id(0))
    expect(await c.call('SET', '', 'other')).toEqual(id(2))
    expect(text(await c.call('GET', id(0)))).toBe('v2')
    // Id 1 is the flagged copy of the old version: not a live key.
    expect(await c.call('GET', id(1))).toBeNull()
    expect(await c.call('EXISTS', id(1))).toBe(0)
    expect(await c.call('DBSIZE')).toBe(2)
  })

  it('an unchanged update replies nil and consumes no id', async () => {
    const c = await start({ mode: 'seq' })
    await c.call('SET', '', 'same')
    expect(await c.call('SET', id(0), 'same')).toBeNull()
    expect(await c.call('SET', '', 'next')).toEqual(id(1))
  })

  it('any key but a live 8-byte id is refused with -Invalid key, only update authorized', async () => {
    const c = await start({ mode: 'seq' })
    await c.call('SET', '', 'a')
    await c.call('SET', '', 'b')
    await c.call('DEL', id(1))
    for (const key of ['abc', id(7), id(1), id(0).subarray(0, 4), Buffer.concat([id(0), Buffer.of(0)])]) {
      expect(errorText(await c.call('SET', key, 'x'))).toBe('Invalid key, only update authorized')
    }
    expect(errorText(await c.call('SET', 'x'.repeat(256), 'x'))).toBe('Key too large')
  })

  it('GET, EXISTS, CHECK, LENGTH, KEYTIME and DEL address entries by their 8-byte id', async () => {
    const c = await start({ mode: 'seq', now: () => 1_700_000_000 })
    await c.call('SET', '', 'hello')
    expect(await c.call('EXISTS', id(0))).toBe(1)
    expect(await c.call('CHECK', id(0))).toBe(1)
    expect(await c.call('LENGTH', id(0))).toBe(5)
    expect(await c.call('KEYTIME', id(0))).toBe(1_700_000_000)
    expect(await c.call('GET', id(5))).toBeNull()
    expect(await c.call('GET', 'hello')).toBeNull()
    expect(await c.call('DEL', id(0))).toBe('OK')
    expect(await c.call('GET', id(0))).toBeNull()
    expect(await c.call('EXISTS', id(0))).toBe(0)
    expect(await c.call('CHECK', id(0))).toBeNull()
    expect(await c.call('LENGTH', id(0))).toBeNull()
    expect(errorText(await c.call('DEL', id(0)))).toBe('Key not found')
    expect(await c.call('DBSIZE')).toBe(0)
    // A deleted id is not reused.
    expect(await c.call('SET', '', 'again')).toEqual(id(1))
  })
})

describe('modes at startup', () => {
  it('ids, updates and deletes survive a restart across rotated files, and ids continue', async () => {
    // 20-byte values and a 100-byte datasize: two entries per data file.
    const value = (n: number): string => `value-${String(n).padStart(14, '0')}`
    let c = await start({ mode: 'seq', datasize: 100 })
    for (let n = 0; n < 7; n++) expect(await c.call('SET', '', value(n))).toEqual(id(n))
    expect(await c.call('SET', id(1), value(100))).toEqual(id(1))
    expect(await c.call('DEL', id(4))).toBe('OK')
    expect(await c.call('SET', '', value(8))).toEqual(id(8))
    await stopAll()
    // Mixed mode (no forced mode): the namespace keeps the mode of its header.
    c = await start({ datasize: 100 })
    expect(text(await c.call('GET', id(0)))).toBe(value(0))
    expect(text(await c.call('GET', id(1)))).toBe(value(100))
    expect(await c.call('GET', id(4))).toBeNull()
    expect(await c.call('GET', id(7))).toBeNull()
    for (const n of [2, 3, 5, 6, 8]) expect(text(await c.call('GET', id(n)))).toBe(value(n))
    expect(await c.call('DBSIZE')).toBe(7)
    expect(await c.call('SET', '', 'after restart')).toEqual(id(9))
    expect(await c.call('SET', id(9), 'updated after restart')).toEqual(id(9))
    expect(await c.call('SET', '', 'last')).toEqual(id(11))
    expect(text(await c.call('GET', id(9)))).toBe('updated after restart')
  })

  it('in mixed mode new namespaces are user mode', async () => {
    const c = await start()
    expect(await c.call('SET', 'k', 'v')).toEqual(Buffer.from('k'))
  })

  it('with mode seq NSNEW creates seq namespaces', async () => {
    const c = await start({ mode: 'seq' })
    expect(await c.call('NSNEW', 'seqns')).toBe('OK')
    expect(await c.call('SELECT', 'seqns')).toBe('OK')
    expect(await c.call('SET', '', 'v')).toEqual(id(0))
    expect(errorText(await c.call('SET', 'k', 'v'))).toBe('Invalid key, only update authorized')
  })

  it('a forced mode that differs from a namespace header is refused with ZdbModeMismatchError', async () => {
    await start({ mode: 'seq' })
    await stopAll()
    const err = await startServer(f.dirs, { mode: 'user' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ZdbModeMismatchError)
    expect((err as ZdbModeMismatchError).code).toBe('ERR_ZDB_MODE_MISMATCH')
    expect((err as Error).message).toMatch(/namespace "default" is in sequential mode/)
    // The locks were released: the right mode starts.
    const c = await start({ mode: 'seq' })
    expect(await c.call('PING')).toBe('PONG')
  })
})
