/**
 * The in-memory index of a user-mode namespace: key → where its live entry is on disk.
 *
 * A `Map<string, object>` costs ~450 bytes per 16-byte key in V8 (string, Map slot, object,
 * key Buffer). This table costs ~60 (spec zdb.md §5: upstream spends 64 + key in C):
 * - entries are 8 u32 fields in fixed pages of 8192 entries (32 bytes each);
 * - keys are `u8 length, bytes` records in 1 MiB arena pages;
 * - an open-addressing table (linear probing) of entry ids, with one byte of each key's hash
 *   beside it so that most probes of other keys are rejected without reading the arena.
 *
 * Pages are only ever added (ids and arena space are reused or compacted, never shrunk), so
 * growing never copies the entries and leaves no dead copy for the collector to find: resident
 * memory follows the number of keys, not the last doubling. No per-key JS object exists.
 * @module
 */

/** The fields of one live key, as kept in memory. */
export interface KeyEntry {
  key: Buffer
  /** Index file holding the live index entry. */
  fileId: number
  idxOffset: number
  dataId: number
  dataOffset: number
  length: number
  crc: number
  timestamp: number
}

/** Entry fields, in u32 words. */
const KEY_REF = 0
const FILE_ID = 1
const IDX_OFFSET = 2
const DATA_ID = 3
const DATA_OFFSET = 4
const LENGTH = 5
const CRC = 6
const TIMESTAMP = 7
const WORDS = 8
/** KEY_REF of a removed entry: no record starts at the last byte of an arena page. */
const DEAD = 0xffffffff

const PAGE_SHIFT = 13
const PAGE_MASK = (1 << PAGE_SHIFT) - 1

/** Arena pages: a key reference is `page << ARENA_SHIFT | offset`, so at most 4096 pages. */
const ARENA_SHIFT = 20
const ARENA_PAGE = 1 << ARENA_SHIFT
const ARENA_MASK = ARENA_PAGE - 1
const MAX_ARENA_PAGES = 2 ** (32 - ARENA_SHIFT)

const EMPTY = 0
const TOMBSTONE = -1
const MIN_CAPACITY = 16
/** Grow (or clean tombstones) when used + tombstone slots pass this share of the table. */
const MAX_LOAD = 0.7
/** Load right after a rehash: low enough for short probes, high enough not to waste slots. */
const GROWN_LOAD = 0.5

export class KeyIndex {
  /** Slot → entry id + 1; 0 empty, -1 tombstone. */
  #slots = new Int32Array(MIN_CAPACITY)
  /** Slot → top byte of its key's hash. */
  #tags = new Uint8Array(MIN_CAPACITY)
  #tombstones = 0
  #size = 0
  readonly #pages: Uint32Array[] = []
  /** Ids of removed entries, reused before new ones. */
  #free: number[] = []
  #nextId = 0
  #arena: Buffer[] = []
  /** Write position in the last arena page. */
  #arenaPos = ARENA_PAGE
  /** Bytes of the arena records, live and dead. */
  #arenaBytes = 0
  #arenaGarbage = 0

  get size(): number {
    return this.#size
  }

  /** The entry of `key`; its `key` is the Buffer given (or a copy of a plain Uint8Array). */
  get(key: Uint8Array): KeyEntry | undefined {
    const id = this.#find(key, 0, key.length, hashKey(key, 0, key.length))
    if (id === -1) return undefined
    return this.#entry(id, Buffer.isBuffer(key) ? key : Buffer.from(key))
  }

