/**
 * Writes to the files of one namespace: appends to files N, in-place edits of older index
 * entries, and the group commit's deferred appends.
 *
 * While `deferred()` says so (a group commit is open, see write-batch.ts), appends are kept in
 * memory and written by {@link FileWrites.flush} with one `writev` per file; anything that
 * reads or edits those bytes, or leaves files N, flushes first.
 * @module
 */
import { fdatasyncSync, ftruncateSync } from 'node:fs'
import { AppendBuffer } from './append-buffer.js'
import { type CurrentFiles, type EntryLocation, NamespaceWriteError } from './current-files.js'
import type { FdCache } from './fd-cache.js'
import { writeAll } from './file-io.js'
import { DATA_ENTRY_SIZE, writeDataEntryHead } from './format/data-file.js'
import { INDEX_ENTRY_SIZE, type IndexEntry, writeIndexEntry } from './format/index-file.js'
import type { ZdbLogger } from './logger.js'
import type { ServerStats } from './stats.js'
import type { ValueCache } from './value-cache.js'

/** `always`: before any write is acknowledged (`--sync`); `interval`: when the last fsync is older than `seconds` (`--synctime`). */
export type SyncPolicy = { mode: 'none' } | { mode: 'always' } | { mode: 'interval'; seconds: number }

export interface FileWritesOptions {
  current: CurrentFiles
  /** Older index files, shared with the reads. */
  indexFds: FdCache
  name: string
  logger: ZdbLogger
  stats: ServerStats
  deferred: () => boolean
  onDeferred: () => void
  sync: SyncPolicy
  cache: ValueCache | undefined
  space: number
}

export class FileWrites {
  readonly #current: CurrentFiles
  readonly #indexFds: FdCache
  readonly #name: string
  readonly #logger: ZdbLogger
  readonly #stats: ServerStats
  readonly #deferred: () => boolean
  readonly #onDeferred: () => void
  readonly #sync: SyncPolicy
  readonly #cache: ValueCache | undefined
  readonly #space: number
  #lastSync = Date.now()
  readonly #pendingData = new AppendBuffer()
  readonly #pendingIndex = new AppendBuffer()
  /** In-place edits of already written index entries, applied after the deferred appends. */
  #pendingEdits: { fileId: number; position: number; bytes: Buffer }[] = []
  #broken = false

  constructor(options: FileWritesOptions) {
    this.#current = options.current
    this.#indexFds = options.indexFds
    this.#name = options.name
    this.#logger = options.logger
    this.#stats = options.stats
    this.#deferred = options.deferred
    this.#onDeferred = options.onDeferred
    this.#sync = options.sync
    this.#cache = options.cache
    this.#space = options.space
  }

  /** True after a failed flush: the in-memory state is ahead of the files until a reload. */
  get broken(): boolean {
    return this.#broken
  }

  /** Whether data bytes of files N are still deferred. */
  get pendingData(): boolean {
    return this.#pendingData.length > 0
  }

  /** Whether an in-place edit of an older index file is still deferred. */
  get pendingEdits(): boolean {
    return this.#pendingEdits.length > 0
  }

