/**
 * One 0-db namespace (spec zdb.md §1, §2) in user-key or sequential mode: its settings, its
 * files ({@link NamespaceFiles}), and how keys find their entries.
 * - User mode: every live key is in an in-memory map rebuilt at open.
 * - Seq mode: keys are 8-byte little-endian ids, resolved by {@link SeqKeys}.
 *
 * Every operation is synchronous, so requests of one connection complete in order and no two
 * writes interleave. Write order is upstream's: data entry, then index entry.
 * @module
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { crc32c } from './crc32c.js'
import { ZdbFormatError, ZdbModeMismatchError } from './errors.js'
import {
  DATA_ENTRY_SIZE,
  DATA_FLAG_DELETED,
  DATA_HEADER_SIZE,
  type DataEntryHeader,
  decodeDataEntryHeader,
} from './format/data-file.js'
import {
  decodeIndexEntry,
  INDEX_ENTRY_SIZE,
  INDEX_HEADER_SIZE,
  INDEX_MODE_SEQ,
  INDEX_MODE_USER,
  type IndexEntry,
} from './format/index-file.js'
import { dataFilePath, indexFilePath, LEGACY_INDEX_FILE } from './format/paths.js'
import type { Hooks } from './hooks.js'
import type { KeyEntry, KeyIndex } from './key-index.js'
import type { ZdbLogger } from './logger.js'
import { type MissingData, MissingDataError } from './missing-data.js'
import { type EntryLocation, NamespaceFiles, type Rotation, type SyncPolicy } from './namespace-files.js'
import { replayIndexFiles } from './namespace-replay.js'
import { type NamespaceSettings, readOrCreateSettings, writeSettings } from './namespace-settings.js'
import { SeqKeys } from './seq-keys.js'
import type { ServerStats } from './stats.js'
import type { ValueCache } from './value-cache.js'
import type { BatchMember, WriteBatch } from './write-batch.js'

export type { KeyEntry } from './key-index.js'
export { type EntryLocation, NamespaceWriteError } from './namespace-files.js'

/** Mode of one namespace. */
export type NamespaceMode = 'user' | 'seq'
/** Mode of a server: forced to one mode, or mixed (new namespaces are user mode). */
export type ServerMode = NamespaceMode | 'mixed'

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
  /** Default `'mixed'`. A forced mode that differs from `i0`'s header is refused. */
  mode?: ServerMode
  /** The server's group commit; without one every write goes to the files at once. */
  batch?: WriteBatch
  /** When to fsync (default: never, as upstream without `--sync`). */
  sync?: SyncPolicy
  /** `--secure`: fsync files N before every jump to N+1. */
  secure?: boolean
  /** `--hook`: rotations run `jump-index` (blocking) and `jump-data` (spec §3). */
  hooks?: Hooks
  /** `--hook`: reads of a missing old data file defer to the `missing-data` hook. */
  missingData?: MissingData
  /** The embedder's `onDataRead`: told of every read of a non-current data file. */
  onDataRead?: (path: string) => void
  /** The server's payload cache, shared by every namespace; none without it. */
  cache?: ValueCache
}

export type SetOutcome = 'written' | 'unchanged'

/**
 * NSSET `lock` / `freeze` (spec §1): one state, as upstream (`freeze 0` also unlocks). Kept in
 * memory only. `locked` refuses writes, `frozen` refuses every command on the namespace.
 */
export type LockState = 'unlocked' | 'locked' | 'frozen'

/** A data entry as DATA RAW returns it (spec §1 "DATA RAW"). */
export interface RawDataEntry extends DataEntryHeader {
  key: Buffer
  payload: Buffer
}

/** Why DATA RAW found no entry: upstream's `-Invalid Request`, `-EOF`, `-Unexpected Internal Error`. */
export type RawDataMiss = 'missing-file' | 'eof' | 'invalid'

/** Index and data files `i<N>` / `d<N>` (FLUSH and NSSET mode remove exactly these). */
const NUMBERED_FILE = /^[id]\d+$/

/** Upstream's in-memory cost of a user-mode key (spec §5): 64 bytes + the key. */
const USER_ENTRY_OVERHEAD = 64

