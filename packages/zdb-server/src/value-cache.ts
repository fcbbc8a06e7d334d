/**
 * A bounded in-memory cache of payloads, so that a GET, or the unchanged-value check of a SET
 * (spec zdb.md §1 "SET"), of a recently written or read value needs no positional read.
 *
 * Keyed by where the payload is on disk: (space, data file id, data entry offset). A location is
 * written once in an always-append store, so an entry never goes stale while its files exist.
 * A "space" is one generation of a namespace's files ({@link ValueCache.newSpace}): whoever
 * removes, truncates or replaces files drops its space or the file ({@link dropSpace},
 * {@link dropFile}) and continues in a fresh space, so nothing of the old files can be served.
 *
 * Layout, built to cost a few dozen bytes per entry instead of a Buffer and a Map entry each,
 * and few memory accesses per operation (a miss followed by an insertion must cost less than
 * the `pread` it stands in for, a hit two cache lines):
 * - payloads are records in a ring of pages (at most 1 MiB each, allocated as the ring first
 *   reaches them): a 24-byte header (space, file, offset, length, hash, state: live and
 *   referenced bits), then the bytes, padded to 4;
 * - an open-addressing table (linear probing, backward-shift deletion: no tombstones) of
 *   (record position + 1, hash, space, file) slots; a lookup reads a slot's hash, then only the
 *   record whose hash matches, and dropping a space or a file is one pass over the table.
 *
 * Eviction is CLOCK over the ring: when writing reaches the next page, that page's records are
 * dropped, except those read since they were written (the referenced bit), which are compacted
 * to the page's start with the bit cleared: a value read again survives another lap.
 *
 * Admission: a cache that almost never hits (reads spread over far more data than it holds)
 * only costs: a copy and an eviction per write or missed read, a probe per read. So when hits
 * fall under 1/{@link COLD_RATIO} of the lookups made in a window, only one insertion and one
 * lookup in {@link COLD_ADMIT} are made (the others miss at once) until a window hits more
 * again. Windows count only the lookups made, so a cold cache still measures its hit rate,
 * and one that holds a working set again (its values keep coming in, one in
 * {@link COLD_ADMIT}) turns warm. Writes alone never turn it cold: values written and not
 * read yet are what it is for (a write phase followed by reads of what it wrote), and a cache
 * made cold by a write phase would hold almost none of them when the reads come.
 * @module
 */

/** Values longer than this are never cached: one large value must not evict thousands. */
export const MAX_CACHED_VALUE = 64 * 1024
/** The smallest budget {@link ValueCache} takes (0, no cache, is the caller's choice). */
export const MIN_CACHE_BYTES = 4096
/** Record positions are `page << 20 | offset`: pages of at most 1 MiB, at most 4096 of them. */
const PAGE_SHIFT = 20
const MAX_PAGE = 1 << PAGE_SHIFT
const POS_MASK = MAX_PAGE - 1
/** Record header, in u32 words. */
const SPACE = 0
const FILE = 1
const OFFSET = 2
const LENGTH = 3
const HASH = 4
const STATE = 5
const HEAD_WORDS = 6
const HEAD = HEAD_WORDS * 4
/** Words per table slot. */
const SLOT = 4
/** Record states. */
const LIVE = 1
const REFERENCED = 2
/**
 * The budget is split between the table and the pages as if the mean entry were this long
 * (record and slots): larger values fill the pages first, smaller ones the table.
 */
const ENTRY_BUDGET = 128
/** Lookups made per admission window. */
const WINDOW = 8192
/** A window with fewer hits than 1/COLD_RATIO of its lookups is cold. */
const COLD_RATIO = 16
/** After a cold window, one insertion and one lookup in COLD_ADMIT are made. */
const COLD_ADMIT = 16

export interface ValueCacheStats {
  /** Budget in bytes (pages and table together). */
  readonly limit: number
  readonly entries: number
  /** Payload bytes held. */
  readonly bytes: number
  readonly hits: number
  readonly misses: number
}

export class ValueCache {
  readonly limit: number
  /** Longest value kept: {@link MAX_CACHED_VALUE}, or a quarter page in a tiny cache. */
  readonly maxValue: number
  readonly #pageSize: number
  readonly #pageCount: number
  readonly #pages: Buffer[] = []
  /** The same pages as u32 words (records start at multiples of 4). */
  readonly #words: Uint32Array[] = []
  /** End of the records of each page. */
  readonly #fill: number[] = []
  #head = -1
  #pos = 0
  readonly #maxEntries: number
  /** Slot s at `4s`: record position + 1 (0: empty), the location's hash, space, file. */
  readonly #table: Uint32Array
  readonly #mask: number
  #entries = 0
  #bytes = 0
  #nextSpace = 1
  #hits = 0
  #misses = 0
  #windowOps = 0
  #windowHits = 0
  /** 1: every insertion and lookup is made; COLD_ADMIT after a cold window. */
  #admitEvery = 1
  #skipped = 0
  #skippedLookups = 0

