/**
 * Positional reads of one namespace's index and data files: payloads (through the value
 * cache), raw bytes, whole data entries. A read that reaches bytes still deferred by the group
 * commit writes them first, so no reply shows what is not in the files yet.
 * @module
 */
import { fstatSync } from 'node:fs'
import type { CurrentFiles } from './current-files.js'
import { FdCache } from './fd-cache.js'
import { readExact, readExactInto, readUpTo } from './file-io.js'
import type { FileWrites } from './file-writes.js'
import { DATA_ENTRY_SIZE, decodeDataEntryHeader } from './format/data-file.js'
import { dataFilePath } from './format/paths.js'
import { MissingDataError } from './missing-data.js'
import type { ServerStats } from './stats.js'
import type { ValueCache } from './value-cache.js'

/**
 * Where {@link FileReads.peekPayload} reads payloads up to its size. Reads are synchronous and
 * single-threaded, so one buffer serves every namespace: whoever peeks uses the bytes before
 * the next read. 8 KiB stays below the RespWriter's 16 KiB copy threshold, so a peeked payload
 * handed to `bulk()` is copied, never kept by reference.
 */
const SCRATCH = Buffer.allocUnsafeSlow(8 * 1024)

export interface FileReadsOptions {
  current: CurrentFiles
  writes: FileWrites
  dataDir: string
  stats: ServerStats
  onMissingData: (path: string) => void
  onDataRead: ((path: string) => void) | undefined
  cache: ValueCache | undefined
  space: number
}

export class FileReads {
  readonly #current: CurrentFiles
  readonly #writes: FileWrites
  readonly #stats: ServerStats
  readonly #onMissingData: (path: string) => void
  readonly #onDataRead: ((path: string) => void) | undefined
  readonly #cache: ValueCache | undefined
  readonly #space: number
  readonly #dataReaders: FdCache

  constructor(options: FileReadsOptions) {
    this.#current = options.current
    this.#writes = options.writes
    this.#stats = options.stats
    this.#onMissingData = options.onMissingData
    this.#onDataRead = options.onDataRead
    this.#cache = options.cache
    this.#space = options.space
    this.#dataReaders = new FdCache('r', (fileId) => dataFilePath(options.dataDir, fileId))
  }

  /** Size of index file `fileId`, 0 if it does not exist. */
  indexFileSize(fileId: number): number {
    const cur = this.#current
    if (fileId === cur.fileId) return cur.indexSize
    if (fileId > cur.fileId || fileId < 0) return 0
    try {
      return fstatSync(this.#writes.indexFdFor(fileId)).size
    } catch {
      return 0
    }
  }

  /** Up to `length` bytes of index file `fileId` at `position` (fewer at its end). */
  readIndex(fileId: number, position: number, length: number): Buffer {
    const cur = this.#current
    if (this.#writes.pendingEdits || (fileId === cur.fileId && position + length > cur.flushedIndex)) {
      this.#writes.flush()
    }
    try {
      const buf = readUpTo(this.#writes.indexFdFor(fileId), length, position)
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
    const cur = this.#current
    this.#flushUpTo(dataId, dataOffset + DATA_ENTRY_SIZE + keyLength + length)
    const hit = cache.get(this.#space, dataId, dataOffset, length)
    if (hit !== undefined) {
      if (dataId !== cur.fileId && this.#onDataRead) this.#onDataRead(this.#dataReaders.path(dataId))
      // A view of the cache is only valid until its next write: copy what a caller may keep.
      return into === undefined ? Buffer.from(hit) : hit
    }
    const payload = this.#payload(dataId, dataOffset, keyLength, length, into)
    cache.put(this.#space, dataId, dataOffset, payload)
    return payload
  }

  /**
   * {@link readPayload} into `target` at `offset` (a reply's own buffer: no copy, no view).
   * Served from the value cache when it holds the payload; a payload read from disk is added.
   */
  readPayloadInto(
    dataId: number,
    dataOffset: number,
    keyLength: number,
    length: number,
    target: Buffer,
    offset: number,
  ): void {
    const cur = this.#current
    this.#flushUpTo(dataId, dataOffset + DATA_ENTRY_SIZE + keyLength + length)
    const cache = this.#cache
    const cached = cache !== undefined && length > 0 && length <= cache.maxValue
    if (cached) {
      const hit = cache.get(this.#space, dataId, dataOffset, length)
      if (hit !== undefined) {
        if (dataId !== cur.fileId && this.#onDataRead) this.#onDataRead(this.#dataReaders.path(dataId))
        target.set(hit, offset)
        return
      }
    }
    try {
      readExactInto(this.#dataFdFor(dataId), target, offset, length, dataOffset + DATA_ENTRY_SIZE + keyLength)
      this.#stats.dataReadBytes += length
    } catch (err) {
      if (!(err instanceof MissingDataError)) this.#stats.dataReadFailed += 1
      throw err
    }
    if (cached) cache.put(this.#space, dataId, dataOffset, target, offset, length)
  }

  /**
   * Writes this turn's appends first when the bytes up to `end` of `d<dataId>` are among them:
   * a reply must not show a value that is not in the files yet (with --sync, not yet fsynced),
   * whether it is read from disk or from the cache.
   */
  #flushUpTo(dataId: number, end: number): void {
    const cur = this.#current
    if (dataId === cur.fileId && end > cur.flushedData) this.#writes.flush()
  }

  #payload(
    dataId: number,
    dataOffset: number,
    keyLength: number,
    length: number,
    into: Buffer | undefined,
  ): Buffer {
    this.#flushUpTo(dataId, dataOffset + DATA_ENTRY_SIZE + keyLength + length)
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
    this.#flushUpTo(dataId, position + length)
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
    if (dataId === this.#current.fileId && this.#writes.pendingData) this.#writes.flush()
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

  /** Size of `d<dataId>`, undefined if it does not exist (after the missing-data check). */
  dataFileSize(dataId: number): number | undefined {
    const cur = this.#current
    if (dataId === cur.fileId) return cur.dataSize
    if (dataId > cur.fileId || dataId < 0) return undefined
    try {
      return fstatSync(this.#dataFdFor(dataId)).size
    } catch (err) {
      if (err instanceof MissingDataError) throw err
      return undefined
    }
  }

  /**
   * Closes the cached read descriptor of old data file `d<dataId>`, so that once unlinked its
   * space is freed and the next read meets a missing file. False for the current file.
   */
  releaseDataReader(dataId: number): boolean {
    if (dataId === this.#current.fileId) return false
    this.#dataReaders.drop(dataId)
    // The embedder may unlink it: its next read must meet the missing file, not the cache.
    this.#cache?.dropFile(this.#space, dataId)
    return true
  }

  close(): void {
    this.#dataReaders.closeAll()
  }

  #dataFdFor(dataId: number): number {
    const cur = this.#current
    if (dataId === cur.fileId) return cur.dataFd
    let fd: number
    try {
      fd = this.#dataReaders.get(dataId)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        // Whatever comes back in its place (the missing-data hook) is read from disk.
        this.#cache?.dropFile(this.#space, dataId)
        this.#onMissingData(this.#dataReaders.path(dataId))
      }
      throw err
    }
    if (this.#onDataRead) this.#onDataRead(this.#dataReaders.path(dataId))
    return fd
  }
}