export class Namespace implements BatchMember {
  readonly name: string
  readonly indexDir: string
  readonly dataDir: string
  settings: NamespaceSettings
  /** NSSET lock/freeze; not persisted. */
  lock: LockState = 'unlocked'
  readonly #options: NamespaceOptions
  #mode: NamespaceMode = 'user'
  #files!: NamespaceFiles
  /** User mode: every live key. Empty in seq mode. */
  #keys!: KeyIndex
  /** Seq mode only. */
  #seq: SeqKeys | undefined
  /** User mode: live payload bytes and key bytes. */
  #dataBytes = 0
  #keyBytes = 0
  /** User mode: upstream's `nextentry` (new keys inserted, replays included). */
  #inserts = 0
  /** Index file ids with an entry edited in place since the last INDEX DIRTY RESET. */
  readonly #dirty = new Set<number>()
  #closed = false
  #removed = false

  private constructor(
    options: NamespaceOptions,
    indexDir: string,
    dataDir: string,
    settings: NamespaceSettings,
  ) {
    this.name = options.name
    this.indexDir = indexDir
    this.dataDir = dataDir
    this.settings = settings
    this.#options = options
  }

  /**
   * Opens (creating if needed) the namespace directories and replays `i0..iN` (spec §2,
   * "Startup"). A torn tail of the last index or data file is truncated and logged. Throws
   * {@link ZdbModeMismatchError} if `options.mode` forces a mode other than `i0`'s.
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
    const ns = new Namespace(options, indexDir, dataDir, settings)
    const forced = options.mode ?? 'mixed'
    ns.#load(forced === 'seq' ? INDEX_MODE_SEQ : INDEX_MODE_USER)
    return ns
  }

  /** Replays `i0..iN` (creating `i0` in `newMode` if missing) and opens files N. */
  #load(newMode: number): void {
    const { name, logger } = this.#options
    const forced = this.#options.mode ?? 'mixed'
    const replay = replayIndexFiles(this.indexDir, this.dataDir, logger, newMode)
    const mode: NamespaceMode = replay.mode === INDEX_MODE_SEQ ? 'seq' : 'user'
    if (forced !== 'mixed' && forced !== mode) {
      throw new ZdbModeMismatchError(
        `namespace "${name}" is in ${mode === 'seq' ? 'sequential' : 'user'} mode (header of ${join(this.indexDir, 'i0')}), but the server runs with --mode ${forced}; start it with --mode ${mode} or without --mode`,
      )
    }
    const files = new NamespaceFiles({
      indexDir: this.indexDir,
      dataDir: this.dataDir,
      name,
      fileId: replay.lastFileId,
      lastEntry: replay.lastEntry,
      mode: replay.mode,
      logger,
      stats: this.#options.stats,
      sync: this.#options.sync,
      secure: this.#options.secure ?? false,
      deferred: () => this.#options.batch?.open ?? false,
      onDeferred: () => this.#options.batch?.markDirty(this),
      onRotate: (rotation) => this.#rotated(rotation),
      onDataRead: this.#options.onDataRead,
      cache: this.#options.cache,
      ...(this.#options.missingData
        ? { onMissingData: (path: string) => this.#options.missingData?.check(path) }
        : {}),
    })
    this.#mode = mode
    this.#files = files
    this.#keys = replay.keys
    this.#inserts = replay.inserts
    const totals = replay.keys.totals()
    this.#dataBytes = totals.dataBytes
    this.#keyBytes = totals.keyBytes
    const seq = { counts: replay.counts, entries: replay.seqEntries, dataBytes: replay.seqDataBytes }
    this.#seq = mode === 'seq' ? new SeqKeys(files, this.#options.datasize, seq) : undefined
  }

  get mode(): NamespaceMode {
    return this.#mode
  }

  /** True once NSDEL removed this namespace; clients still attached to it must leave. */
  get removed(): boolean {
    return this.#removed
  }

  /** Number of live keys (DBSIZE). */
  get entries(): number {
    return this.#seq ? this.#seq.entries : this.#keys.size
  }

  /** Sum of the live payload lengths. */
  get dataBytes(): number {
    return this.#seq ? this.#seq.dataBytes : this.#dataBytes
  }

  /** Upstream's in-memory index size: 64 + key bytes per live key in user mode, 0 in seq mode. */
  get indexMemoryBytes(): number {
    return this.mode === 'seq' ? 0 : this.#keys.size * USER_ENTRY_OVERHEAD + this.#keyBytes
  }

