/** NSDEL, FLUSH, NSJUMP, RELOAD, DATA RAW and INDEX DIRTY (spec §1). */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { crc32c } from '../src/crc32c.js'
import type { ZdbServerOptions } from '../src/index.js'
import { errorText, type TestClient, text } from './helpers/client.js'
import { serverFixture } from './helpers/fixture.js'

const TS = 1_600_000_000
const f = serverFixture()

async function start(options: Partial<ZdbServerOptions> = {}): Promise<TestClient> {
  await f.start({ now: () => TS, ...options })
  return connect()
}

const connect = (): Promise<TestClient> => f.connect()

async function restart(): Promise<TestClient> {
  await f.stop()
  return start()
}

const files = (root: string, ns: string): string[] => readdirSync(join(root, ns)).sort()

describe('NSDEL', () => {
  it('removes the namespace and its directories', async () => {
    const c = await start()
    await c.call('NSNEW', 'x')
    expect(await c.call('NSDEL', 'x')).toBe('OK')
    expect(await c.call('NSLIST')).toEqual([Buffer.from('default')])
    expect(existsSync(join(f.dirs.indexDir, 'x'))).toBe(false)
    expect(existsSync(join(f.dirs.dataDir, 'x'))).toBe(false)
    // The name can be used again, for an empty namespace.
    expect(await c.call('NSNEW', 'x')).toBe('OK')
  })

  it('errors: default, missing, the namespace in use, long names', async () => {
    const c = await start()
    await c.call('NSNEW', 'x')
    expect(errorText(await c.call('NSDEL', 'default'))).toBe('Cannot remove default namespace')
    expect(errorText(await c.call('NSDEL', 'nope'))).toBe("This namespace doesn't exists")
    expect(errorText(await c.call('NSDEL', 'n'.repeat(129)))).toBe('Namespace too long')
    expect(errorText(await c.call('NSDEL'))).toBe('Unexpected arguments')
    await c.call('SELECT', 'x')
    expect(errorText(await c.call('NSDEL', 'x'))).toBe("Cannot remove namespace you're currently using.")
  })

  it('another client attached to it is told its namespace is gone, then disconnected', async () => {
    const admin = await start()
    await admin.call('NSNEW', 'x')
    const other = await connect()
    expect(await other.call('SELECT', 'x')).toBe('OK')
    expect(await admin.call('NSDEL', 'x')).toBe('OK')
    expect(errorText(await other.call('PING'))).toBe(
      'Your active namespace is not available anymore (probably removed).',
    )
    await other.ended
    // A new namespace under the same name is another, empty namespace.
    expect(await admin.call('NSNEW', 'x')).toBe('OK')
    const again = await connect()
    expect(await again.call('SELECT', 'x')).toBe('OK')
    expect(await again.call('DBSIZE')).toBe(0)
  })
})

describe('FLUSH', () => {
  async function privateNamespace(): Promise<TestClient> {
    const c = await start({ datasize: 64 })
    await c.call('NSNEW', 'x')
    await c.call('NSSET', 'x', 'password', 'pw')
    await c.call('NSSET', 'x', 'public', '0')
    await c.call('NSSET', 'x', 'maxsize', '1000')
    expect(await c.call('SELECT', 'x', 'pw')).toBe('OK')
    return c
  }

  it('really empties a private namespace: DBSIZE 0, files reset, settings kept, still empty after restart', async () => {
    const c = await privateNamespace()
    for (let i = 0; i < 6; i++) await c.call('SET', `k${i}`, 'v'.repeat(20))
    expect(files(f.dirs.indexDir, 'x').length).toBeGreaterThan(2)
    expect(await c.call('FLUSH')).toBe('OK')
    expect(await c.call('DBSIZE')).toBe(0)
    expect(await c.call('GET', 'k0')).toBe(null)
    expect(errorText(await c.call('SCAN'))).toBe('No more data')
    expect(files(f.dirs.indexDir, 'x')).toEqual(['i0', 'zdb-namespace'])
    expect(files(f.dirs.dataDir, 'x')).toEqual(['d0'])
    expect(statSync(join(f.dirs.indexDir, 'x', 'i0')).size).toBe(29)
    expect(statSync(join(f.dirs.dataDir, 'x', 'd0')).size).toBe(28)
    expect(text(await c.call('SET', 'new', 'v'))).toBe('new')
    const d = await restart()
    expect(await d.call('SELECT', 'x', 'pw')).toBe('OK')
    expect(await d.call('DBSIZE')).toBe(1)
    expect(await d.call('GET', 'k0')).toBe(null)
    const info = text(await d.call('NSINFO', 'x'))
    expect(info).toContain('public: no')
    expect(info).toContain('data_limits_bytes: 1000')
  })

  it('keeps a sequential namespace sequential', async () => {
    const c = await start()
    await c.call('NSNEW', 'x')
    await c.call('NSSET', 'x', 'mode', 'seq')
    await c.call('NSSET', 'x', 'password', 'pw')
    await c.call('NSSET', 'x', 'public', '0')
    await c.call('SELECT', 'x', 'pw')
    await c.call('SET', '', 'a')
    expect(await c.call('FLUSH')).toBe('OK')
    expect(await c.call('SET', '', 'b')).toEqual(Buffer.alloc(8))
  })

  it('is refused on a public namespace or one without password', async () => {
    const c = await start()
    expect(errorText(await c.call('FLUSH'))).toBe('Flushing public namespace denied')
    await c.call('NSNEW', 'x')
    await c.call('NSSET', 'x', 'public', '0')
    await c.call('SELECT', 'x')
    await c.call('SET', 'k', 'v')
    expect(errorText(await c.call('FLUSH'))).toBe('Flushing public namespace denied')
    await c.call('NSSET', 'x', 'public', '1')
    await c.call('NSSET', 'x', 'password', 'pw')
    await c.call('SELECT', 'x', 'pw')
    expect(errorText(await c.call('FLUSH'))).toBe('Flushing public namespace denied')
    expect(await c.call('DBSIZE')).toBe(1)
  })
})

