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
    const id = this.#find(key, 0, key.length, hashKey(key, 0, key.length))
    return id === -1 ? undefined : this.#entry(id)
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
   * from the index file buffer, so a million keys cost no million views.
   */
  setAt(bytes: Uint8Array, offset: number, length: number, fields: Omit<KeyEntry, 'key'>): void {
    if (length > 255) throw new RangeError(`keys are at most 255 bytes, got ${length}`)
    const hash = hashKey(bytes, offset, length)
    let id = this.#find(bytes, offset, length, hash)
    if (id === -1) {
      if ((this.#size + this.#tombstones + 1) / this.#slots.length > MAX_LOAD) this.#rehash()
      id = this.#allocate(bytes, offset, length, hash)
      this.#place(id, hash)
      this.#size++
    }
    const c = this.#cols
    c.fileId[id] = fields.fileId
    c.idxOffset[id] = fields.idxOffset
    c.dataId[id] = fields.dataId
    c.dataOffset[id] = fields.dataOffset
    c.length[id] = fields.length
    c.crc[id] = fields.crc
    c.timestamp[id] = fields.timestamp
  }

  /** Removes `key`; returns whether it was present. */
  delete(key: Uint8Array): boolean {
    return this.deleteAt(key, 0, key.length)
  }

  /** {@link delete} for the key at `bytes[offset, offset + length)`. */
  deleteAt(bytes: Uint8Array, offset: number, length: number): boolean {
    const hash = hashKey(bytes, offset, length)
    const mask = this.#slots.length - 1
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const v = this.#slots[s]!
      if (v === EMPTY) return false
      if (v !== TOMBSTONE && this.#hash[v - 1] === hash && this.#keyEquals(v - 1, bytes, offset, length)) {
        this.#slots[s] = TOMBSTONE
        this.#tombstones++
        this.#size--
        this.#arenaGarbage += 1 + length
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

  #find(bytes: Uint8Array, offset: number, length: number, hash: number): number {
    const mask = this.#slots.length - 1
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const v = this.#slots[s]!
      if (v === EMPTY) return -1
      if (v !== TOMBSTONE && this.#hash[v - 1] === hash && this.#keyEquals(v - 1, bytes, offset, length)) {
        return v - 1
      }
    }
  }

  #place(id: number, hash: number): void {
    const mask = this.#slots.length - 1
    let s = hash & mask
    while (this.#slots[s]! > 0) s = (s + 1) & mask
    if (this.#slots[s] === TOMBSTONE) this.#tombstones--
    this.#slots[s] = id + 1
  }

  #keyEquals(id: number, bytes: Uint8Array, offset: number, length: number): boolean {
    const at = this.#keyAt[id]!
    const arena = this.#arena
    if (arena[at] !== length) return false
    for (let i = 0; i < length; i++) if (arena[at + 1 + i] !== bytes[offset + i]) return false
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

  #allocate(bytes: Uint8Array, offset: number, length: number, hash: number): number {
    const id = this.#free.length > 0 ? this.#free.pop()! : this.#nextId++
    if (id >= this.#hash.length) this.#growColumns(this.#hash.length * 2)
    const need = 1 + length
    if (this.#arenaUsed + need > this.#arena.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#arena.length * 2, this.#arenaUsed + need))
      this.#arena.copy(bigger, 0, 0, this.#arenaUsed)
      this.#arena = bigger
    }
    const at = this.#arenaUsed
    this.#arena[at] = length
    for (let i = 0; i < length; i++) this.#arena[at + 1 + i] = bytes[offset + i]!
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
function hashKey(bytes: Uint8Array, offset: number, length: number): number {
  let h = 0x811c9dc5
  for (let i = offset; i < offset + length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193)
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
