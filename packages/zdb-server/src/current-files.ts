/**
 * Files N of a namespace (spec zdb.md §2), the pair every append goes to: their descriptors,
 * their sizes as the server sees them (deferred appends included) and as far as they are on
 * disk. Shared by the writes (file-writes.ts), the reads (file-reads.ts) and the rotation
 * (namespace-files.ts), which replaces the pair in place.
 * @module
 */
import { closeSync, fstatSync, openSync } from 'node:fs'
import { scanDataFile } from './data-scan.js'
import { DATA_HEADER_SIZE, encodeDataHeader } from './format/data-file.js'
import { encodeIndexHeader, INDEX_HEADER_SIZE } from './format/index-file.js'
import { dataFilePath, indexFilePath } from './format/paths.js'
import type { ZdbLogger } from './logger.js'
import { createWithHeader, openCurrentDataFile } from './numbered-files.js'
import type { ServerStats } from './stats.js'

/** Where an index entry is. */
export interface EntryLocation {
  fileId: number
  offset: number
}

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

export class CurrentFiles {
  fileId: number
  indexFd: number
  dataFd: number
  /** Where the next entry goes, deferred appends included. */
  indexSize: number
  dataSize: number
  /** How far the files are written; past it, bytes are still deferred. */
  flushedIndex: number
  flushedData: number
  /** Offset of the last data entry (the next one's `previous`). */
  dataPrevious: number
  /** Last index entry appended, if any; the next entry's `previous` points at it. */
  lastEntry: EntryLocation | null

  /** Opens files N (writing the data header if missing; a torn data tail is truncated). */
  constructor(
    indexDir: string,
    dataDir: string,
    fileId: number,
    lastEntry: EntryLocation | null,
    logger: ZdbLogger,
  ) {
    this.fileId = fileId
    this.lastEntry = lastEntry
    this.indexFd = openSync(indexFilePath(indexDir, fileId), 'r+')
    try {
      this.dataFd = openCurrentDataFile(dataDir, fileId, logger)
    } catch (err) {
      closeSync(this.indexFd)
      throw err
    }
    const scan = scanDataFile(this.dataFd, fstatSync(this.dataFd).size)
    this.indexSize = fstatSync(this.indexFd).size
    this.dataSize = scan.validEnd
    this.dataPrevious = scan.lastOffset ?? 0
    this.flushedData = this.dataSize
    this.flushedIndex = this.indexSize
  }

  /**
   * Creates files N+1 (index first, as upstream) and makes them current; the caller has
   * written everything deferred to files N. Nothing changes if either cannot be created.
   */
  advance(indexDir: string, dataDir: string, mode: number, stats: ServerStats): void {
    const next = this.fileId + 1
    let indexFd: number
    let dataFd: number
    try {
      indexFd = createWithHeader(indexFilePath(indexDir, next), encodeIndexHeader({ fileId: next, mode }))
    } catch (err) {
      stats.indexWriteFailed += 1
      throw new NamespaceWriteError('index', { cause: err })
    }
    try {
      dataFd = createWithHeader(dataFilePath(dataDir, next), encodeDataHeader(next))
    } catch (err) {
      closeSync(indexFd)
      stats.dataWriteFailed += 1
      throw new NamespaceWriteError('data', { cause: err })
    }
    closeSync(this.indexFd)
    closeSync(this.dataFd)
    this.fileId = next
    this.indexFd = indexFd
    this.dataFd = dataFd
    this.indexSize = INDEX_HEADER_SIZE
    this.dataSize = DATA_HEADER_SIZE
    this.flushedIndex = INDEX_HEADER_SIZE
    this.flushedData = DATA_HEADER_SIZE
    stats.indexWriteBytes += INDEX_HEADER_SIZE
    stats.dataWriteBytes += DATA_HEADER_SIZE
  }

  close(): void {
    closeSync(this.indexFd)
    closeSync(this.dataFd)
  }
}