  /** Upstream's `nextentry`: the next seq id, or the count of key insertions in user mode. */
  get nextId(): number {
    return this.#seq ? this.#seq.nextId : this.#inserts
  }

  /** Id of the current index and data files. */
  get currentFileId(): number {
    return this.#files.fileId
  }

  /** Offset where the next data entry goes. */
  get currentDataOffset(): number {
    return this.#files.dataSize
  }

  /** The last index entry written (RSCAN starts there), null if none. */
  get lastEntry(): EntryLocation | null {
    return this.#files.lastEntry
  }

  /** The live entry of `key` (in seq mode, an 8-byte id), or undefined. */
  get(key: Buffer): KeyEntry | undefined {
    return this.#seq ? this.#seq.get(key) : this.#keys.get(key)
  }

  /** The payload of a live key; throws if the data file cannot be read. */
  read(entry: KeyEntry): Buffer {
    return this.#files.readPayload(entry.dataId, entry.dataOffset, entry.key.length, entry.length)
  }

  /**
   * {@link read} into a buffer the next read overwrites (for a payload of up to 8 KiB): for a
   * reply written at once, or a comparison.
   */
  peek(entry: KeyEntry): Buffer {
    return this.#files.peekPayload(entry.dataId, entry.dataOffset, entry.key.length, entry.length)
  }

  /** The payload an index entry points at; throws if the data file cannot be read. */
  readEntryPayload(entry: IndexEntry): Buffer {
    return this.#files.readPayload(entry.dataId, entry.dataOffset, entry.key.length, entry.length)
  }

  /**
   * CHECK: 1 if the stored payload matches the stored CRC, 0 if not, -1 if unreadable. Throws
   * {@link MissingDataError} when the `missing-data` hook should run first.
   */
  check(entry: KeyEntry): 1 | 0 | -1 {
    try {
      const { crc, payload } = this.#files.readDataEntry(entry.dataId, entry.dataOffset)
      return crc32c(payload) === crc ? 1 : 0
    } catch (err) {
      if (err instanceof MissingDataError) throw err
      return -1
    }
  }