  /**
   * Writes the deferred appends: data first, then index (a crash in between leaves an
   * unreferenced data entry, never an index entry without its data), then fsyncs as the policy
   * says. On failure both files are cut back to their last flushed size and
   * {@link NamespaceWriteError} is thrown; this object is then {@link broken}.
   */
  flush(): void {
    this.assertUsable()
    if (!this.#pending()) return
    const cur = this.#current
    try {
      this.#pendingData.writeTo(cur.dataFd, cur.flushedData)
    } catch (err) {
      this.#stats.dataWriteFailed += 1
      this.#abandon()
      throw new NamespaceWriteError('data', { cause: err })
    }
    try {
      this.#pendingIndex.writeTo(cur.indexFd, cur.flushedIndex)
    } catch (err) {
      this.#stats.indexWriteFailed += 1
      this.#abandon()
      throw new NamespaceWriteError('index', { cause: err })
    }
    cur.flushedData = cur.dataSize
    cur.flushedIndex = cur.indexSize
    const edited = new Set<number>([cur.dataFd, cur.indexFd])
    for (const edit of this.#pendingEdits.splice(0)) {
      try {
        const fd = this.indexFdFor(edit.fileId)
        writeAll(fd, [edit.bytes], edit.position)
        this.#stats.indexWriteBytes += edit.bytes.length
        edited.add(fd)
      } catch (err) {
        // The appends are written, but a lost DEL flag would bring a key back at the next
        // replay: fail the turn (nothing of it is acknowledged) and let the namespace reload.
        this.#stats.indexWriteFailed += 1
        this.#broken = true
        this.#pendingEdits = []
        throw new NamespaceWriteError('index', { cause: err })
      }
    }
    this.#synced(...edited)
  }

  /** Appends a data entry (head, key, payload); returns its offset. */
  appendData(key: Buffer, value: Buffer, crc: number, flags: number, timestamp: number): number {
    const cur = this.#current
    const offset = cur.dataSize
    const deferred = this.#defer()
    const pending = this.#pendingData
    const headLength = DATA_ENTRY_SIZE + key.length
    const chunk = pending.reserve(headLength)
    const header = {
      dataLength: value.length,
      previous: cur.dataPrevious,
      crc,
      flags,
      timestamp: timestamp >>> 0,
    }
    writeDataEntryHead(chunk, pending.pos, header, key)
    pending.advance(headLength)
    pending.append(value)
    const size = headLength + value.length
    if (!deferred) {
      try {
        pending.writeTo(cur.dataFd, cur.flushedData)
      } catch (err) {
        this.#stats.dataWriteFailed += 1
        this.#rollback(cur.dataFd, cur.flushedData)
        throw new NamespaceWriteError('data', { cause: err })
      }
      cur.flushedData = offset + size
      this.#synced(cur.dataFd)
    }
    cur.dataSize = offset + size
    cur.dataPrevious = offset
    this.#stats.dataWriteBytes += size
    // The next read of a value just written is likely (the unchanged-value check of a client
    // that repeats its SETs, a read-back): keep it while the payload is at hand.
    if (flags === 0) this.#cache?.put(this.#space, cur.fileId, offset, value)
    return offset
  }

  /** Appends an index entry to file N, its `previous` set to the last entry; returns its location. */
  appendIndex(entry: Omit<IndexEntry, 'previous'>): EntryLocation {
    const cur = this.#current
    const offset = cur.indexSize
    const deferred = this.#defer()
    const pending = this.#pendingIndex
    const size = INDEX_ENTRY_SIZE + entry.key.length
    const chunk = pending.reserve(size)
    writeIndexEntry(chunk, pending.pos, entry, cur.lastEntry?.offset ?? 0)
    pending.advance(size)
    if (!deferred) {
      try {
        pending.writeTo(cur.indexFd, cur.flushedIndex)
      } catch (err) {
        this.#stats.indexWriteFailed += 1
        this.#rollback(cur.indexFd, cur.flushedIndex)
        throw new NamespaceWriteError('index', { cause: err })
      }
      cur.flushedIndex = offset + size
      this.#synced(cur.indexFd)
    }
    cur.indexSize = offset + size
    cur.lastEntry = { fileId: cur.fileId, offset }
    this.#stats.indexWriteBytes += size
    return { fileId: cur.fileId, offset }
  }

  /** Rewrites `bytes` at `delta` inside the index entry at `at` (flags byte, or a whole seq slot). */
  writeIndexAt(at: EntryLocation, bytes: Buffer, delta: number): void {
    this.assertUsable()
    const cur = this.#current
    const position = at.offset + delta
    if (at.fileId === cur.fileId && position >= cur.flushedIndex) {
      // Still in memory: edit the deferred entry itself, so it is written once, already edited.
      this.#pendingIndex.patch(position - cur.flushedIndex, bytes)
      return
    }
    // Flagging an older entry must not reach the disk before the appends that replace it:
    // a crash in between would lose the old value and the new one.
    if (this.#deferred() && this.#pending()) {
      this.#pendingEdits.push({ fileId: at.fileId, position, bytes: Buffer.from(bytes) })
      this.#onDeferred()
      return
    }
    this.flush()
    try {
      const fd = this.indexFdFor(at.fileId)
      writeAll(fd, [bytes], position)
      this.#stats.indexWriteBytes += bytes.length
      this.#synced(fd)
    } catch (err) {
      this.#stats.indexWriteFailed += 1
      throw new NamespaceWriteError('index', { cause: err })
    }
  }

  /** A descriptor of index file `fileId`: files N's own, or a cached `r+` one. */
  indexFdFor(fileId: number): number {
    const cur = this.#current
    return fileId === cur.fileId ? cur.indexFd : this.#indexFds.get(fileId)
  }

  assertUsable(): void {
    if (this.#broken) throw new NamespaceWriteError('data', { cause: new Error('a previous flush failed') })
  }

  /** Whether this append is deferred; the first deferred one of a commit registers us. */
  #defer(): boolean {
    this.assertUsable()
    if (!this.#deferred()) return false
    this.#onDeferred()
    return true
  }

  #pending(): boolean {
    return this.#pendingData.length > 0 || this.#pendingIndex.length > 0 || this.#pendingEdits.length > 0
  }

  /** After a failed flush: the files go back to their flushed sizes, the deferred bytes are dropped. */
  #abandon(): void {
    const cur = this.#current
    this.#broken = true
    // Offsets past the flushed size will be written again with other payloads.
    this.#cache?.dropSpace(this.#space)
    this.#rollback(cur.dataFd, cur.flushedData)
    this.#rollback(cur.indexFd, cur.flushedIndex)
    this.#pendingData.clear()
    this.#pendingIndex.clear()
    this.#pendingEdits = []
    cur.dataSize = cur.flushedData
    cur.indexSize = cur.flushedIndex
  }

  /** Records a write to `fds` and fsyncs them if the policy wants it now. */
  #synced(...fds: number[]): void {
    const policy = this.#sync
    if (policy.mode === 'none') return
    const now = Date.now()
    if (policy.mode === 'interval' && now - this.#lastSync < policy.seconds * 1000) return
    for (const fd of fds) fdatasyncSync(fd)
    this.#lastSync = now
  }

  /** Cuts a partially written entry off so the next append starts at a clean boundary. */
  #rollback(fd: number, size: number): void {
    try {
      ftruncateSync(fd, size)
    } catch (err) {
      this.#logger.error(`namespace ${this.#name}: cannot truncate after a failed write: ${String(err)}`)
    }
  }
}
