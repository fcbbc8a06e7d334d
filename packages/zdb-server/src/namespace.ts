/**
 * One 0-db namespace in user-key mode: its files on disk (spec zdb.md §2) and the in-memory
 * key map rebuilt from them at open.
 *
 * Every operation is synchronous, so requests of one connection complete in order and no two
 * writes interleave. Write order is upstream's: data entry, then index entry; an overwrite or
 * DEL flags the old index entry in place.
 * @module
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { crc32c } from './crc32c.js'
import { scanDataFile } from './data-scan.js'
import { ZdbFormatError, ZdbUnsupportedError } from './errors.js'
import { FdCache } from './fd-cache.js'
import { readExact, writeAll } from './file-io.js'
import {
  DATA_ENTRY_SIZE,
  DATA_FLAG_DELETED,
  DATA_HEADER_SIZE,
  decodeDataEntryHeader,
  decodeDataHeader,
  encodeDataEntryHead,
  encodeDataHeader,
} from './format/data-file.js'
import {
  encodeIndexEntry,
  encodeIndexHeader,
  INDEX_FLAG_DELETED,
  INDEX_FLAGS_OFFSET,
  INDEX_HEADER_SIZE,
  INDEX_MODE_USER,
  type IndexEntry,
} from './format/index-file.js'
import { dataFilePath, indexFilePath, LEGACY_INDEX_FILE } from './format/paths.js'
import type { ZdbLogger } from './logger.js'
import { replayIndexFiles } from './namespace-replay.js'
import { type NamespaceSettings, readOrCreateSettings, writeSettings } from './namespace-settings.js'
import type { ServerStats } from './stats.js'

/** The live state of one key, as kept in memory. */
export interface KeyEntry {
  key: Buffer
  /** Index file holding the live index entry (always equal to `dataId`). */
  fileId: number
  idxOffset: number
  dataId: number
  dataOffset: number
  length: number
  crc: number
  timestamp: number
}

export interface NamespaceOptions {
  name: string
  indexRoot: string
  dataRoot: string
  /** Rotate to files N+1 before a SET that would grow the data file past this. */
  datasize: number
  /** Unix time in seconds. */
  now: () => number
  logger: ZdbLogger
  stats: ServerStats
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

export type SetOutcome = 'written' | 'unchanged'

export class Namespace {
  readonly name: string
  readonly indexDir: string
  readonly dataDir: string
  settings: NamespaceSettings
  readonly #keys: Map<string, KeyEntry>
  readonly #datasize: number
  readonly #now: () => number
  readonly #logger: ZdbLogger
  readonly #stats: ServerStats
  readonly #dataReaders = new FdCache('r')
  readonly #indexWriters = new FdCache('r+')
  #dataBytes: number
  #fileId: number
  #indexFd: number
  #dataFd: number
  #indexSize: number
  #dataSize: number
  #indexPrevious: number
  #dataPrevious: number
  #closed = false

  private constructor(options: NamespaceOptions, state: OpenState) {
    this.name = options.name
    this.indexDir = join(options.indexRoot, options.name)
    this.dataDir = join(options.dataRoot, options.name)
    this.settings = state.settings
    this.#keys = state.keys
    this.#datasize = options.datasize
    this.#now = options.now
    this.#logger = options.logger
    this.#stats = options.stats
    this.#dataBytes = 0
    for (const e of state.keys.values()) this.#dataBytes += e.length
    this.#fileId = state.fileId
    this.#indexFd = state.indexFd
    this.#dataFd = state.dataFd
    this.#indexSize = state.indexSize
    this.#dataSize = state.dataSize
    this.#indexPrevious = state.indexPrevious
    this.#dataPrevious = state.dataPrevious
  }

  /**
   * Opens (creating if needed) the namespace directories and replays `i0..iN` (spec §2,
   * "Startup"). A torn tail of the last index or data file is truncated and logged.
   */
  static open(options: NamespaceOptions): Namespace {
    const indexDir = join(options.indexRoot, options.name)
    const dataDir = join(options.dataRoot, options.name)
    mkdirSync(indexDir, { recursive: true })
    mkdirSync(dataDir, { recursive: true })
    if (existsSync(join(indexDir, LEGACY_INDEX_FILE))) {
      throw new ZdbFormatError(
        `${indexDir} holds a 0-db v1 index (${LEGACY_INDEX_FILE}); convert it with upstream tools first`,
      )
    }
    const settings = readOrCreateSettings(indexDir, options.name)
    const replay = replayIndexFiles(indexDir, dataDir, options.logger)
    if (replay.mode !== INDEX_MODE_USER) {
      throw new ZdbUnsupportedError(
        `namespace "${options.name}" is in sequential mode, which this version does not support yet`,
      )
    }
    const fileId = replay.lastFileId
    const indexFd = openSync(indexFilePath(indexDir, fileId), 'r+')
    let dataFd: number
    try {
      dataFd = openCurrentDataFile(dataDir, fileId, options.logger)
    } catch (err) {
      closeSync(indexFd)
      throw err
    }
    const scan = scanDataFile(dataFd, fstatSync(dataFd).size)
    return new Namespace(options, {
      settings,
      keys: replay.keys,
      fileId,
      indexFd,
      dataFd,
      indexSize: fstatSync(indexFd).size,
      dataSize: scan.validEnd,
      indexPrevious: replay.lastEntryOffset,
      dataPrevious: scan.lastOffset ?? 0,
    })
  }

