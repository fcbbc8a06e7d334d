import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_CACHED_VALUE, MIN_CACHE_BYTES, ValueCache } from '../src/value-cache.js'

/** A location's payload: derived from the location, as a store that never rewrites one. */
function payload(space: number, file: number, offset: number): Buffer {
  const length = 1 + ((space * 31 + file * 17 + offset * 13) % 300)
  const bytes = Buffer.alloc(length)
  for (let i = 0; i < length; i++) bytes[i] = (space * 7 + file * 5 + offset * 3 + i) & 0xff
  return bytes
}

type Op =
  | { op: 'put' | 'get'; space: number; file: number; offset: number }
  | { op: 'dropSpace'; space: number }
  | { op: 'dropFile'; space: number; file: number }

const space = fc.integer({ min: 1, max: 3 })
const file = fc.integer({ min: 0, max: 3 })
const offset = fc.integer({ min: 0, max: 15 })
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('put' as const), space, file, offset }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('get' as const), space, file, offset }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dropSpace' as const), space }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dropFile' as const), space, file }) },
)

const at = (s: number, f: number, o: number): string => `${s}/${f}/${o}`

describe('ValueCache', () => {
  it('never answers with bytes other than the location’s, nor for a dropped space or file', () => {
    let hits = 0
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 50, maxLength: 600, size: 'max' }),
        fc.constantFrom(4096, 6000, 20_000),
        (ops, limit) => {
          const cache = new ValueCache(limit)
          // Locations put since their last drop: the only ones the cache may answer for.
          const held = new Set<string>()
          for (const o of ops) {
            if (o.op === 'put') {
              cache.put(o.space, o.file, o.offset, payload(o.space, o.file, o.offset))
              held.add(at(o.space, o.file, o.offset))
            } else if (o.op === 'get') {
              const want = payload(o.space, o.file, o.offset)
              const got = cache.get(o.space, o.file, o.offset, want.length)
              if (got !== undefined) {
                hits++
                expect(held.has(at(o.space, o.file, o.offset))).toBe(true)
                expect(Buffer.compare(got, want)).toBe(0)
              }
            } else if (o.op === 'dropSpace') {
              cache.dropSpace(o.space)
              for (const k of [...held]) if (k.startsWith(`${o.space}/`)) held.delete(k)
            } else {
              cache.dropFile(o.space, o.file)
              for (const k of [...held]) if (k.startsWith(`${o.space}/${o.file}/`)) held.delete(k)
            }
            const stats = cache.stats()
            expect(stats.bytes).toBeLessThanOrEqual(limit)
            expect(stats.entries).toBeLessThanOrEqual(held.size)
          }
          // Whatever is still cached reads back whole, and every entry counted can be found.
          let found = 0
          for (const k of held) {
            const [s, f, o] = k.split('/').map(Number) as [number, number, number]
            const want = payload(s, f, o)
            const got = cache.get(s, f, o, want.length)
            if (got === undefined) continue
            found++
            expect(Buffer.compare(got, want)).toBe(0)
          }
          expect(found).toBe(cache.stats().entries)
        },
      ),
      { seed: 0x7ca, numRuns: 300 },
    )
    // The property above also holds for a cache that keeps nothing: make sure this one did.
    expect(hits).toBeGreaterThan(1000)
  })

  it('keeps what fits: a value read back right after it was put is there', () => {
    const cache = new ValueCache(1024 * 1024)
    for (let i = 0; i < 1000; i++) cache.put(1, 0, i * 200, payload(1, 0, i))
    for (let i = 0; i < 1000; i++) {
      expect(cache.get(1, 0, i * 200, payload(1, 0, i).length)?.equals(payload(1, 0, i))).toBe(true)
    }
    expect(cache.stats()).toMatchObject({ entries: 1000, hits: 1000, misses: 0 })
  })

  it('keeps only the given part of a buffer put with a start and a length', () => {
    const cache = new ValueCache(1024 * 1024)
    const reply = Buffer.from('$5\r\nhello\r\n')
    cache.put(1, 0, 28, reply, 4, 5)
    expect(cache.get(1, 0, 28, 5)?.toString()).toBe('hello')
    reply.write('XXXXX', 4)
    expect(cache.get(1, 0, 28, 5)?.toString()).toBe('hello')
  })

  it('gives a value read since it was written one more lap than one never read (CLOCK)', () => {
    const cache = new ValueCache(MIN_CACHE_BYTES)
    const value = Buffer.alloc(100, 1)
    cache.put(1, 0, 0, value)
    cache.put(1, 0, 1, value)
    expect(cache.get(1, 0, 0, 100)).toBeDefined()
    // Puts until the ring wraps once and its first page is reclaimed.
    for (let i = 2; cache.stats().entries === i; i++) cache.put(1, 1, i, Buffer.alloc(100, i))
    expect(cache.get(1, 0, 1, 100)).toBeUndefined()
    expect(cache.get(1, 0, 0, 100)?.equals(value)).toBe(true)
  })

  it('keeps no empty value and none longer than its maximum', () => {
    const cache = new ValueCache(32 * 1024 * 1024)
    expect(cache.maxValue).toBe(MAX_CACHED_VALUE)
    cache.put(1, 0, 0, Buffer.alloc(0))
    cache.put(1, 0, 1, Buffer.alloc(MAX_CACHED_VALUE + 1))
    cache.put(1, 0, 2, Buffer.alloc(MAX_CACHED_VALUE))
    expect(cache.get(1, 0, 0, 0)).toBeUndefined()
    expect(cache.get(1, 0, 1, MAX_CACHED_VALUE + 1)).toBeUndefined()
    expect(cache.get(1, 0, 2, MAX_CACHED_VALUE)?.length).toBe(MAX_CACHED_VALUE)
    // A tiny cache keeps values of at most a quarter of its page.
    expect(new ValueCache(MIN_CACHE_BYTES).maxValue).toBeLessThan(MIN_CACHE_BYTES / 4)
  })

  it('answers a location only for the length it was put with', () => {
    const cache = new ValueCache(MIN_CACHE_BYTES)
    cache.put(1, 2, 3, Buffer.from('abc'))
    expect(cache.get(1, 2, 3, 4)).toBeUndefined()
    expect(cache.get(1, 2, 3, 3)?.toString()).toBe('abc')
  })

  it('holds nothing after clear, and takes values again', () => {
    const cache = new ValueCache(MIN_CACHE_BYTES)
    for (let i = 0; i < 40; i++) cache.put(1, 0, i, Buffer.alloc(50, i))
    cache.clear()
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 })
    for (let i = 0; i < 40; i++) expect(cache.get(1, 0, i, 50)).toBeUndefined()
    cache.put(1, 0, 7, Buffer.alloc(50, 7))
    expect(cache.get(1, 0, 7, 50)?.equals(Buffer.alloc(50, 7))).toBe(true)
  })

  it('hands out fresh space ids', () => {
    const cache = new ValueCache(MIN_CACHE_BYTES)
    const a = cache.newSpace()
    const b = cache.newSpace()
    expect(a).not.toBe(b)
    expect(a).toBeGreaterThan(0)
  })

  it('while it almost never hits, makes one insertion and one lookup in 16; once it hits again, all', () => {
    const cache = new ValueCache(4 * 1024 * 1024)
    const value = Buffer.alloc(10, 7)
    let offset = 0
    const putMany = (n: number): number => {
      const before = cache.stats().entries
      for (let i = 0; i < n; i++) cache.put(1, 0, offset++, value)
      return cache.stats().entries - before
    }
    cache.put(2, 0, 0, value)
    cache.put(2, 0, 1, value)
    // Insertions that nothing reads yet leave it warm: the reads may come.
    expect(putMany(20_000)).toBe(20_000)
    // A window of lookups that miss: cold.
    for (let i = 0; i < 8192; i++) cache.get(3, 0, i, 10)
    expect(putMany(160)).toBe(10)
    let hits = 0
    for (let i = 0; i < 1600; i++) if (cache.get(2, 0, i & 1, 10)) hits++
    expect(hits).toBe(100)
    // A window of hits (a window counts the lookups made): warm again.
    for (let i = 0; i < 16 * 8192; i++) cache.get(2, 0, i & 1, 10)
    expect(cache.get(2, 0, 0, 10)).toBeDefined()
    expect(putMany(160)).toBe(160)
  })

  it('after a long phase of writes alone, still holds what was written for the reads that follow', () => {
    const cache = new ValueCache(4 * 1024 * 1024)
    const value = Buffer.alloc(100, 3)
    for (let i = 0; i < 50_000; i++) cache.put(1, 0, i * 200, value)
    let hits = 0
    for (let i = 49_000; i < 50_000; i++) if (cache.get(1, 0, i * 200, 100)) hits++
    expect(hits).toBe(1000)
  })

  it('once cold, turns warm again when reads come back to a working set it can hold', () => {
    const cache = new ValueCache(4 * 1024 * 1024)
    const value = Buffer.alloc(100, 1)
    for (let i = 0; i < 8192; i++) cache.put(1, 0, i * 200, value)
    // Reads of 1000 other values, each put in after a miss, as a GET does.
    const read = (n: number): number => {
      let hits = 0
      for (let i = 0; i < n; i++) {
        const offset = 10_000_000 + (i % 1000) * 200
        if (cache.get(1, 1, offset, 100)) hits++
        else cache.put(1, 1, offset, value)
      }
      return hits
    }
    expect(read(1000)).toBeLessThan(100)
    read(200_000)
    expect(read(10_000)).toBe(10_000)
  })

  it('stays within its budget when its entry table is the limit (tiny values)', () => {
    const cache = new ValueCache(64 * 1024)
    for (let i = 0; i < 100_000; i++) cache.put(1, i >>> 16, i & 0xffff, Buffer.of(i & 0xff))
    const { entries, bytes } = cache.stats()
    expect(entries).toBeLessThanOrEqual((64 * 1024) / 128)
    expect(entries).toBeGreaterThan(0)
    expect(bytes).toBe(entries)
  })
})
