/**
 * The files of one namespace (spec zdb.md §2): the current index and data files N, appends to
 * them, in-place edits of older index entries, rotation to files N+1, and positional reads of
 * any index or data file. Knows nothing of keys or modes.
 *
 * Every call is synchronous, so no two writes interleave. While `deferred()` says so (a group
 * commit is open, see write-batch.ts), appends to files N are kept in memory and written by
 * {@link NamespaceFiles.flush} with one `writev` per file; anything that reads or edits
 * those bytes, or leaves files N, flushes first.
 * @module
 */
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync } from 'node:fs'
import { AppendBuffer } from './append-buffer.js'
import { scanDataFile } from './data-scan.js'
import { FdCache } from './fd-cache.js'
import { readExact, readUpTo, writeAll } from './file-io.js'
import {
  DATA_ENTRY_SIZE,
  DATA_HEADER_SIZE,
  decodeDataEntryHeader,
  encodeDataHeader,
  writeDataEntryHead,
} from './format/data-file.js'
import {
  encodeIndexHeader,
  INDEX_ENTRY_SIZE,
  INDEX_FLAG_DELETED,
  INDEX_FLAGS_OFFSET,
  INDEX_HEADER_SIZE,
  type IndexEntry,
  writeIndexEntry,
} from './format/index-file.js'
import { dataFilePath, indexFilePath } from './format/paths.js'
import type { ZdbLogger } from './logger.js'
import { MissingDataError } from './missing-data.js'
import { createWithHeader, openCurrentDataFile } from './numbered-files.js'
import type { ServerStats } from './stats.js'
import type { ValueCache } from './value-cache.js'

/**
 * Where {@link NamespaceFiles.peekPayload} reads payloads up to its size. Reads are
 * synchronous and single-threaded, so one buffer serves every namespace: whoever peeks uses
 * the bytes before the next read. 8 KiB stays below the RespWriter's 16 KiB copy threshold, so
 * a peeked payload handed to `bulk()` is copied, never kept by reference.
 */
const SCRATCH = Buffer.allocUnsafeSlow(8 * 1024)

/** Which file a failed write was aimed at; commands map it to upstream's error strings. */
export class NamespaceWriteError extends Error {
  override readonly name = 'NamespaceWriteError'
  constructor(
    readonly target: 'data' | 'index',
    options?: ErrorOptions,
  ) {
    super(`cannot write ${target}`, options)
  }
}

/** Where an index entry is. */
export interface EntryLocation {
  fileId: number
  offset: number
}

export interface NamespaceFilesOptions {
  indexDir: string
  dataDir: string
  /** Current (last) file id. */
  fileId: number
  /** Last index entry written, if any; the next entry's `previous` points at it. */
  lastEntry: EntryLocation | null
  /** Header mode byte of files created by rotation. */
  mode: number
  logger: ZdbLogger
  stats: ServerStats
  name: string
  /** Whether appends are deferred right now (a group commit is open). */
  deferred?: () => boolean
  /** Called for every deferred write. */
  onDeferred?: () => void
  /** When to fsync what was written. */
  sync?: SyncPolicy
  /** `--secure`: fsync files N before jumping to N+1, whatever `sync` says. */
  secure?: boolean
  /**
   * Called with the path of a non-current data file whose open failed with ENOENT, before the
   * error is thrown; it may throw a {@link MissingDataError} instead (the `missing-data` hook).
   */
  onMissingData?: (path: string) => void
  /** Called after each rotation to files N+1 (the `jump-index` / `jump-data` hooks). */
  onRotate?: (rotation: Rotation) => void
  /** Called with the path of a non-current data file each time a read opened or reused it. */
  onDataRead?: (path: string) => void
  /**
   * The server's payload cache. These files get a space of their own in it, dropped when they
   * are closed or cut back, so that no later generation of the files is served from it.
   */
  cache?: ValueCache
}

/** The files left and the files started by a rotation. */
export interface Rotation {
  oldIndex: string
  newIndex: string
  oldData: string
  newData: string
}

/** `always`: before any write is acknowledged (`--sync`); `interval`: when the last fsync is older than `seconds` (`--synctime`). */
export type SyncPolicy = { mode: 'none' } | { mode: 'always' } | { mode: 'interval'; seconds: number }