  /** Number of live keys (DBSIZE). */
  get entries(): number {
    return this.#keys.size
  }

  /** Sum of the live payload lengths. */
  get dataBytes(): number {
    return this.#dataBytes
  }

  /** Id of the current index and data files. */
  get currentFileId(): number {
    return this.#fileId
  }

  /** Offset where the next data entry goes. */
  get currentDataOffset(): number {
    return this.#dataSize
  }

  get(key: Buffer): KeyEntry | undefined {
    return this.#keys.get(key.toString('latin1'))
  }

  /** The payload of a live key; throws if the data file cannot be read. */
  read(entry: KeyEntry): Buffer {
    try {
      const fd = this.#dataFdFor(entry.dataId)
      const payload = readExact(fd, entry.length, entry.dataOffset + DATA_ENTRY_SIZE + entry.key.length)
      this.#stats.dataReadBytes += entry.length
      return payload
    } catch (err) {
      this.#stats.dataReadFailed += 1
      throw err
    }
  }

  /** CHECK: 1 if the stored payload matches the stored CRC, 0 if not, -1 if unreadable. */
  check(entry: KeyEntry): 1 | 0 | -1 {
    try {
      const fd = this.#dataFdFor(entry.dataId)
      const head = decodeDataEntryHeader(readExact(fd, DATA_ENTRY_SIZE, entry.dataOffset))!
      const payload = readExact(fd, head.dataLength, entry.dataOffset + DATA_ENTRY_SIZE + head.keyLength)
      this.#stats.dataReadBytes += head.dataLength
      return crc32c(payload) === head.crc ? 1 : 0
    } catch {
      this.#stats.dataReadFailed += 1
      return -1
    }
  }

