/**
 * The files of one namespace (spec zdb.md §2): the current index and data files N
 * (current-files.ts), the writes to them (file-writes.ts), positional reads of any index or
 * data file (file-reads.ts), and rotation to files N+1. Knows nothing of keys or modes.
 *
 * Every call is synchronous, so no two writes interleave.
 * @module
 */
import { fdatasyncSync } from 'node:fs'
import { CurrentFiles, type EntryLocation } from './current-files.js'
import { FdCache } from './fd-cache.js'
import { FileReads } from './file-reads.js'
import { FileWrites, type SyncPolicy } from './file-writes.js'
import { DATA_HEADER_SIZE } from './format/data-file.js'
import { INDEX_FLAG_DELETED, INDEX_FLAGS_OFFSET, type IndexEntry } from './format/index-file.js'
import { dataFilePath, indexFilePath } from './format/paths.js'
import type { ZdbLogger } from './logger.js'
import type { ServerStats } from './stats.js'
import type { ValueCache } from './value-cache.js'

export { type EntryLocation, NamespaceWriteError } from './current-files.js'
export type { SyncPolicy } from './file-writes.js'

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

/** The flags byte of a deleted index entry; only ever read. */
const DELETED = Buffer.of(INDEX_FLAG_DELETED)

export class NamespaceFiles {
  readonly indexDir: string
  readonly dataDir: string
  readonly #name: string
  readonly #mode: number
  readonly #logger: ZdbLogger
  readonly #stats: ServerStats
  readonly #current: CurrentFiles
  /** Older index files, read by lookups and scans and edited in place. */
  readonly #indexFds: FdCache
  readonly #writes: FileWrites
  readonly #reads: FileReads
  readonly #onRotate: (rotation: Rotation) => void
  readonly #secure: boolean
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
    this.#current = new CurrentFiles(
      options.indexDir,
      options.dataDir,
      options.fileId,
      options.lastEntry,
      options.logger,
    )
    this.#onRotate = options.onRotate ?? (() => {})
    this.#secure = options.secure ?? false
    this.#cache = options.cache
    this.#space = options.cache?.newSpace() ?? 0
    this.#indexFds = new FdCache('r+', (fileId) => indexFilePath(options.indexDir, fileId))
    this.#writes = new FileWrites({
      current: this.#current,
      indexFds: this.#indexFds,
      name: options.name,
      logger: options.logger,
      stats: options.stats,
      deferred: options.deferred ?? (() => false),
      onDeferred: options.onDeferred ?? (() => {}),
      sync: options.sync ?? { mode: 'none' },
      cache: options.cache,
      space: this.#space,
    })
    this.#reads = new FileReads({
      current: this.#current,
      writes: this.#writes,
      dataDir: options.dataDir,
      stats: options.stats,
      onMissingData: options.onMissingData ?? (() => {}),
      onDataRead: options.onDataRead,
      cache: options.cache,
      space: this.#space,
    })
  }

  /** True after a failed flush: the in-memory state is ahead of the files until a reload. */
  get broken(): boolean {
    return this.#writes.broken
  }

  /** Writes the deferred appends (see {@link FileWrites.flush}). */
  flush(): void {
    this.#writes.flush()
  }

  /** Id of the current index and data files. */
  get fileId(): number {
    return this.#current.fileId
  }

  /** Offset where the next data entry goes. */
  get dataSize(): number {
    return this.#current.dataSize
  }

  /** Offset where the next index entry goes. */
  get indexSize(): number {
    return this.#current.indexSize
  }

  /** The last index entry appended (RSCAN starts there), or null if none was ever written. */
  get lastEntry(): EntryLocation | null {
    return this.#current.lastEntry
  }

  /**
   * Rotates before a write of `valueLength` bytes that would grow the data file past
   * `datasize`. A file holding no entry yet is never left for the next one, so a value larger
   * than datasize cannot make every SET create a new empty file.
   */
  rotateIfNeeded(valueLength: number, datasize: number): void {
    const size = this.#current.dataSize
    if (size + valueLength > datasize && size > DATA_HEADER_SIZE) this.#rotate()
  }

  /** NSJUMP: moves to index and data files N+1 now, even if file N holds no entry yet. */
  jump(): void {
    this.#rotate()
  }

  /** Appends a data entry (head, key, payload); returns its offset. */
  appendData(key: Buffer, value: Buffer, crc: number, flags: number, timestamp: number): number {
    return this.#writes.appendData(key, value, crc, flags, timestamp)
  }

  /** Appends an index entry to file N, its `previous` set to the last entry; returns its location. */
  appendIndex(entry: Omit<IndexEntry, 'previous'>): EntryLocation {
    return this.#writes.appendIndex(entry)
  }

  /** Sets the deleted flag of the index entry at `at`, in place. */
  flagDeleted(at: EntryLocation): void {
    this.#writes.writeIndexAt(at, DELETED, INDEX_FLAGS_OFFSET)
  }

  /** Rewrites `bytes` at `delta` inside the index entry at `at` (flags byte, or a whole seq slot). */
  writeIndexAt(at: EntryLocation, bytes: Buffer, delta = 0): void {
    this.#writes.writeIndexAt(at, bytes, delta)
  }

  /** Size of index file `fileId`, 0 if it does not exist. */
  indexFileSize(fileId: number): number {
    return this.#reads.indexFileSize(fileId)
  }

  /** Up to `length` bytes of index file `fileId` at `position` (fewer at its end). */
  readIndex(fileId: number, position: number, length: number): Buffer {
    return this.#reads.readIndex(fileId, position, length)
  }

  /** `length` payload bytes of the data entry at `dataOffset` in `d<dataId>`; throws if unreadable. */
  readPayload(dataId: number, dataOffset: number, keyLength: number, length: number): Buffer {
    return this.#reads.readPayload(dataId, dataOffset, keyLength, length)
  }

  /** See {@link FileReads.peekPayload}: a buffer the next read overwrites. */
  peekPayload(dataId: number, dataOffset: number, keyLength: number, length: number): Buffer {
    return this.#reads.peekPayload(dataId, dataOffset, keyLength, length)
  }

  /** See {@link FileReads.readPayloadInto}: straight into `target` at `offset`. */
  readPayloadInto(
    dataId: number,
    dataOffset: number,
    keyLength: number,
    length: number,
    target: Buffer,
    offset: number,
  ): void {
    this.#reads.readPayloadInto(dataId, dataOffset, keyLength, length, target, offset)
  }

  /** Up to `length` raw bytes of `d<dataId>` at `position` (fewer at its end). */
  readData(dataId: number, position: number, length: number): Buffer {
    return this.#reads.readData(dataId, position, length)
  }

  /** The data entry at `dataOffset`: its stored CRC and its payload; throws if unreadable. */
  readDataEntry(dataId: number, dataOffset: number): { crc: number; payload: Buffer } {
    return this.#reads.readDataEntry(dataId, dataOffset)
  }

  /** Size of `d<dataId>`, undefined if it does not exist (after the missing-data check). */
  dataFileSize(dataId: number): number | undefined {
    return this.#reads.dataFileSize(dataId)
  }

  /** See {@link FileReads.releaseDataReader}. */
  releaseDataReader(dataId: number): boolean {
    return this.#reads.releaseDataReader(dataId)
  }

  close(): void {
    try {
      if (!this.#writes.broken) this.#writes.flush()
    } finally {
      this.#cache?.dropSpace(this.#space)
      this.#current.close()
      this.#reads.close()
      this.#indexFds.closeAll()
    }
  }

  /** Jumps to index and data files N+1. */
  #rotate(): void {
    this.#writes.flush()
    const cur = this.#current
    if (this.#secure) {
      // Files N are final from here on: make them durable before anything points past them.
      fdatasyncSync(cur.dataFd)
      fdatasyncSync(cur.indexFd)
    }
    cur.advance(this.indexDir, this.dataDir, this.#mode, this.#stats)
    const next = cur.fileId
    this.#logger.debug(`namespace ${this.#name}: rotated to files ${next}`)
    this.#onRotate({
      oldIndex: indexFilePath(this.indexDir, next - 1),
      newIndex: indexFilePath(this.indexDir, next),
      oldData: dataFilePath(this.dataDir, next - 1),
      newData: dataFilePath(this.dataDir, next),
    })
  }
}