export class NamespaceFiles {
  readonly indexDir: string
  readonly dataDir: string
  readonly #name: string
  readonly #mode: number
  readonly #logger: ZdbLogger
  readonly #stats: ServerStats
  readonly #dataReaders = new FdCache('r')
  /** Older index files, read by lookups and scans and edited in place. */
  readonly #indexFds = new FdCache('r+')
  #fileId: number
  #indexFd: number
  #dataFd: number
  #indexSize: number
  #dataSize: number
  #lastEntry: EntryLocation | null
  #dataPrevious: number
  readonly #deferred: () => boolean
  readonly #onDeferred: () => void
  readonly #onMissingData: (path: string) => void
  readonly #onRotate: (rotation: Rotation) => void
  readonly #onDataRead: ((path: string) => void) | undefined
  readonly #sync: SyncPolicy
  readonly #secure: boolean
  #lastSync = Date.now()
  /** Deferred appends and the file sizes they start at. */
  readonly #pendingData = new AppendBuffer()
  readonly #pendingIndex = new AppendBuffer()
  #flushedData = 0
  #flushedIndex = 0
  /** In-place edits of already written index entries, applied after the deferred appends. */
  #pendingEdits: { fileId: number; position: number; bytes: Buffer }[] = []
  #broken = false
  readonly #cache: ValueCache | undefined
  readonly #space: number