  /**
   * SET in user mode (spec §2, "Writes"). An unchanged value (same CRC, length and bytes)
   * writes nothing. Throws {@link NamespaceWriteError} when a file cannot be written.
   */
  set(key: Buffer, value: Buffer, timestamp?: number): SetOutcome {
    this.#assertOpen()
    const crc = crc32c(value)
    const existing = this.get(key)
    if (
      existing &&
      existing.crc === crc &&
      existing.length === value.length &&
      this.#sameValue(existing, value)
    ) {
      return 'unchanged'
    }
    // A file holding no entry yet is never left for the next one, so a value larger than
    // datasize cannot make every SET create a new empty file.
    if (this.#dataSize + value.length > this.#datasize && this.#dataSize > DATA_HEADER_SIZE) this.#rotate()
    const ts = timestamp ?? this.#now()
    const dataOffset = this.#appendData(key, value, crc, 0, ts)
    if (existing) this.#flagDeleted(existing)
    const idxOffset = this.#appendIndex({
      key,
      dataOffset,
      length: value.length,
      previous: this.#indexPrevious,
      flags: 0,
      dataId: this.#fileId,
      timestamp: ts,
      crc,
      parentId: existing ? existing.fileId : 0,
      parentOffset: existing ? existing.idxOffset : 0,
    })
    if (existing) this.#dataBytes -= existing.length
    this.#dataBytes += value.length
    this.#keys.set(key.toString('latin1'), {
      key: Buffer.from(key),
      fileId: this.#fileId,
      idxOffset,
      dataId: this.#fileId,
      dataOffset,
      length: value.length,
      crc,
      timestamp: ts,
    })
    return 'written'
  }

  /**
   * DEL (spec §2): appends a data entry with `datalen=0, crc=0, flags=1`, flags the live index
   * entry in place and forgets the key. Returns false if the key is not live.
   */
  del(key: Buffer, timestamp?: number): boolean {
    this.#assertOpen()
    const existing = this.get(key)
    if (!existing) return false
    this.#appendData(key, Buffer.alloc(0), 0, DATA_FLAG_DELETED, timestamp ?? this.#now())
    this.#flagDeleted(existing)
    this.#keys.delete(key.toString('latin1'))
    this.#dataBytes -= existing.length
    return true
  }

  /** Persists changed settings to the `zdb-namespace` descriptor. */
  saveSettings(settings: NamespaceSettings): void {
    writeSettings(this.indexDir, this.name, settings)
    this.settings = settings
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    closeSync(this.#indexFd)
    closeSync(this.#dataFd)
    this.#dataReaders.closeAll()
    this.#indexWriters.closeAll()
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`namespace "${this.name}" is closed`)
  }

  #sameValue(entry: KeyEntry, value: Buffer): boolean {
    try {
      return this.read(entry).equals(value)
    } catch {
      return false
    }
  }

  #dataFdFor(dataId: number): number {
    return dataId === this.#fileId ? this.#dataFd : this.#dataReaders.get(dataFilePath(this.dataDir, dataId))
  }

  #appendData(key: Buffer, value: Buffer, crc: number, flags: number, timestamp: number): number {
    const offset = this.#dataSize
    const head = encodeDataEntryHead(
      { dataLength: value.length, previous: this.#dataPrevious, crc, flags, timestamp: timestamp >>> 0 },
      key,
    )
    try {
      writeAll(this.#dataFd, [head, value], offset)
    } catch (err) {
      this.#stats.dataWriteFailed += 1
      this.#rollback(this.#dataFd, offset)
      throw new NamespaceWriteError('data', { cause: err })
    }
    this.#dataSize = offset + head.length + value.length
    this.#dataPrevious = offset
    this.#stats.dataWriteBytes += head.length + value.length
    return offset
  }

  #appendIndex(entry: IndexEntry): number {
    const offset = this.#indexSize
    const bytes = encodeIndexEntry({ ...entry, timestamp: entry.timestamp >>> 0 })
    try {
      writeAll(this.#indexFd, [bytes], offset)
    } catch (err) {
      this.#stats.indexWriteFailed += 1
      this.#rollback(this.#indexFd, offset)
      throw new NamespaceWriteError('index', { cause: err })
    }
    this.#indexSize = offset + bytes.length
    this.#indexPrevious = offset
    this.#stats.indexWriteBytes += bytes.length
    return offset
  }

  #flagDeleted(entry: KeyEntry): void {
    try {
      const fd =
        entry.fileId === this.#fileId
          ? this.#indexFd
          : this.#indexWriters.get(indexFilePath(this.indexDir, entry.fileId))
      writeAll(fd, [Buffer.of(INDEX_FLAG_DELETED)], entry.idxOffset + INDEX_FLAGS_OFFSET)
      this.#stats.indexWriteBytes += 1
    } catch (err) {
      this.#stats.indexWriteFailed += 1
      throw new NamespaceWriteError('index', { cause: err })
    }
  }

  /** Cuts a partially written entry off so the next append starts at a clean boundary. */
  #rollback(fd: number, size: number): void {
    try {
      ftruncateSync(fd, size)
    } catch (err) {
      this.#logger.error(`namespace ${this.name}: cannot truncate after a failed write: ${String(err)}`)
    }
  }

  /** Jumps to index and data files N+1 (index first, as upstream). */
  #rotate(): void {
    const next = this.#fileId + 1
    const indexPath = indexFilePath(this.indexDir, next)
    const dataPath = dataFilePath(this.dataDir, next)
    let indexFd: number
    let dataFd: number
    try {
      indexFd = createWithHeader(indexPath, encodeIndexHeader({ fileId: next, mode: INDEX_MODE_USER }))
    } catch (err) {
      this.#stats.indexWriteFailed += 1
      throw new NamespaceWriteError('index', { cause: err })
    }
    try {
      dataFd = createWithHeader(dataPath, encodeDataHeader(next))
    } catch (err) {
      closeSync(indexFd)
      this.#stats.dataWriteFailed += 1
      throw new NamespaceWriteError('data', { cause: err })
    }
    closeSync(this.#indexFd)
    closeSync(this.#dataFd)
    this.#logger.debug(`namespace ${this.name}: rotated to files ${next}`)
    this.#fileId = next
    this.#indexFd = indexFd
    this.#dataFd = dataFd
    this.#indexSize = INDEX_HEADER_SIZE
    this.#dataSize = DATA_HEADER_SIZE
    this.#stats.indexWriteBytes += INDEX_HEADER_SIZE
    this.#stats.dataWriteBytes += DATA_HEADER_SIZE
  }
}

interface OpenState {
  settings: NamespaceSettings
  keys: Map<string, KeyEntry>
  fileId: number
  indexFd: number
  dataFd: number
  indexSize: number
  dataSize: number
  indexPrevious: number
  dataPrevious: number
}

/** Creates (or empties) `path`, writes `header`, returns an `r+` fd. */
function createWithHeader(path: string, header: Buffer): number {
  const fd = openSync(path, 'w+')
  try {
    writeAll(fd, [header], 0)
  } catch (err) {
    closeSync(fd)
    throw err
  }
  return fd
}

/** Opens `d<fileId>`, writing its header if the file is missing or shorter than one. */
function openCurrentDataFile(dataDir: string, fileId: number, logger: ZdbLogger): number {
  const path = dataFilePath(dataDir, fileId)
  if (!existsSync(path)) return createWithHeader(path, encodeDataHeader(fileId))
  const fd = openSync(path, 'r+')
  const size = fstatSync(fd).size
  if (size < DATA_HEADER_SIZE) {
    if (size > 0) logger.warn(`${path}: torn data header (${size} bytes), rewriting it`)
    writeAll(fd, [encodeDataHeader(fileId)], 0)
    return fd
  }
  try {
    decodeDataHeader(readExact(fd, DATA_HEADER_SIZE, 0), path)
  } catch (err) {
    closeSync(fd)
    throw err
  }
  const scan = scanDataFile(fd, size)
  if (scan.validEnd < size) {
    logger.warn(
      `${path}: torn entry at the end (${size - scan.validEnd} bytes), truncating to ${scan.validEnd}`,
    )
    ftruncateSync(fd, scan.validEnd)
  }
  return fd
}