  /** Slot `id` as a {@link KeyEntry} named `key`. */
  #entry(id: number, key: Buffer): KeyEntry {
    const p = this.#pages[id >>> PAGE_SHIFT]!
    const at = (id & PAGE_MASK) * WORDS
    return {
      key,
      fileId: p[at + FILE_ID]!,
      idxOffset: p[at + IDX_OFFSET]!,
      dataId: p[at + DATA_ID]!,
      dataOffset: p[at + DATA_OFFSET]!,
      length: p[at + LENGTH]!,
      crc: p[at + CRC]!,
      timestamp: p[at + TIMESTAMP]!,
    }
  }

  has(key: Uint8Array): boolean {
    return this.hasAt(key, 0, key.length)
  }

  /** {@link has} for the key at `bytes[offset, offset + length)`, without a view of it. */
  hasAt(bytes: Uint8Array, offset: number, length: number): boolean {
    return this.#find(bytes, offset, length, hashKey(bytes, offset, length)) !== -1
  }

  /** Inserts or replaces the entry of `entry.key` (at most 255 bytes, as 0-db keys are). */
  set(entry: KeyEntry): void {
    const key = entry.key
    this.setAt(key, 0, key.length, entry)
  }

  /**
   * {@link set} for the key at `bytes[offset, offset + length)`: replay feeds keys straight
   * from the index file buffer, so a million keys cost no million views. Returns whether the
   * key is new.
   */
  setAt(bytes: Uint8Array, offset: number, length: number, fields: Omit<KeyEntry, 'key'>): boolean {
    if (length > 255) throw new RangeError(`keys are at most 255 bytes, got ${length}`)
    const hash = hashKey(bytes, offset, length)
    let id = this.#find(bytes, offset, length, hash)
    const added = id === -1
    if (added) {
      if ((this.#size + this.#tombstones + 1) / this.#slots.length > MAX_LOAD) this.#rehash()
      id = this.#allocate(bytes, offset, length)
      this.#place(id, hash)
      this.#size++
    }
    const p = this.#pages[id >>> PAGE_SHIFT]!
    const at = (id & PAGE_MASK) * WORDS
    p[at + FILE_ID] = fields.fileId
    p[at + IDX_OFFSET] = fields.idxOffset
    p[at + DATA_ID] = fields.dataId
    p[at + DATA_OFFSET] = fields.dataOffset
    p[at + LENGTH] = fields.length
    p[at + CRC] = fields.crc
    p[at + TIMESTAMP] = fields.timestamp
    return added
  }

  /** Removes `key`; returns whether it was present. */
  delete(key: Uint8Array): boolean {
    return this.deleteAt(key, 0, key.length)
  }

  /** {@link delete} for the key at `bytes[offset, offset + length)`. */
  deleteAt(bytes: Uint8Array, offset: number, length: number): boolean {
    const s = this.#slotOf(bytes, offset, length, hashKey(bytes, offset, length))
    if (s === -1) return false
    const id = this.#slots[s]! - 1
    this.#pages[id >>> PAGE_SHIFT]![(id & PAGE_MASK) * WORDS + KEY_REF] = DEAD
    this.#slots[s] = TOMBSTONE
    this.#tombstones++
    this.#size--
    this.#arenaGarbage += 1 + length
    this.#free.push(id)
    if (this.#arenaGarbage > this.#arenaBytes / 2 && this.#arenaBytes > ARENA_PAGE) this.#compactArena()
    return true
  }

  /** Total payload and key bytes of the live entries, without materialising them. */
  totals(): { dataBytes: number; keyBytes: number } {
    let dataBytes = 0
    let keyBytes = 0
    for (let id = 0; id < this.#nextId; id++) {
      const p = this.#pages[id >>> PAGE_SHIFT]!
      const at = (id & PAGE_MASK) * WORDS
      const ref = p[at + KEY_REF]!
      if (ref === DEAD) continue
      dataBytes += p[at + LENGTH]!
      keyBytes += this.#arena[ref >>> ARENA_SHIFT]![ref & ARENA_MASK]!
    }
    return { dataBytes, keyBytes }
  }

  /** Every live entry, in no particular order (keys copied). */
  *values(): IterableIterator<KeyEntry> {
    for (const v of this.#slots) {
      if (v <= 0) continue
      const id = v - 1
      const p = this.#pages[id >>> PAGE_SHIFT]!
      const at = (id & PAGE_MASK) * WORDS
      const ref = p[at + KEY_REF]!
      const page = this.#arena[ref >>> ARENA_SHIFT]!
      const start = (ref & ARENA_MASK) + 1
      yield this.#entry(id, Buffer.from(page.subarray(start, start + page[start - 1]!)))
    }
  }

  #find(bytes: Uint8Array, offset: number, length: number, hash: number): number {
    const s = this.#slotOf(bytes, offset, length, hash)
    return s === -1 ? -1 : this.#slots[s]! - 1
  }

  /** The slot holding the key, or -1. */
  #slotOf(bytes: Uint8Array, offset: number, length: number, hash: number): number {
    const slots = this.#slots
    const tags = this.#tags
    const mask = slots.length - 1
    const tag = hash >>> 24
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const v = slots[s]!
      if (v === EMPTY) return -1
      if (v !== TOMBSTONE && tags[s] === tag && this.#keyEquals(v - 1, bytes, offset, length)) return s
    }
  }

  #place(id: number, hash: number): void {
    const mask = this.#slots.length - 1
    let s = hash & mask
    while (this.#slots[s]! > 0) s = (s + 1) & mask
    if (this.#slots[s] === TOMBSTONE) this.#tombstones--
    this.#slots[s] = id + 1
    this.#tags[s] = hash >>> 24
  }

  #keyEquals(id: number, bytes: Uint8Array, offset: number, length: number): boolean {
    const ref = this.#pages[id >>> PAGE_SHIFT]![(id & PAGE_MASK) * WORDS + KEY_REF]!
    const page = this.#arena[ref >>> ARENA_SHIFT]!
    const at = (ref & ARENA_MASK) + 1
    if (page[at - 1] !== length) return false
    for (let i = 0; i < length; i++) if (page[at + i] !== bytes[offset + i]) return false
    return true
  }

  /** A free entry id whose key record is written; the caller fills the other fields. */
  #allocate(bytes: Uint8Array, offset: number, length: number): number {
    const id = this.#free.length > 0 ? this.#free.pop()! : this.#nextId++
    if (id >>> PAGE_SHIFT >= this.#pages.length) this.#pages.push(new Uint32Array(WORDS << PAGE_SHIFT))
    this.#pages[id >>> PAGE_SHIFT]![(id & PAGE_MASK) * WORDS + KEY_REF] = this.#storeKey(
      bytes,
      offset,
      length,
    )
    this.#arenaBytes += 1 + length
    return id
  }

  /** Appends a key record to the arena; returns its reference. */
  #storeKey(bytes: Uint8Array, offset: number, length: number): number {
    if (this.#arenaPos + 1 + length >= ARENA_PAGE) {
      if (this.#arena.length === MAX_ARENA_PAGES) {
        throw new RangeError(`a namespace holds at most ${MAX_ARENA_PAGES} MiB of keys`)
      }
      this.#arena.push(Buffer.allocUnsafeSlow(ARENA_PAGE))
      this.#arenaPos = 0
    }
    const page = this.#arena[this.#arena.length - 1]!
    const at = this.#arenaPos
    page[at] = length
    for (let i = 0; i < length; i++) page[at + 1 + i] = bytes[offset + i]!
    this.#arenaPos += 1 + length
    return (((this.#arena.length - 1) << ARENA_SHIFT) | at) >>> 0
  }

  /**
   * Rebuilds the slot table: grows it (by powers of two) until the live entries fill at most
   * half of it, else just drops tombstones. Hashes are recomputed from the arena, walking the
   * entries in id order, which reads the pages and the arena mostly in sequence.
   */
  #rehash(): void {
    let capacity = this.#slots.length
    while ((this.#size + 1) / capacity > GROWN_LOAD) capacity *= 2
    this.#slots = new Int32Array(capacity)
    this.#tags = new Uint8Array(capacity)
    this.#tombstones = 0
    const arena = this.#arena
    for (let id = 0; id < this.#nextId; id++) {
      const ref = this.#pages[id >>> PAGE_SHIFT]![(id & PAGE_MASK) * WORDS + KEY_REF]!
      if (ref === DEAD) continue
      const page = arena[ref >>> ARENA_SHIFT]!
      const at = (ref & ARENA_MASK) + 1
      this.#place(id, hashKey(page, at, page[at - 1]!))
    }
  }

  /** Copies live keys into fresh arena pages once deleted ones fill half of the arena. */
  #compactArena(): void {
    const old = this.#arena
    this.#arena = []
    this.#arenaPos = ARENA_PAGE
    let bytes = 0
    for (const v of this.#slots) {
      if (v <= 0) continue
      const id = v - 1
      const p = this.#pages[id >>> PAGE_SHIFT]!
      const field = (id & PAGE_MASK) * WORDS + KEY_REF
      const ref = p[field]!
      const page = old[ref >>> ARENA_SHIFT]!
      const at = (ref & ARENA_MASK) + 1
      const length = page[at - 1]!
      p[field] = this.#storeKey(page, at, length)
      bytes += 1 + length
    }
    this.#arenaBytes = bytes
    this.#arenaGarbage = 0
  }
}

/** FNV-1a, 32 bits: cheap and well spread for short keys. */
function hashKey(bytes: Uint8Array, offset: number, length: number): number {
  let h = 0x811c9dc5
  for (let i = offset; i < offset + length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193)
  return h >>> 0
}
