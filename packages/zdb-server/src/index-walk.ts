/**
 * Walks a namespace's index entries in write order, skipping deleted ones, for SCAN and RSCAN
 * (upstream libzdb/index_scan.c; spec zdb.md §1 "SCAN / RSCAN", §2 "Index entry").
 * - Forward: the entry after one at `o` is at `o + 34 + idlen`; past the end of `i<N>` the walk
 *   goes on at offset 29 of `i<N+1>`, and stops after the last file.
 * - Backward: an entry's `previous` field is the offset of the entry written before it; a
 *   value ≥ the entry's own offset means it is in an earlier file (empty files are skipped),
 *   and 0 means there is none.
 *
 * Index bytes are read in windows of 64 KiB, so walking costs few reads.
 * @module
 */
import {
  decodeIndexEntry,
  INDEX_ENTRY_SIZE,
  INDEX_FLAG_DELETED,
  INDEX_HEADER_SIZE,
  type IndexEntry,
} from './format/index-file.js'
import type { EntryLocation } from './namespace-files.js'

/** What the walker reads: a namespace. */
export interface IndexSource {
  readonly currentFileId: number
  readonly lastEntry: EntryLocation | null
  indexFileSize(fileId: number): number
  readIndexBytes(fileId: number, position: number, length: number): Buffer
}

export interface LocatedEntry extends EntryLocation {
  entry: IndexEntry
}

const WINDOW = 64 * 1024
const MAX_ENTRY = INDEX_ENTRY_SIZE + 255

export class IndexWalker {
  readonly #src: IndexSource
  readonly #sizes = new Map<number, number>()
  #winFile = -1
  #winStart = 0
  #win: Buffer = Buffer.alloc(0)

  constructor(source: IndexSource) {
    this.#src = source
  }

  /** The entry at `at` (deleted or not), or null if no whole entry is there. */
  entryAt(at: EntryLocation, backward = false): IndexEntry | null {
    const size = this.#size(at.fileId)
    if (at.offset < INDEX_HEADER_SIZE || at.offset + INDEX_ENTRY_SIZE > size) return null
    const hit = this.#fromWindow(at, size)
    if (hit !== undefined) return hit
    const start = backward ? Math.max(INDEX_HEADER_SIZE, at.offset + MAX_ENTRY - WINDOW) : at.offset
    this.#winFile = at.fileId
    this.#winStart = start
    this.#win = this.#src.readIndexBytes(at.fileId, start, Math.min(WINDOW, size - start))
    return this.#fromWindow(at, size) ?? null
  }

  /** The first live entry of the namespace. */
  first(): LocatedEntry | null {
    return this.#forwardFrom({ fileId: 0, offset: INDEX_HEADER_SIZE })
  }

  /** The first live entry after the entry at `at`. */
  next(at: EntryLocation, current: IndexEntry): LocatedEntry | null {
    return this.#forwardFrom({ fileId: at.fileId, offset: at.offset + INDEX_ENTRY_SIZE + current.key.length })
  }

  /** The last live entry of the namespace. */
  last(): LocatedEntry | null {
    const at = this.#src.lastEntry
    if (!at) return null
    const entry = this.entryAt(at, true)
    if (!entry) return null
    if (!(entry.flags & INDEX_FLAG_DELETED)) return { ...at, entry }
    return this.previous(at, entry)
  }

  /** The last live entry written before the entry at `at`. */
  previous(at: EntryLocation, current: IndexEntry): LocatedEntry | null {
    let fileId = at.fileId
    let offset = at.offset
    let entry = current
    for (;;) {
      const prev = entry.previous
      if (prev === 0) return null
      if (prev >= offset) {
        do fileId--
        while (fileId >= 0 && this.#size(fileId) <= INDEX_HEADER_SIZE)
        if (fileId < 0) return null
      }
      offset = prev
      const found = this.entryAt({ fileId, offset }, true)
      if (!found) return null
      if (!(found.flags & INDEX_FLAG_DELETED)) return { fileId, offset, entry: found }
      entry = found
    }
  }

  #forwardFrom(start: EntryLocation): LocatedEntry | null {
    let { fileId, offset } = start
    for (;;) {
      const entry = this.entryAt({ fileId, offset })
      if (!entry) {
        fileId++
        if (fileId > this.#src.currentFileId) return null
        offset = INDEX_HEADER_SIZE
        continue
      }
      if (!(entry.flags & INDEX_FLAG_DELETED)) return { fileId, offset, entry }
      offset += INDEX_ENTRY_SIZE + entry.key.length
    }
  }

  /** The entry from the window, null if it is torn at the end of the file, undefined if not in it. */
  #fromWindow(at: EntryLocation, size: number): IndexEntry | null | undefined {
    if (at.fileId !== this.#winFile || at.offset < this.#winStart) return undefined
    const entry = decodeIndexEntry(this.#win, at.offset - this.#winStart)
    if (entry) return entry
    return this.#winStart + this.#win.length >= size ? null : undefined
  }

  #size(fileId: number): number {
    let size = this.#sizes.get(fileId)
    if (size === undefined) {
      size = this.#src.indexFileSize(fileId)
      this.#sizes.set(fileId, size)
    }
    return size
  }
}