  /**
   * The index entry at `at` if a whole entry is there (deleted or not), else null. Used by
   * cursors and HISTORY keys, which clients can forge: the caller checks the fields.
   */
  readIndexEntry(at: EntryLocation): IndexEntry | null {
    const size = this.indexFileSize(at.fileId)
    if (at.offset < INDEX_HEADER_SIZE || at.offset + INDEX_ENTRY_SIZE > size) return null
    try {
      return decodeIndexEntry(this.#files.readIndex(at.fileId, at.offset, INDEX_ENTRY_SIZE + 255), 0)
    } catch {
      return null
    }
  }

  /** Size of index file `fileId`, 0 if it does not exist. */
  indexFileSize(fileId: number): number {
    return this.#files.indexFileSize(fileId)
  }

  /** Up to `length` bytes of index file `fileId` at `position`. */
  readIndexBytes(fileId: number, position: number, length: number): Buffer {
    return this.#files.readIndex(fileId, position, length)
  }

  /**
   * SET of an existing key (spec §2, "Writes"); in user mode also of a new key. An unchanged
   * value (same CRC, length and bytes) writes nothing. Seq mode: a live 8-byte key only (the
   * command checks), and the update consumes one id. Throws `NamespaceWriteError`.
   */
  set(key: Buffer, value: Buffer, timestamp?: number): SetOutcome {
    return this.setLooked(key, value, timestamp, this.get(key))
  }

  /** {@link set} when the caller already has `existing = get(key)`: one lookup less per SET. */
  setLooked(
    key: Buffer,
    value: Buffer,
    timestamp: number | undefined,
    existing: KeyEntry | undefined,
  ): SetOutcome {
    this.#assertOpen()
    if (this.#seq) {
      const outcome = this.#seq.update(key, value, timestamp ?? this.#options.now())
      if (existing && outcome === 'written') this.#dirty.add(existing.fileId)
      return outcome
    }
    const crc = crc32c(value)
    if (existing && this.#unchanged(existing, value, crc)) return 'unchanged'
    this.#files.rotateIfNeeded(value.length, this.#options.datasize)
    const ts = timestamp ?? this.#options.now()
    const dataOffset = this.#files.appendData(key, value, crc, 0, ts)
    if (existing) {
      this.#files.flagDeleted({ fileId: existing.fileId, offset: existing.idxOffset })
      this.#dirty.add(existing.fileId)
    }
    const at = this.#files.appendIndex({
      key,
      dataOffset,
      length: value.length,
      flags: 0,
      dataId: this.#files.fileId,
      timestamp: ts,
      crc,
      parentId: existing ? existing.fileId : 0,
      parentOffset: existing ? existing.idxOffset : 0,
    })
    if (existing) this.#dataBytes -= existing.length
    else {
      this.#inserts += 1
      this.#keyBytes += key.length
    }
    this.#dataBytes += value.length
    this.#keys.set({
      key,
      fileId: at.fileId,
      idxOffset: at.offset,
      dataId: at.fileId,
      dataOffset,
      length: value.length,
      crc,
      timestamp: ts,
    })
    return 'written'
  }

  /** Seq mode: appends `value` under the next id and returns its 8-byte key. */
  append(value: Buffer, timestamp?: number): Buffer {
    this.#assertOpen()
    if (!this.#seq) throw new Error(`namespace "${this.name}" is not in sequential mode`)
    return this.#seq.append(value, timestamp ?? this.#options.now())
  }

  /**
   * DEL (spec §2): appends a data entry with `datalen=0, crc=0, flags=1` and flags the live
   * index entry in place. Returns false if the key is not live.
   */
  del(key: Buffer, timestamp?: number): boolean {
    this.#assertOpen()
    const existing = this.get(key)
    if (!existing) return false
    if (this.#seq) {
      this.#seq.del(key, timestamp ?? this.#options.now())
      this.#dirty.add(existing.fileId)
      return true
    }
    this.#files.appendData(key, Buffer.alloc(0), 0, DATA_FLAG_DELETED, timestamp ?? this.#options.now())
    this.#files.flagDeleted({ fileId: existing.fileId, offset: existing.idxOffset })
    this.#dirty.add(existing.fileId)
    this.#keys.delete(key)
    this.#keyBytes -= key.length
    this.#dataBytes -= existing.length
    return true
  }

  /** Persists changed settings to the `zdb-namespace` descriptor. */
  saveSettings(settings: NamespaceSettings): void {
    writeSettings(this.indexDir, this.name, settings)
    this.settings = settings
  }

  /** INDEX DIRTY: index file ids edited in place since the last reset, ascending. */
  dirtyIndexFiles(): number[] {
    return [...this.#dirty].sort((a, b) => a - b)
  }

  /** INDEX DIRTY RESET. */
  resetDirty(): void {
    this.#dirty.clear()
  }

  /** Removes `ids` from INDEX DIRTY (an embedder saved those index files). */
  clearDirty(ids: readonly number[]): void {
    for (const id of ids) this.#dirty.delete(id)
  }

  /**
   * Closes the cached read descriptor of `d<fileId>` (see {@link NamespaceFiles.releaseDataReader});
   * false, doing nothing, for the current data file and for ids past it.
   */
  releaseDataFile(fileId: number): boolean {
    if (this.#closed || fileId > this.#files.fileId) return false
    return this.#files.releaseDataReader(fileId)
  }

  /** `namespace-closing` arguments (spec §3): ns, current index file, current data file, dirty ids. */
  closingHookArgs(): string[] {
    const id = this.#files.fileId
    return [
      this.name,
      indexFilePath(this.indexDir, id),
      dataFilePath(this.dataDir, id),
      this.dirtyIndexFiles().join(' '),
    ]
  }

  /**
   * After a rotation (spec §3): `jump-index` runs to completion first — with `spawnSync`, so the
   * event loop waits as upstream's thread does, or as a handler that must answer synchronously —
   * and status 0 resets the dirty set; then `jump-data` starts without being waited for.
   */
  #rotated(rotation: Rotation): void {
    const hooks = this.#options.hooks
    if (!hooks) return
    const dirty = this.dirtyIndexFiles().join(' ')
    if (hooks.runSync('jump-index', [rotation.oldIndex, rotation.newIndex, dirty]) === 0) this.#dirty.clear()
    hooks.fire('jump-data', [rotation.oldData, rotation.newData])
  }

  /** NSJUMP: moves to files N+1, as upstream does even when file N holds no entry yet. */
  jump(): void {
    this.#assertOpen()
    this.#files.jump()
  }

  /** `--rotate`: jumps to files N+1 if files N hold at least one entry (no empty pairs). */
  jumpIfUsed(): void {
    if (this.#closed || this.#files.dataSize <= DATA_HEADER_SIZE) return
    this.#files.jump()
  }

  /**
   * Group commit (write-batch.ts): writes the appends deferred this turn. On failure the
   * files are as before the turn, so the namespace reloads from them and returns false.
   */
  commitWrites(): boolean {
    if (this.#closed) return true
    try {
      this.#files.flush()
      return true
    } catch (err) {
      this.#options.logger.error(
        `namespace ${this.name}: cannot write this turn's appends, replaying from disk: ${String(err)}`,
      )
      try {
        this.reload()
      } catch (reloadErr) {
        this.#options.logger.error(`namespace ${this.name}: reload failed: ${String(reloadErr)}`)
      }
      return false
    }
  }

  /** RELOAD: closes the files and replays them from disk; settings and lock state are kept. */
  reload(): void {
    this.#assertOpen()
    this.#files.close()
    this.#load(this.#mode === 'seq' ? INDEX_MODE_SEQ : INDEX_MODE_USER)
  }

  /**
   * FLUSH: deletes every index and data file and starts again from empty `i0`/`d0` in the same
   * mode. Settings, the descriptor and the lock state are kept.
   */
  flush(): void {
    this.#reset(this.#mode)
  }

  /** No entry was ever written, deleted ones included (upstream's `namespace_is_fresh`). */
  get fresh(): boolean {
    return (
      this.#files.fileId === 0 &&
      this.#files.indexSize === INDEX_HEADER_SIZE &&
      this.#files.dataSize === DATA_HEADER_SIZE
    )
  }

  /** NSSET mode on a fresh namespace: recreates `i0` with the new mode byte. */
  changeMode(mode: NamespaceMode): void {
    if (!this.fresh) throw new Error(`namespace "${this.name}" is not fresh`)
    this.#reset(mode)
  }

  /**
   * DATA RAW: the data entry at `offset` of `d<fileId>`, or why there is none. A deleted entry
   * counts as invalid, as upstream.
   */
  readRawData(fileId: number, offset: number): RawDataEntry | RawDataMiss {
    const size = this.#files.dataFileSize(fileId)
    if (size === undefined) return 'missing-file'
    if (offset >= size) return 'eof'
    if (offset < DATA_HEADER_SIZE || offset + DATA_ENTRY_SIZE > size) return 'invalid'
    try {
      const head = decodeDataEntryHeader(this.#files.readData(fileId, offset, DATA_ENTRY_SIZE))!
      const end = offset + DATA_ENTRY_SIZE + head.keyLength + head.dataLength
      if (end > size || head.flags & DATA_FLAG_DELETED) return 'invalid'
      const rest = this.#files.readData(fileId, offset + DATA_ENTRY_SIZE, head.keyLength + head.dataLength)
      return { ...head, key: rest.subarray(0, head.keyLength), payload: rest.subarray(head.keyLength) }
    } catch (err) {
      if (err instanceof MissingDataError) throw err
      return 'invalid'
    }
  }

  /** NSDEL: closes the namespace and deletes its directories. */
  remove(): void {
    this.close()
    this.#removed = true
    rmSync(this.indexDir, { recursive: true, force: true })
    rmSync(this.dataDir, { recursive: true, force: true })
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#files.close()
  }

  #reset(mode: NamespaceMode): void {
    this.#assertOpen()
    this.#files.close()
    for (const dir of [this.indexDir, this.dataDir]) {
      for (const name of readdirSync(dir)) if (NUMBERED_FILE.test(name)) rmSync(join(dir, name))
    }
    this.#dirty.clear()
    this.#load(mode === 'seq' ? INDEX_MODE_SEQ : INDEX_MODE_USER)
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`namespace "${this.name}" is closed`)
  }

  #unchanged(existing: KeyEntry, value: Buffer, crc: number): boolean {
    if (existing.crc !== crc || existing.length !== value.length) return false
    try {
      return this.peek(existing).equals(value)
    } catch (err) {
      if (err instanceof MissingDataError) throw err
      return false
    }
  }
}
