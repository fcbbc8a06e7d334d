/**
 * The in-memory index of a user-mode namespace: key → where its live entry is on disk.
 *
 * A `Map<string, object>` costs ~450 bytes per 16-byte key in V8 (string, Map slot, object,
 * key Buffer). This table keeps keys in one byte arena and the entry fields in typed-array
 * columns, and finds them by open addressing with linear probing: ~60 bytes per key, and no
 * per-key JS object for the garbage collector to trace. Upstream 0-db spends 64 bytes + key
 * per entry in C (spec zdb.md §5).
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

const EMPTY = 0
const TOMBSTONE = -1
const MIN_CAPACITY = 16
/** Grow (or clean tombstones) when used + tombstone slots pass this share of the table. */
const MAX_LOAD = 0.7
/** Load right after a rehash: low enough for short probes, high enough not to waste slots. */
const GROWN_LOAD = 0.5

/** Number columns of an entry, one typed array each. */
const FIELDS = ['fileId', 'idxOffset', 'dataId', 'dataOffset', 'length', 'crc', 'timestamp'] as const
type Field = (typeof FIELDS)[number]

export class KeyIndex {
  /** Slot → entry id + 1; 0 empty, -1 tombstone. */
  #slots = new Int32Array(MIN_CAPACITY)
  #tombstones = 0
  #size = 0
  /** Entry columns. */
  #hash = new Uint32Array(MIN_CAPACITY)
  #keyAt = new Uint32Array(MIN_CAPACITY)
  #cols: Record<Field, Uint32Array<ArrayBuffer>> = newColumns(MIN_CAPACITY)
  /** Ids of removed entries, reused before new ones. */
  #free: number[] = []
  #nextId = 0
  /** Keys, each stored as `u8 length, bytes`. */
  #arena = Buffer.allocUnsafe(1024)
  #arenaUsed = 0
  #arenaGarbage = 0

  get size(): number {
    return this.#size
  }

  get(key: Uint8Array): KeyEntry | undefined {
    const id = this.#find(key, hashKey(key))
    return id === -1 ? undefined : this.#entry(id)
  }

  has(key: Uint8Array): boolean {
    return this.#find(key, hashKey(key)) !== -1
  }

