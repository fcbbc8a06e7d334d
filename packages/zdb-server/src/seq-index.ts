/**
 * Where a sequential-mode id lives (spec zdb.md §2, "Startup"): every index entry of a seq
 * namespace is 42 bytes and takes the next id, so id `n` is the `n - first(f)`-th entry of the
 * index file `f` whose first id is the largest one ≤ n, at `29 + rel * 42`.
 *
 * Memory: like upstream's `seqid → fileid` map, this keeps one number per index file and no
 * per-id table; a lookup reads the 42-byte entry from disk (through the namespace's cached fds).
 * @module
 */
import { seqSlotOffset } from './format/index-file.js'
import type { EntryLocation } from './namespace-files.js'

export class SeqIndex {
  /** `firstIds[f]` is the id of the first entry of index file `f`. */
  readonly #firstIds: number[]
  #nextId: number

  /** `counts[f]` is the number of entries in index file `f`. */
  constructor(counts: readonly number[]) {
    this.#firstIds = []
    let next = 0
    for (const n of counts) {
      this.#firstIds.push(next)
      next += n
    }
    this.#nextId = next
  }

  /** The id the next appended entry takes (NSINFO `next_internal_id`). */
  get nextId(): number {
    return this.#nextId
  }

  /** The slot of `id`, or undefined if no entry took that id yet. */
  locate(id: number): EntryLocation | undefined {
    if (!Number.isSafeInteger(id) || id < 0 || id >= this.#nextId) return undefined
    // Largest f with firstIds[f] <= id; an empty file shares its first id with the next one.
    let lo = 0
    let hi = this.#firstIds.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (this.#firstIds[mid]! <= id) lo = mid
      else hi = mid - 1
    }
    return { fileId: lo, offset: seqSlotOffset(id - this.#firstIds[lo]!) }
  }

  /** Records an entry appended to index file `fileId` (the last one) and returns its id. */
  take(fileId: number): number {
    while (this.#firstIds.length <= fileId) this.#firstIds.push(this.#nextId)
    return this.#nextId++
  }
}
