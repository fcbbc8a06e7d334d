import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  compareNames,
  decodeDirlist,
  dirlistIndex,
  encodeDirlist,
  searchEntries,
} from '../src/dirlist-codec.js'
import { ZdbfsFormatError } from '../src/errors.js'
import { sortEntries, specDirlist, specListOf } from './helpers/spec-bytes.js'

const entries = (pairs: [string, number][]) => pairs.map(([n, ino]) => ({ name: Buffer.from(n), ino }))

describe('the dirlist serialization (spec §1)', () => {
  it('puts . in list 46 and .. in list 92, any name in byte-sum % 128', () => {
    expect(dirlistIndex(Buffer.from('.'))).toBe(46)
    expect(dirlistIndex(Buffer.from('..'))).toBe(92)
    for (const name of ['a', 'hello.txt', 'é', 'x'.repeat(255)]) {
      expect(dirlistIndex(Buffer.from(name))).toBe(specListOf(name))
    }
  })

  it('is {u64 own key, u32 count, 4 bytes} then {u16 len, u64 ino, name, NUL} entries', () => {
    const list = {
      key: 77,
      entries: entries([
        ['alpha', 5],
        ['beta', 2 ** 40],
      ]),
    }
    expect(encodeDirlist(list)).toEqual(
      specDirlist(
        77,
        [
          ['alpha', 5],
          ['beta', 2 ** 40],
        ],
        0,
      ),
    )
    // Upstream's padding is junk: it is ignored on read.
    expect(
      decodeDirlist(
        specDirlist(
          77,
          [
            ['alpha', 5],
            ['beta', 2 ** 40],
          ],
          0x42,
        ),
      ),
    ).toEqual(list)
  })

  it('costs 11 + name length per entry, which is what a directory size sums', () => {
    const one = encodeDirlist({ key: 1, entries: entries([['abc', 9]]) })
    const none = encodeDirlist({ key: 1, entries: [] })
    expect(none.length).toBe(16)
    expect(one.length - none.length).toBe(11 + 3)
  })

  it('sorts entries in strcmp order, bytes unsigned, a prefix first', () => {
    const names = ['b', 'a', 'ab', 'B', 'é', 'z', 'a\u00ff']
    const sorted = [...names].map((n) => Buffer.from(n)).sort(compareNames)
    expect(sorted.map((b) => b.toString())).toEqual(sortEntries(names.map((n) => [n, 0])).map(([n]) => n))
    expect(sorted.map((b) => b.toString())).toEqual(['B', 'a', 'ab', 'a\u00ff', 'b', 'z', 'é'])
  })

  it('re-sorts a list stored out of order so that the binary search finds every name', () => {
    const list = decodeDirlist(
      specDirlist(3, [
        ['zz', 1],
        ['aa', 2],
        ['mm', 3],
      ]),
    )
    expect(list.entries.map((e) => e.name.toString())).toEqual(['aa', 'mm', 'zz'])
    for (const n of ['aa', 'mm', 'zz'])
      expect(searchEntries(list.entries, Buffer.from(n))).toBeGreaterThanOrEqual(0)
    expect(searchEntries(list.entries, Buffer.from('b'))).toBe(-2)
  })

  it('refuses every strict prefix of a dirlist', () => {
    const full = specDirlist(9, [
      ['one', 1],
      ['two', 2],
    ])
    for (let n = 0; n < full.length; n++) {
      if (n === 16 + 14) continue // a prefix ending exactly after entry 1 announces 2 entries: still short
      expect(() => decodeDirlist(full.subarray(0, n)), `prefix ${n}`).toThrow(ZdbfsFormatError)
    }
    expect(() => decodeDirlist(full.subarray(0, 30))).toThrow(ZdbfsFormatError)
  })

  it('round-trips any sorted list (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 52 }),
        fc.uniqueArray(fc.uint8Array({ minLength: 1, maxLength: 255 }), {
          maxLength: 40,
          selector: (a) => Buffer.from(a).toString('hex'),
        }),
        (key, names) => {
          const list = {
            key,
            entries: names
              .map((n, i) => ({ name: Buffer.from(n), ino: i + 1 }))
              .sort((a, b) => compareNames(a.name, b.name)),
          }
          expect(decodeDirlist(encodeDirlist(list))).toEqual(list)
        },
      ),
      { seed: 7, numRuns: 200 },
    )
  })
})