  /** Inserts or replaces the entry of `entry.key` (at most 255 bytes, as 0-db keys are). */
  set(entry: KeyEntry): void {
    const key = entry.key
    if (key.length > 255) throw new RangeError(`keys are at most 255 bytes, got ${key.length}`)
    const hash = hashKey(key)
    let id = this.#find(key, hash)
    if (id === -1) {
      if ((this.#size + this.#tombstones + 1) / this.#slots.length > MAX_LOAD) this.#rehash()
      id = this.#allocate(key, hash)
      this.#place(id, hash)
      this.#size++
    }
    const c = this.#cols
    c.fileId[id] = entry.fileId
    c.idxOffset[id] = entry.idxOffset
    c.dataId[id] = entry.dataId
    c.dataOffset[id] = entry.dataOffset
    c.length[id] = entry.length
    c.crc[id] = entry.crc
    c.timestamp[id] = entry.timestamp
  }

  /** Removes `key`; returns whether it was present. */
  delete(key: Uint8Array): boolean {
    const hash = hashKey(key)
    const mask = this.#slots.length - 1
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const v = this.#slots[s]!
      if (v === EMPTY) return false
      if (v !== TOMBSTONE && this.#hash[v - 1] === hash && this.#keyEquals(v - 1, key)) {
        this.#slots[s] = TOMBSTONE
        this.#tombstones++
        this.#size--
        this.#arenaGarbage += 1 + key.length
        this.#free.push(v - 1)
        if (this.#arenaGarbage > this.#arenaUsed / 2 && this.#arenaUsed > 1 << 20) this.#compactArena()
        return true
      }
    }
  }

  /** Total payload and key bytes of the live entries, without materialising them. */
  totals(): { dataBytes: number; keyBytes: number } {
    let dataBytes = 0
    let keyBytes = 0
    const lengths = this.#cols.length
    for (const v of this.#slots) {
      if (v <= 0) continue
      dataBytes += lengths[v - 1]!
      keyBytes += this.#arena[this.#keyAt[v - 1]!]!
    }
    return { dataBytes, keyBytes }
  }

  /** Every live entry, in no particular order. */
  *values(): IterableIterator<KeyEntry> {
    for (const v of this.#slots) if (v > 0) yield this.#entry(v - 1)
  }

  #find(key: Uint8Array, hash: number): number {
    const mask = this.#slots.length - 1
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const v = this.#slots[s]!
      if (v === EMPTY) return -1
      if (v !== TOMBSTONE && this.#hash[v - 1] === hash && this.#keyEquals(v - 1, key)) return v - 1
    }
  }

  #place(id: number, hash: number): void {
    const mask = this.#slots.length - 1
    let s = hash & mask
    while (this.#slots[s]! > 0) s = (s + 1) & mask
    if (this.#slots[s] === TOMBSTONE) this.#tombstones--
    this.#slots[s] = id + 1
  }

  #keyEquals(id: number, key: Uint8Array): boolean {
    const at = this.#keyAt[id]!
    const arena = this.#arena
    if (arena[at] !== key.length) return false
    for (let i = 0; i < key.length; i++) if (arena[at + 1 + i] !== key[i]) return false
    return true
  }

  #entry(id: number): KeyEntry {
    const at = this.#keyAt[id]!
    const c = this.#cols
    return {
      key: Buffer.from(this.#arena.subarray(at + 1, at + 1 + this.#arena[at]!)),
      fileId: c.fileId[id]!,
      idxOffset: c.idxOffset[id]!,
      dataId: c.dataId[id]!,
      dataOffset: c.dataOffset[id]!,
      length: c.length[id]!,
      crc: c.crc[id]!,
      timestamp: c.timestamp[id]!,
    }
  }

  #allocate(key: Uint8Array, hash: number): number {
    const id = this.#free.length > 0 ? this.#free.pop()! : this.#nextId++
    if (id >= this.#hash.length) this.#growColumns(this.#hash.length * 2)
    const need = 1 + key.length
    if (this.#arenaUsed + need > this.#arena.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#arena.length * 2, this.#arenaUsed + need))
      this.#arena.copy(bigger, 0, 0, this.#arenaUsed)
      this.#arena = bigger
    }
    const at = this.#arenaUsed
    this.#arena[at] = key.length
    this.#arena.set(key, at + 1)
    this.#arenaUsed += need
    this.#hash[id] = hash
    this.#keyAt[id] = at
    return id
  }

  #growColumns(capacity: number): void {
    this.#hash = grow(this.#hash, capacity)
    this.#keyAt = grow(this.#keyAt, capacity)
    for (const f of FIELDS) this.#cols[f] = grow(this.#cols[f], capacity)
  }

  /**
   * Rebuilds the slot table: grows it (by powers of two) until the live entries fill at most
   * half of it, else just drops tombstones.
   */
  #rehash(): void {
    let capacity = this.#slots.length
    while ((this.#size + 1) / capacity > GROWN_LOAD) capacity *= 2
    const old = this.#slots
    this.#slots = new Int32Array(capacity)
    this.#tombstones = 0
    for (const v of old) if (v > 0) this.#place(v - 1, this.#hash[v - 1]!)
  }

  /** Copies live keys into a fresh arena once deleted ones fill half of it. */
  #compactArena(): void {
    const arena = Buffer.allocUnsafe(Math.max(1024, (this.#arenaUsed - this.#arenaGarbage) * 2))
    let used = 0
    for (const v of this.#slots) {
      if (v <= 0) continue
      const id = v - 1
      const at = this.#keyAt[id]!
      const n = 1 + this.#arena[at]!
      this.#arena.copy(arena, used, at, at + n)
      this.#keyAt[id] = used
      used += n
    }
    this.#arena = arena
    this.#arenaUsed = used
    this.#arenaGarbage = 0
  }
}

/** FNV-1a, 32 bits: cheap and well spread for short keys. */
function hashKey(key: Uint8Array): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193)
  return h >>> 0
}

function newColumns(capacity: number): Record<Field, Uint32Array<ArrayBuffer>> {
  const cols = {} as Record<Field, Uint32Array<ArrayBuffer>>
  for (const f of FIELDS) cols[f] = new Uint32Array(capacity)
  return cols
}

function grow(a: Uint32Array<ArrayBuffer>, capacity: number): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(capacity)
  b.set(a)
  return b
}
