/** `--rotate N` and `--secure` (spec zdb.md §4): timed jumps to the next file pair. */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { text } from './helpers/client.js'
import { serverFixture } from './helpers/fixture.js'

const f = serverFixture()
const files = (root: string) =>
  readdirSync(join(root, 'default'))
    .filter((n) => /^[id]\d+$/.test(n))
    .sort()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('timed rotation', () => {
  it('--rotate jumps a namespace with data to the next files every N seconds, never an empty pair', async () => {
    await f.start({ rotate: 1, secure: true })
    const c = await f.connect()
    expect(text(await c.call('SET', 'a', '1'))).toBe('a')
    await sleep(1300)
    expect(files(f.dirs.indexDir)).toEqual(['i0', 'i1'])
    expect(files(f.dirs.dataDir)).toEqual(['d0', 'd1'])
    // Files 1 hold nothing yet: the next tick leaves them.
    await sleep(1100)
    expect(files(f.dirs.indexDir)).toEqual(['i0', 'i1'])
    expect(text(await c.call('SET', 'b', '2'))).toBe('b')
    await f.stop()
    await f.start()
    const d = await f.connect()
    expect(text(await d.call('GET', 'a'))).toBe('1')
    expect(text(await d.call('GET', 'b'))).toBe('2')
  })
})