describe('NSJUMP and RELOAD', () => {
  it('NSJUMP moves to i1/d1; entries in both files stay readable, after a restart too', async () => {
    const c = await start()
    await c.call('SET', 'a', '1')
    expect(await c.call('NSJUMP')).toBe('OK')
    expect(files(f.dirs.indexDir, 'default')).toContain('i1')
    expect(files(f.dirs.dataDir, 'default')).toContain('d1')
    await c.call('SET', 'b', '2')
    expect(text(await c.call('NSINFO', 'default'))).toContain('data_current_id: 1')
    const d = await restart()
    expect(text(await d.call('GET', 'a'))).toBe('1')
    expect(text(await d.call('GET', 'b'))).toBe('2')
  })

  it('NSJUMP from files that hold no entry yet still moves to the next files, as upstream', async () => {
    const c = await start()
    expect(await c.call('NSJUMP')).toBe('OK')
    expect(files(f.dirs.indexDir, 'default')).toContain('i1')
    expect(files(f.dirs.dataDir, 'default')).toContain('d1')
    await c.call('SET', 'a', '1')
    expect(text(await (await restart()).call('GET', 'a'))).toBe('1')
  })

  it('RELOAD replays the namespace from disk; errors for missing names', async () => {
    const c = await start()
    await c.call('SET', 'a', '1')
    await c.call('SET', 'a', '2')
    expect(await c.call('RELOAD', 'default')).toBe('OK')
    expect(text(await c.call('GET', 'a'))).toBe('2')
    expect(await c.call('DBSIZE')).toBe(1)
    expect(errorText(await c.call('RELOAD', 'nope'))).toBe('Namespace not found')
    expect(errorText(await c.call('RELOAD'))).toBe('Unexpected arguments')
  })
})

describe('DATA RAW', () => {
  it('returns key, previous, crc, flags, timestamp and payload of the entry at an offset', async () => {
    const c = await start()
    await c.call('SET', 'a', 'first')
    await c.call('SET', 'XYZ', 'XYZ')
    // d0: header 28, entry "a" at 28 (18 + 1 + 5 bytes), entry "XYZ" at 52.
    const crc = crc32c(Buffer.from('first')).toString(16).padStart(8, '0')
    expect(await c.call('DATA', 'RAW', '0', '28')).toEqual([
      Buffer.from('a'),
      0,
      Buffer.from(`0x${crc}`),
      0,
      TS,
      Buffer.from('first'),
    ])
    expect(await c.call('DATA', 'RAW', '0', '52')).toEqual([
      Buffer.from('XYZ'),
      28,
      Buffer.from('0xfb355d37'),
      0,
      TS,
      Buffer.from('XYZ'),
    ])
  })

  it('errors: -EOF at the end, -Unexpected Internal Error off an entry or on a deleted one, -Invalid Request for a missing file', async () => {
    const c = await start()
    await c.call('SET', 'a', 'first')
    await c.call('DEL', 'a')
    // d0: header 28, "a" at 28 (24 bytes), the DEL marker at 52 (19 bytes), end at 71.
    expect(errorText(await c.call('DATA', 'RAW', '0', '71'))).toBe('EOF')
    expect(errorText(await c.call('DATA', 'RAW', '0', '1000'))).toBe('EOF')
    expect(errorText(await c.call('DATA', 'RAW', '0', '3'))).toBe('Unexpected Internal Error')
    expect(errorText(await c.call('DATA', 'RAW', '0', '52'))).toBe('Unexpected Internal Error')
    expect(errorText(await c.call('DATA', 'RAW', '7', '28'))).toBe('Invalid Request')
    expect(errorText(await c.call('DATA'))).toBe('Missing arguments')
    expect(errorText(await c.call('DATA', 'RAW', '0'))).toBe('Unexpected arguments')
  })
})

describe('INDEX DIRTY', () => {
  it('lists index files edited in place since the last reset; RESET clears the list', async () => {
    const c = await start()
    await c.call('SET', 'a', '1')
    expect(await c.call('INDEX', 'DIRTY')).toEqual([])
    await c.call('NSJUMP')
    await c.call('SET', 'a', '2')
    // The overwrite flagged a's old entry in i0.
    expect(await c.call('INDEX', 'DIRTY')).toEqual([0])
    await c.call('SET', 'b', '1')
    await c.call('DEL', 'b')
    expect(await c.call('INDEX', 'DIRTY')).toEqual([0, 1])
    expect(await c.call('INDEX', 'dirty', 'reset')).toBe('OK')
    expect(await c.call('INDEX', 'DIRTY')).toEqual([])
  })

  it('errors: unknown subcommands and missing arguments', async () => {
    const c = await start()
    expect(errorText(await c.call('INDEX'))).toBe('Missing arguments')
    expect(errorText(await c.call('INDEX', 'CLEAN'))).toBe('Unknown INDEX subcommand')
    expect(errorText(await c.call('INDEX', 'DIRTY', 'CLEAR'))).toBe('Unknown INDEX DIRTY subcommand')
    expect(errorText(await c.call('INDEX', 'x'.repeat(257)))).toBe('Argument too long')
  })
})
