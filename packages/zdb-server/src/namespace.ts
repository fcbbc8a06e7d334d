/**
 * One 0-db namespace (spec zdb.md §1, §2) in user-key or sequential mode: its settings, its
 * files ({@link NamespaceFiles}), and how keys find their entries.
 * - User mode: every live key is in an in-memory table rebuilt at open ({@link UserKeys}).
 * - Seq mode: keys are 8-byte little-endian ids, resolved by {@link SeqKeys}.
 *
 * Every operation is synchronous, so requests of one connection complete in order and no two
 * writes interleave. Write order is upstream's: data entry, then index entry.
 * @module
 */
import { rmSync } from 'node:fs'
import { DirtyIndexFiles } from './dirty-index.js'
import {
  checkEntry,
  type RawDataEntry,
  type RawDataMiss,
  readIndexEntryAt,
  readRawData,
} from './entry-reads.js'
import { DATA_HEADER_SIZE } from './format/data-file.js'
import { INDEX_HEADER_SIZE, INDEX_MODE_SEQ, INDEX_MODE_USER, type IndexEntry } from './format/index-file.js'
import { dataFilePath, indexFilePath } from './format/paths.js'
import type { KeyEntry } from './key-index.js'
import type { EntryLocation, NamespaceFiles } from './namespace-files.js'
import { loadFiles, namespaceDirs, removeNumberedFiles } from './namespace-load.js'
import type { LockState, NamespaceMode, NamespaceOptions, SetOutcome } from './namespace-options.js'
import { type NamespaceSettings, readOrCreateSettings, writeSettings } from './namespace-settings.js'
import { SeqKeys } from './seq-keys.js'
import { UserKeys } from './user-keys.js'
import type { BatchMember } from './write-batch.js'

export { type EntryLocation, NamespaceWriteError } from './namespace-files.js'
export type { NamespaceMode, NamespaceOptions, ServerMode } from './namespace-options.js'

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
  #keys!: UserKeys
  /** Seq mode only. */
  #seq: SeqKeys | undefined
  readonly #dirty = new DirtyIndexFiles()
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
    const { indexDir, dataDir } = namespaceDirs(options)
    const settings = readOrCreateSettings(indexDir, options.name)
    const ns = new Namespace(options, indexDir, dataDir, settings)
    const forced = options.mode ?? 'mixed'
    ns.#load(forced === 'seq' ? INDEX_MODE_SEQ : INDEX_MODE_USER)
    return ns
  }

  /** Replays `i0..iN` (creating `i0` in `newMode` if missing) and opens files N. */
  #load(newMode: number): void {
    const options = this.#options
    const { mode, files, replay } = loadFiles(options, this, newMode, {
      deferred: () => options.batch?.open ?? false,
      onDeferred: () => options.batch?.markDirty(this),
      onRotate: (rotation) => {
        if (options.hooks) this.#dirty.rotated(options.hooks, rotation)
      },
    })
    this.#mode = mode
    this.#files = files
    const { datasize, now } = options
    const onEdited = (fileId: number): void => this.#dirty.add(fileId)
    this.#keys = new UserKeys(files, { datasize, now, onEdited }, replay.keys, replay.inserts)
    const seq = { counts: replay.counts, entries: replay.seqEntries, dataBytes: replay.seqDataBytes }
    this.#seq = mode === 'seq' ? new SeqKeys(files, datasize, seq) : undefined
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
    return this.#seq ? this.#seq.entries : this.#keys.entries
  }

  /** Sum of the live payload lengths. */
  get dataBytes(): number {
    return this.#seq ? this.#seq.dataBytes : this.#keys.dataBytes
  }

  /** Upstream's in-memory index size: 64 + key bytes per live key in user mode, 0 in seq mode. */
  get indexMemoryBytes(): number {
    return this.mode === 'seq' ? 0 : this.#keys.entries * USER_ENTRY_OVERHEAD + this.#keys.keyBytes
  }

  /** Upstream's `nextentry`: the next seq id, or the count of key insertions in user mode. */
  get nextId(): number {
    return this.#seq ? this.#seq.nextId : this.#keys.inserts
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

  /** {@link read} into `target` at `offset` (`entry.length` bytes); throws as {@link read}. */
  readInto(entry: KeyEntry, target: Buffer, offset: number): void {
    this.#files.readPayloadInto(
      entry.dataId,
      entry.dataOffset,
      entry.key.length,
      entry.length,
      target,
      offset,
    )
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
    return checkEntry(this.#files, entry)
  }

  /**
   * The index entry at `at` if a whole entry is there (deleted or not), else null. Used by
   * cursors and HISTORY keys, which clients can forge: the caller checks the fields.
   */
  readIndexEntry(at: EntryLocation): IndexEntry | null {
    return readIndexEntryAt(this.#files, at)
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
    if (!this.#seq) return this.#keys.set(key, value, timestamp, existing)
    const outcome = this.#seq.update(key, value, timestamp ?? this.#options.now())
    if (existing && outcome === 'written') this.#dirty.add(existing.fileId)
    return outcome
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
    if (!this.#seq) {
      this.#keys.del(key, existing, timestamp)
      return true
    }
    this.#seq.del(key, timestamp ?? this.#options.now())
    this.#dirty.add(existing.fileId)
    return true
  }

  /** Persists changed settings to the `zdb-namespace` descriptor. */
  saveSettings(settings: NamespaceSettings): void {
    writeSettings(this.indexDir, this.name, settings)
    this.settings = settings
  }

  /** INDEX DIRTY: index file ids edited in place since the last reset, ascending. */
  dirtyIndexFiles(): number[] {
    return this.#dirty.list()
  }

  /** INDEX DIRTY RESET. */
  resetDirty(): void {
    this.#dirty.reset()
  }

  /** Removes `ids` from INDEX DIRTY (an embedder saved those index files). */
  clearDirty(ids: readonly number[]): void {
    this.#dirty.remove(ids)
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
      this.#dirty.toString(),
    ]
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
    return readRawData(this.#files, fileId, offset)
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
    removeNumberedFiles(this)
    this.#dirty.reset()
    this.#load(mode === 'seq' ? INDEX_MODE_SEQ : INDEX_MODE_USER)
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`namespace "${this.name}" is closed`)
  }
}
