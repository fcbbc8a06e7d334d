import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type KeyEntry, KeyIndex } from '../src/key-index.js'

const entry = (key: Buffer, n: number): KeyEntry => ({
  key,
  fileId: n % 7,
  idxOffset: n * 3,
  dataId: n % 7,
  dataOffset: n * 5,
  length: n % 1000,
  crc: (n * 2654435761) >>> 0,
  timestamp: 1_700_000_000 + n,
})

describe('KeyIndex', () => {
  it('behaves like a Map for any sequence of sets, deletes and lookups', () => {
    const key = fc.uint8Array({ minLength: 0, maxLength: 6, max: 3 }).map((a) => Buffer.from(a))
    const op = fc.oneof(
      fc.record({ op: fc.constant('set' as const), key, n: fc.nat({ max: 1_000_000 }) }),
      fc.record({ op: fc.constant('del' as const), key }),
      fc.record({ op: fc.constant('get' as const), key }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const index = new KeyIndex()
        const model = new Map<string, KeyEntry>()
        for (const o of ops) {
          const k = o.key.toString('hex')
          if (o.op === 'set') {
            index.set(entry(o.key, o.n))
            model.set(k, entry(o.key, o.n))
          } else if (o.op === 'del') {
            expect(index.delete(o.key)).toBe(model.delete(k))
          } else {
            expect(index.get(o.key)).toEqual(model.get(k))
          }
          expect(index.size).toBe(model.size)
        }
        const live = [...model.values()]
        expect(index.totals()).toEqual({
          dataBytes: live.reduce((n, e) => n + e.length, 0),
          keyBytes: live.reduce((n, e) => n + e.key.length, 0),
        })
        const all = [...index.values()].sort((a, b) => Buffer.compare(a.key, b.key))
        expect(all).toEqual([...model.values()].sort((a, b) => Buffer.compare(a.key, b.key)))
      }),
      { numRuns: 300 },
    )
  })

  it('keeps every key through growth, mass deletion and arena compaction', () => {
    const index = new KeyIndex()
    const key = (i: number) => Buffer.from(`key-${i.toString().padStart(16, '0')}`)
    const n = 60_000 // 21-byte arena records: past the 1 MiB that arms compaction
    for (let i = 0; i < n; i++) index.set(entry(key(i), i))
    let deleted = 0
    for (let i = 0; i < n; i++) if (i % 5 !== 0 && index.delete(key(i))) deleted++
    for (let i = n; i < n + 1000; i++) index.set(entry(key(i), i))
    expect(deleted).toBe((n * 4) / 5)
    expect(index.size).toBe(n / 5 + 1000)
    const wrong: number[] = []
    for (let i = 0; i < n + 1000; i++) {
      const got = index.get(key(i))
      const live = i % 5 === 0 || i >= n
      const want = entry(key(i), i)
      const ok = live
        ? got?.key.equals(want.key) && got.idxOffset === want.idxOffset && got.crc === want.crc
        : got === undefined
      if (!ok) wrong.push(i)
    }
    expect(wrong).toEqual([])
  })

  it('keys of every length fill arena pages to their ends; deleted ids are reused', () => {
    const index = new KeyIndex()
    // 6,000 keys of 2..255 bytes: ~770 KB of records, past one 1 MiB arena page with the rewrites.
    const key = (i: number) => {
      const k = Buffer.alloc(2 + (i % 254), i & 0xff)
      k.writeUInt16LE(i)
      return k
    }
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 6000; i++) {
        expect(index.setAt(key(i), 0, key(i).length, entry(key(i), i + round))).toBe(round === 0)
      }
      for (let i = round; i < 6000; i += 3) expect(index.delete(key(i))).toBe(true)
      for (let i = round; i < 6000; i += 3)
        expect(index.setAt(key(i), 0, key(i).length, entry(key(i), i + 10))).toBe(true)
    }
    // Round 2 last rewrote every key with i + 2, then deleted and re-added one in three with i + 10.
    for (let i = 0; i < 6000; i++) {
      expect(index.get(key(i))?.idxOffset, `key ${i}`).toBe((i % 3 === 2 ? i + 10 : i + 2) * 3)
    }
    expect(index.size).toBe(6000)
    expect(index.totals().keyBytes).toBe([...Array(6000).keys()].reduce((n, i) => n + key(i).length, 0))
  })

  it('tells an empty key apart from a missing one and refuses keys over 255 bytes', () => {
    const index = new KeyIndex()
    expect(index.has(Buffer.alloc(0))).toBe(false)
    index.set(entry(Buffer.alloc(0), 1))
    expect(index.get(Buffer.alloc(0))?.idxOffset).toBe(3)
    expect(() => index.set(entry(Buffer.alloc(256), 1))).toThrow(RangeError)
  })
})