  /** Opens files N (writing the data header if missing; a torn data tail is truncated). */
  constructor(options: NamespaceFilesOptions) {
    this.indexDir = options.indexDir
    this.dataDir = options.dataDir
    this.#name = options.name
    this.#mode = options.mode
    this.#logger = options.logger
    this.#stats = options.stats
    this.#fileId = options.fileId
    this.#lastEntry = options.lastEntry
    this.#indexFd = openSync(indexFilePath(this.indexDir, this.#fileId), 'r+')
    try {
      this.#dataFd = openCurrentDataFile(this.dataDir, this.#fileId, options.logger)
    } catch (err) {
      closeSync(this.#indexFd)
      throw err
    }
    const scan = scanDataFile(this.#dataFd, fstatSync(this.#dataFd).size)
    this.#indexSize = fstatSync(this.#indexFd).size
    this.#dataSize = scan.validEnd
    this.#dataPrevious = scan.lastOffset ?? 0
    this.#flushedData = this.#dataSize
    this.#flushedIndex = this.#indexSize
    this.#deferred = options.deferred ?? (() => false)
    this.#onDeferred = options.onDeferred ?? (() => {})
    this.#onMissingData = options.onMissingData ?? (() => {})
    this.#onRotate = options.onRotate ?? (() => {})
    this.#onDataRead = options.onDataRead
    this.#sync = options.sync ?? { mode: 'none' }
    this.#secure = options.secure ?? false
    this.#cache = options.cache
    this.#space = options.cache?.newSpace() ?? 0
  }

  /** True after a failed flush: the in-memory state is ahead of the files until a reload. */
  get broken(): boolean {
    return this.#broken
  }

  /**
   * Writes the deferred appends: data first, then index (a crash in between leaves an
   * unreferenced data entry, never an index entry without its data), then fsyncs as the policy
   * says. On failure both files are cut back to their last flushed size and
   * {@link NamespaceWriteError} is thrown; this object is then {@link broken}.
   */
  flush(): void {
    this.#assertUsable()
    if (!this.#pending()) return
    try {
      this.#pendingData.writeTo(this.#dataFd, this.#flushedData)
    } catch (err) {
      this.#stats.dataWriteFailed += 1
      this.#abandon()
      throw new NamespaceWriteError('data', { cause: err })
    }
    try {
      this.#pendingIndex.writeTo(this.#indexFd, this.#flushedIndex)
    } catch (err) {
      this.#stats.indexWriteFailed += 1
      this.#abandon()
      throw new NamespaceWriteError('index', { cause: err })
    }
    this.#flushedData = this.#dataSize
    this.#flushedIndex = this.#indexSize
    const edited = new Set<number>([this.#dataFd, this.#indexFd])
    for (const edit of this.#pendingEdits.splice(0)) {
      try {
        const fd = this.#indexFdFor(edit.fileId)
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

  /** Id of the current index and data files. */
  get fileId(): number {
    return this.#fileId
  }

  /** Offset where the next data entry goes. */
  get dataSize(): number {
    return this.#dataSize
  }

  /** Offset where the next index entry goes. */
  get indexSize(): number {
    return this.#indexSize
  }

  /** The last index entry appended (RSCAN starts there), or null if none was ever written. */
  get lastEntry(): EntryLocation | null {
    return this.#lastEntry
  }

  /**
   * Rotates before a write of `valueLength` bytes that would grow the data file past
   * `datasize`. A file holding no entry yet is never left for the next one, so a value larger
   * than datasize cannot make every SET create a new empty file.
   */
  rotateIfNeeded(valueLength: number, datasize: number): void {
    if (this.#dataSize + valueLength > datasize && this.#dataSize > DATA_HEADER_SIZE) this.#rotate()
  }

  /** NSJUMP: moves to index and data files N+1 now, even if file N holds no entry yet. */
  jump(): void {
    this.#rotate()
  }

  /** Appends a data entry (head, key, payload); returns its offset. */
  appendData(key: Buffer, value: Buffer, crc: number, flags: number, timestamp: number): number {
    const offset = this.#dataSize
    const deferred = this.#defer()
    const pending = this.#pendingData
    const headLength = DATA_ENTRY_SIZE + key.length
    const chunk = pending.reserve(headLength)
    const header = {
      dataLength: value.length,
      previous: this.#dataPrevious,
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
        pending.writeTo(this.#dataFd, this.#flushedData)
      } catch (err) {
        this.#stats.dataWriteFailed += 1
        this.#rollback(this.#dataFd, this.#flushedData)
        throw new NamespaceWriteError('data', { cause: err })
      }
      this.#flushedData = offset + size
      this.#synced(this.#dataFd)
    }
    this.#dataSize = offset + size
    this.#dataPrevious = offset
    this.#stats.dataWriteBytes += size
    // The next read of a value just written is likely (the unchanged-value check of a client
    // that repeats its SETs, a read-back): keep it while the payload is at hand.
    if (flags === 0) this.#cache?.put(this.#space, this.#fileId, offset, value)
    return offset
  }

  /** Appends an index entry to file N, its `previous` set to the last entry; returns its location. */
  appendIndex(entry: Omit<IndexEntry, 'previous'>): EntryLocation {
    const offset = this.#indexSize
    const deferred = this.#defer()
    const pending = this.#pendingIndex
    const size = INDEX_ENTRY_SIZE + entry.key.length
    const chunk = pending.reserve(size)
    writeIndexEntry(chunk, pending.pos, entry, this.#lastEntry?.offset ?? 0)
    pending.advance(size)
    if (!deferred) {
      try {
        pending.writeTo(this.#indexFd, this.#flushedIndex)
      } catch (err) {
        this.#stats.indexWriteFailed += 1
        this.#rollback(this.#indexFd, this.#flushedIndex)
        throw new NamespaceWriteError('index', { cause: err })
      }
      this.#flushedIndex = offset + size
      this.#synced(this.#indexFd)
    }
    this.#indexSize = offset + size
    this.#lastEntry = { fileId: this.#fileId, offset }
    this.#stats.indexWriteBytes += size
    return { fileId: this.#fileId, offset }
  }

  /** Sets the deleted flag of the index entry at `at`, in place. */
  flagDeleted(at: EntryLocation): void {
    this.writeIndexAt(at, Buffer.of(INDEX_FLAG_DELETED), INDEX_FLAGS_OFFSET)
  }

  /** Rewrites `bytes` at `delta` inside the index entry at `at` (flags byte, or a whole seq slot). */
  writeIndexAt(at: EntryLocation, bytes: Buffer, delta = 0): void {
    this.#assertUsable()
    const position = at.offset + delta
    if (at.fileId === this.#fileId && position >= this.#flushedIndex) {
      // Still in memory: edit the deferred entry itself, so it is written once, already edited.
      this.#pendingIndex.patch(position - this.#flushedIndex, bytes)
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
      const fd = this.#indexFdFor(at.fileId)
      writeAll(fd, [bytes], position)
      this.#stats.indexWriteBytes += bytes.length
      this.#synced(fd)
    } catch (err) {
      this.#stats.indexWriteFailed += 1
      throw new NamespaceWriteError('index', { cause: err })
    }
  }

  /** Size of index file `fileId`, 0 if it does not exist. */
  indexFileSize(fileId: number): number {
    if (fileId === this.#fileId) return this.#indexSize
    if (fileId > this.#fileId || fileId < 0) return 0
    try {
      return fstatSync(this.#indexFdFor(fileId)).size
    } catch {
      return 0
    }
  }

  /** Up to `length` bytes of index file `fileId` at `position` (fewer at its end). */
  readIndex(fileId: number, position: number, length: number): Buffer {
    if (
      this.#pendingEdits.length > 0 ||
      (fileId === this.#fileId && position + length > this.#flushedIndex)
    ) {
      this.flush()
    }
    try {
      const buf = readUpTo(this.#indexFdFor(fileId), length, position)
      this.#stats.indexReadBytes += buf.length
      return buf
    } catch (err) {
      this.#stats.indexReadFailed += 1
      throw err
    }
  }

  /** `length` payload bytes of the data entry at `dataOffset` in `d<dataId>`; throws if unreadable. */
  readPayload(dataId: number, dataOffset: number, keyLength: number, length: number): Buffer {
    return this.#payload(dataId, dataOffset, keyLength, length, undefined)
  }

  /**
   * {@link readPayload}, but a payload of up to 8 KiB comes in a buffer shared by every read
   * (no allocation per GET): use it before the next read or write, or copy it. Served from
   * the value cache when it holds the payload; a payload read from disk is added to it.
   */
  peekPayload(dataId: number, dataOffset: number, keyLength: number, length: number): Buffer {
    const into = length <= SCRATCH.length ? SCRATCH : undefined
    const cache = this.#cache
    if (cache === undefined || length === 0 || length > cache.maxValue) {
      return this.#payload(dataId, dataOffset, keyLength, length, into)
    }
    // As a read from disk would, write this turn's appends first: a reply must not show a
    // value that is not in the files yet (with --sync, not yet fsynced).
    if (dataId === this.#fileId && dataOffset + DATA_ENTRY_SIZE + keyLength + length > this.#flushedData)
      this.flush()
    const hit = cache.get(this.#space, dataId, dataOffset, length)
    if (hit !== undefined) {
      if (dataId !== this.#fileId) this.#onDataRead?.(dataFilePath(this.dataDir, dataId))
      // A view of the cache is only valid until its next write: copy what a caller may keep.
      return into === undefined ? Buffer.from(hit) : hit
    }
    const payload = this.#payload(dataId, dataOffset, keyLength, length, into)
    cache.put(this.#space, dataId, dataOffset, payload)
    return payload
  }

  #payload(
    dataId: number,
    dataOffset: number,
    keyLength: number,
    length: number,
    into: Buffer | undefined,
  ): Buffer {
    if (dataId === this.#fileId && dataOffset + DATA_ENTRY_SIZE + keyLength + length > this.#flushedData)
      this.flush()
    try {
      const payload = readExact(
        this.#dataFdFor(dataId),
        length,
        dataOffset + DATA_ENTRY_SIZE + keyLength,
        into,
      )
      this.#stats.dataReadBytes += length
      return payload
    } catch (err) {
      if (!(err instanceof MissingDataError)) this.#stats.dataReadFailed += 1
      throw err
    }
  }

  /** Up to `length` raw bytes of `d<dataId>` at `position` (fewer at its end). */
  readData(dataId: number, position: number, length: number): Buffer {
    if (dataId === this.#fileId && position + length > this.#flushedData) this.flush()
    try {
      const buf = readUpTo(this.#dataFdFor(dataId), length, position)
      this.#stats.dataReadBytes += buf.length
      return buf
    } catch (err) {
      if (!(err instanceof MissingDataError)) this.#stats.dataReadFailed += 1
      throw err
    }
  }

  /** The data entry at `dataOffset`: its stored CRC and its payload; throws if unreadable. */
  readDataEntry(dataId: number, dataOffset: number): { crc: number; payload: Buffer } {
    // Its length is only known once read: any pending append might be part of it.
    if (dataId === this.#fileId && this.#pendingData.length > 0) this.flush()
    try {
      const fd = this.#dataFdFor(dataId)
      const head = decodeDataEntryHeader(readExact(fd, DATA_ENTRY_SIZE, dataOffset))!
      const payload = readExact(fd, head.dataLength, dataOffset + DATA_ENTRY_SIZE + head.keyLength)
      this.#stats.dataReadBytes += head.dataLength
      return { crc: head.crc, payload }
    } catch (err) {
      if (!(err instanceof MissingDataError)) this.#stats.dataReadFailed += 1
      throw err
    }
  }

  close(): void {
    try {
      if (!this.#broken) this.flush()
    } finally {
      this.#cache?.dropSpace(this.#space)
      this.#closeFds()
    }
  }

  #closeFds(): void {
    closeSync(this.#indexFd)
    closeSync(this.#dataFd)
    this.#dataReaders.closeAll()
    this.#indexFds.closeAll()
  }

  /** Whether this append is deferred; the first deferred one of a commit registers us. */
  #defer(): boolean {
    this.#assertUsable()
    if (!this.#deferred()) return false
    this.#onDeferred()
    return true
  }

  #pending(): boolean {
    return this.#pendingData.length > 0 || this.#pendingIndex.length > 0 || this.#pendingEdits.length > 0
  }

  #assertUsable(): void {
    if (this.#broken) throw new NamespaceWriteError('data', { cause: new Error('a previous flush failed') })
  }

  /** After a failed flush: the files go back to their flushed sizes, the deferred bytes are dropped. */
  #abandon(): void {
    this.#broken = true
    // Offsets past the flushed size will be written again with other payloads.
    this.#cache?.dropSpace(this.#space)
    this.#rollback(this.#dataFd, this.#flushedData)
    this.#rollback(this.#indexFd, this.#flushedIndex)
    this.#pendingData.clear()
    this.#pendingIndex.clear()
    this.#pendingEdits = []
    this.#dataSize = this.#flushedData
    this.#indexSize = this.#flushedIndex
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

  #dataFdFor(dataId: number): number {
    if (dataId === this.#fileId) return this.#dataFd
    const path = dataFilePath(this.dataDir, dataId)
    let fd: number
    try {
      fd = this.#dataReaders.get(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        // Whatever comes back in its place (the missing-data hook) is read from disk.
        this.#cache?.dropFile(this.#space, dataId)
        this.#onMissingData(path)
      }
      throw err
    }
    this.#onDataRead?.(path)
    return fd
  }

  /**
   * Closes the cached read descriptor of old data file `d<dataId>`, so that once unlinked its
   * space is freed and the next read meets a missing file. False for the current file.
   */
  releaseDataReader(dataId: number): boolean {
    if (dataId === this.#fileId) return false
    this.#dataReaders.drop(dataFilePath(this.dataDir, dataId))
    // The embedder may unlink it: its next read must meet the missing file, not the cache.
    this.#cache?.dropFile(this.#space, dataId)
    return true
  }

  /** Size of `d<dataId>`, undefined if it does not exist (after the missing-data check). */
  dataFileSize(dataId: number): number | undefined {
    if (dataId === this.#fileId) return this.#dataSize
    if (dataId > this.#fileId || dataId < 0) return undefined
    try {
      return fstatSync(this.#dataFdFor(dataId)).size
    } catch (err) {
      if (err instanceof MissingDataError) throw err
      return undefined
    }
  }

  #indexFdFor(fileId: number): number {
    return fileId === this.#fileId ? this.#indexFd : this.#indexFds.get(indexFilePath(this.indexDir, fileId))
  }

  /** Cuts a partially written entry off so the next append starts at a clean boundary. */
  #rollback(fd: number, size: number): void {
    try {
      ftruncateSync(fd, size)
    } catch (err) {
      this.#logger.error(`namespace ${this.#name}: cannot truncate after a failed write: ${String(err)}`)
    }
  }

  /** Jumps to index and data files N+1 (index first, as upstream). */
  #rotate(): void {
    this.flush()
    if (this.#secure) {
      // Files N are final from here on: make them durable before anything points past them.
      fdatasyncSync(this.#dataFd)
      fdatasyncSync(this.#indexFd)
    }
    const next = this.#fileId + 1
    let indexFd: number
    let dataFd: number
    try {
      indexFd = createWithHeader(
        indexFilePath(this.indexDir, next),
        encodeIndexHeader({ fileId: next, mode: this.#mode }),
      )
    } catch (err) {
      this.#stats.indexWriteFailed += 1
      throw new NamespaceWriteError('index', { cause: err })
    }
    try {
      dataFd = createWithHeader(dataFilePath(this.dataDir, next), encodeDataHeader(next))
    } catch (err) {
      closeSync(indexFd)
      this.#stats.dataWriteFailed += 1
      throw new NamespaceWriteError('data', { cause: err })
    }
    closeSync(this.#indexFd)
    closeSync(this.#dataFd)
    this.#logger.debug(`namespace ${this.#name}: rotated to files ${next}`)
    this.#fileId = next
    this.#indexFd = indexFd
    this.#dataFd = dataFd
    this.#indexSize = INDEX_HEADER_SIZE
    this.#dataSize = DATA_HEADER_SIZE
    this.#flushedIndex = INDEX_HEADER_SIZE
    this.#flushedData = DATA_HEADER_SIZE
    this.#stats.indexWriteBytes += INDEX_HEADER_SIZE
    this.#stats.dataWriteBytes += DATA_HEADER_SIZE
    this.#onRotate({
      oldIndex: indexFilePath(this.indexDir, next - 1),
      newIndex: indexFilePath(this.indexDir, next),
      oldData: dataFilePath(this.dataDir, next - 1),
      newData: dataFilePath(this.dataDir, next),
    })
  }
}
