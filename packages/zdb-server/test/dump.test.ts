/**
 * `zdb-server --dump` (spec zdb.md §4), through the built CLI (`dist/cli.js`): every entry of
 * every index file in write order, read-only. The expected offsets are worked out by hand from
 * the entry sizes of spec §2.
 */
import { spawnSync } from 'node:child_process'
import { appendFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { crc32c } from '../src/crc32c.js'
import { TestClient, text } from './helpers/client.js'
import { startServer, type TempDirs, tempDirs } from './helpers/server.js'

const CLI = join(import.meta.dirname, '../dist/cli.js')
const NOW = 1_700_000_000
let dirs: TempDirs

beforeEach(() => {
  dirs = tempDirs()
})
afterEach(() => dirs.remove())

function dump(...extra: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [CLI, '--dump', '--data', dirs.dataDir, '--index', dirs.indexDir, ...extra],
    {
      encoding: 'utf8',
      timeout: 15000,
    },
  )
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

const crc = (s: string): string => `0x${crc32c(Buffer.from(s)).toString(16).padStart(8, '0')}`
const hex = (s: string): string => Buffer.from(s).toString('hex')

/** Writes two namespaces: `default` over two file pairs, `seqns` in sequential mode. */
async function populate(): Promise<void> {
  const server = await startServer(dirs, { now: () => NOW })
  const c = await TestClient.connect(server.address.host, server.address.port)
  expect(text(await c.call('SET', 'k1', 'v1'))).toBe('k1')
  expect(text(await c.call('SET', 'k2', 'hello'))).toBe('k2')
  expect(text(await c.call('SET', 'k1', 'v2'))).toBe('k1')
  expect(await c.call('DEL', 'k2')).toBe('OK')
  expect(await c.call('NSJUMP')).toBe('OK')
  expect(text(await c.call('SET', 'k3', 'x'))).toBe('k3')
  expect(await c.call('NSNEW', 'seqns')).toBe('OK')
  expect(await c.call('NSSET', 'seqns', 'mode', 'seq')).toBe('OK')
  expect(await c.call('SELECT', 'seqns')).toBe('OK')
  expect(await c.call('SET', '', 'a')).toEqual(Buffer.alloc(8))
  await c.close()
  await server.close()
}

describe('zdb-server --dump', () => {
  it('prints every index entry of every namespace in write order, and exits 0', async () => {
    await populate()
    const r = dump()
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout.split('\n')).toEqual([
      'namespace=default mode=user index_files=2 data_files=2 entries=4 live=2',
      // data d0: header 28, entries of 18 + key + payload; index i0: header 29, 34 + key.
      `index=0:29 key=${hex('k1')} data=0:28 length=2 flags=1 timestamp=${NOW} crc=${crc('v1')}`,
      `index=0:65 key=${hex('k2')} data=0:50 length=5 flags=1 timestamp=${NOW} crc=${crc('hello')}`,
      `index=0:101 key=${hex('k1')} data=0:75 length=2 flags=0 timestamp=${NOW} crc=${crc('v2')}`,
      `index=1:29 key=${hex('k3')} data=1:28 length=1 flags=0 timestamp=${NOW} crc=${crc('x')}`,
      'namespace=seqns mode=seq index_files=1 data_files=1 entries=1 live=1',
      `index=0:29 key=0000000000000000 data=0:28 length=1 flags=0 timestamp=${NOW} crc=${crc('a')}`,
      '',
    ])
  })

  it('lists a torn index tail as far as it is whole, warns, and leaves the file as it was', async () => {
    await populate()
    const torn = join(dirs.indexDir, 'default', 'i1')
    appendFileSync(torn, Buffer.from([2, 1, 2, 3, 4, 5, 6, 7]))
    const size = statSync(torn).size
    const r = dump()
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(`index=1:29 key=${hex('k3')}`)
    expect(r.stderr.trim().split('\n')).toEqual([
      `zdb-server: ${torn}: torn index entry at offset 65 (8 bytes), not listed`,
    ])
    expect(statSync(torn).size).toBe(size)
  })

  it('a file that is not a 0-db v2 index exits 1 with one line', async () => {
    await populate()
    writeFileSync(join(dirs.indexDir, 'seqns', 'i0'), Buffer.alloc(40, 0x41))
    const r = dump()
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toEqual([
      `zdb-server: ${join(dirs.indexDir, 'seqns', 'i0')}: not a 0-db v2 index file (magic is not "IDX0")`,
    ])
  })

  it('without an index directory it exits 1 and creates nothing', () => {
    const r = dump()
    expect(r.status).toBe(1)
    expect(r.stderr.trim()).toBe(`zdb-server: --dump: there is no index directory ${dirs.indexDir}`)
    expect(() => statSync(dirs.indexDir)).toThrow()
  })
})