  /** `limit`: bytes, {@link MIN_CACHE_BYTES} to 2^32 - 1 (the caller validated it). */
  constructor(limit: number) {
    this.limit = limit
    this.#maxEntries = Math.max(8, Math.floor(limit / ENTRY_BUDGET))
    let slots = 16
    while (slots < this.#maxEntries * 1.6) slots *= 2
    this.#table = new Uint32Array(SLOT * slots)
    this.#mask = slots - 1
    const ring = Math.max(1024, limit - slots * SLOT * 4) & ~3
    this.#pageSize = Math.min(MAX_PAGE, ring)
    this.#pageCount = Math.floor(ring / this.#pageSize)
    this.maxValue = Math.min(MAX_CACHED_VALUE, Math.floor(this.#pageSize / 4))
  }

  /** A fresh space id, never handed out before by this cache. */
  newSpace(): number {
    const space = this.#nextSpace
    this.#nextSpace = (this.#nextSpace + 1) >>> 0 || 1
    return space
  }

  /**
   * The cached payload at this location (it must be `length` bytes), or undefined. The result
   * is a view of the cache: use it before the next {@link put}, or copy it.
   */
  get(space: number, file: number, offset: number, length: number): Buffer | undefined {
    if (this.#admitEvery > 1 && ++this.#skippedLookups < this.#admitEvery) {
      this.#misses++
      return undefined
    }
    this.#skippedLookups = 0
    const ref = this.#find(space, file, offset, hashLocation(space, file, offset))
    if (ref !== -1) {
      const words = this.#words[ref >>> PAGE_SHIFT]!
      const at = (ref & POS_MASK) >>> 2
      if (words[at + LENGTH] === length) {
        words[at + STATE] = LIVE | REFERENCED
        this.#hits++
        this.#windowHits++
        this.#counted()
        const start = (ref & POS_MASK) + HEAD
        return this.#pages[ref >>> PAGE_SHIFT]!.subarray(start, start + length)
      }
    }
    this.#misses++
    this.#counted()
    return undefined
  }

  /**
   * Copies `value` in as the payload at this location, evicting as needed. Values that are
   * empty or longer than {@link maxValue} are not kept; a location already held is left as is.
   * With `start` and `length`, the value is that part of `value`.
   */
  put(
    space: number,
    file: number,
    offset: number,
    value: Uint8Array,
    start = 0,
    length = value.length - start,
  ): void {
    if (length === 0 || length > this.maxValue) return
    if (this.#admitEvery > 1 && ++this.#skipped < this.#admitEvery) return
    this.#skipped = 0
    const hash = hashLocation(space, file, offset)
    if (this.#find(space, file, offset, hash) !== -1) return
    const size = HEAD + ((length + 3) & ~3)
    while (this.#head === -1 || this.#pos + size > this.#pageSize || this.#entries >= this.#maxEntries) {
      this.#advance()
    }
    const pos = this.#pos
    const words = this.#words[this.#head]!
    const at = pos >>> 2
    words[at + SPACE] = space
    words[at + FILE] = file
    words[at + OFFSET] = offset
    words[at + LENGTH] = length
    words[at + HASH] = hash
    words[at + STATE] = LIVE
    const page = this.#pages[this.#head]!
    if (start === 0 && length === value.length) page.set(value, pos + HEAD)
    else page.set(value.subarray(start, start + length), pos + HEAD)
    this.#pos = pos + size
    this.#fill[this.#head] = this.#pos
    const table = this.#table
    let s = hash & this.#mask
    while (table[SLOT * s] !== 0) s = (s + 1) & this.#mask
    table[SLOT * s] = (((this.#head << PAGE_SHIFT) | pos) >>> 0) + 1
    table[SLOT * s + 1] = hash
    table[SLOT * s + 2] = space
    table[SLOT * s + 3] = file
    this.#entries++
    this.#bytes += length
  }

  /** Drops every entry of `space` (its files were removed, replaced or cut back). */
  dropSpace(space: number): void {
    this.#dropWhere(space, -1)
  }

  /** Drops every entry of data file `file` of `space`. */
  dropFile(space: number, file: number): void {
    this.#dropWhere(space, file)
  }

  stats(): ValueCacheStats {
    return {
      limit: this.limit,
      entries: this.#entries,
      bytes: this.#bytes,
      hits: this.#hits,
      misses: this.#misses,
    }
  }

  /** Drops everything (the server is closing: no space needs dropping one by one). */
  clear(): void {
    this.#table.fill(0)
    this.#pages.length = 0
    this.#words.length = 0
    this.#fill.length = 0
    this.#head = -1
    this.#pos = 0
    this.#entries = 0
    this.#bytes = 0
  }

  /**
   * One pass over the table (a few MiB, ~1 ms at the default size): for FLUSH, NSDEL, RELOAD
   * and released files. The records stay in their pages, dead, until the ring reclaims them.
   */
  #dropWhere(space: number, file: number): void {
    if (this.#entries === 0) return
    const table = this.#table
    const refs: number[] = []
    for (let s = 0; s < table.length; s += SLOT) {
      if (table[s] !== 0 && table[s + 2] === space && (file === -1 || table[s + 3] === file)) {
        refs.push(table[s]! - 1)
      }
    }
    for (const ref of refs) this.#unlink(ref)
  }

  /** Counts one lookup made; at the end of a window, decides how many to admit. */
  #counted(): void {
    if (++this.#windowOps < WINDOW) return
    this.#admitEvery = this.#windowHits * COLD_RATIO < WINDOW ? COLD_ADMIT : 1
    this.#windowOps = 0
    this.#windowHits = 0
  }

  /**
   * Moves writing to the next page of the ring and reclaims it. While the table holds all the
   * entries it may, a page not allocated yet is skipped (wrapping early): it would free none.
   */
  #advance(): void {
    let next = this.#head + 1
    const full = this.#entries >= this.#maxEntries
    if (next === this.#pageCount || (next === this.#pages.length && full)) next = 0
    if (next === this.#pages.length) {
      const page = Buffer.allocUnsafeSlow(this.#pageSize)
      this.#pages.push(page)
      this.#words.push(new Uint32Array(page.buffer, page.byteOffset, this.#pageSize >>> 2))
      this.#fill.push(0)
    }
    this.#head = next
    this.#pos = this.#reclaim(next)
  }

  /**
   * Drops the page's unreferenced records and compacts the others, clearing their referenced
   * bit; returns the page's new end.
   */
  #reclaim(p: number): number {
    const page = this.#pages[p]!
    const words = this.#words[p]!
    const end = this.#fill[p]!
    let read = 0
    let write = 0
    while (read < end) {
      const at = read >>> 2
      const state = words[at + STATE]!
      const size = HEAD + ((words[at + LENGTH]! + 3) & ~3)
      const ref = ((p << PAGE_SHIFT) | read) >>> 0
      if (state & REFERENCED) {
        words[at + STATE] = LIVE
        if (write !== read) {
          page.copyWithin(write, read, read + size)
          this.#table[this.#slotOf(ref, words[at + HASH]!)] = (((p << PAGE_SHIFT) | write) >>> 0) + 1
        }
        write += size
      } else if (state & LIVE) {
        this.#unlink(ref)
      }
      read += size
    }
    this.#fill[p] = write
    return write
  }

  /** The record of the live entry at this location, or -1. */
  #find(space: number, file: number, offset: number, hash: number): number {
    const table = this.#table
    const mask = this.#mask
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const v = table[SLOT * s]!
      if (v === 0) return -1
      if (table[SLOT * s + 1] !== hash) continue
      const ref = v - 1
      const words = this.#words[ref >>> PAGE_SHIFT]!
      const at = (ref & POS_MASK) >>> 2
      if (words[at + OFFSET] === offset && words[at + FILE] === file && words[at + SPACE] === space)
        return ref
    }
  }

  /** Index in the table of the slot holding record `ref` (whose hash is `hash`). */
  #slotOf(ref: number, hash: number): number {
    const table = this.#table
    let s = hash & this.#mask
    while (table[SLOT * s] !== ref + 1) s = (s + 1) & this.#mask
    return SLOT * s
  }

  /** Takes the live record `ref` out of the table (shifting later probes back), marks it dead. */
  #unlink(ref: number): void {
    const words = this.#words[ref >>> PAGE_SHIFT]!
    const at = (ref & POS_MASK) >>> 2
    const table = this.#table
    const mask = this.#mask
    let hole = this.#slotOf(ref, words[at + HASH]!) / SLOT
    // Backward-shift deletion: move up every later entry of the probe run whose home slot is
    // not between the hole and itself, so that every lookup still meets its entry before an
    // empty slot.
    for (let s = (hole + 1) & mask; table[SLOT * s] !== 0; s = (s + 1) & mask) {
      const home = table[SLOT * s + 1]! & mask
      const stays = hole <= s ? hole < home && home <= s : hole < home || home <= s
      if (stays) continue
      const to = SLOT * hole
      const from = SLOT * s
      table[to] = table[from]!
      table[to + 1] = table[from + 1]!
      table[to + 2] = table[from + 2]!
      table[to + 3] = table[from + 3]!
      hole = s
    }
    table[SLOT * hole] = 0
    words[at + STATE] = 0
    this.#bytes -= words[at + LENGTH]!
    this.#entries--
  }
}

/** A 32-bit mix of the three words (murmur3's finaliser over a multiply-xor combination). */
function hashLocation(space: number, file: number, offset: number): number {
  let h = Math.imul(offset, 0x9e3779b1) ^ Math.imul(file + Math.imul(space, 0x7feb352d), 0x85ebca6b)
  h ^= h >>> 16
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 13
  return h >>> 0
}
