/**
 * The keys of a sequential-mode namespace (spec zdb.md §1 "SET" seq mode, §2): 8-byte
 * little-endian ids handed out in append order. An id's entry is found by position
 * ({@link SeqIndex}) and read from disk; nothing per key is kept in memory.
 *
 * Writes follow upstream libzdb/index_set.c:
 * - append: data entry, then a 42-byte index entry whose key is the new id;
 * - update: data entry; a copy of the old index entry, flagged deleted, appended (it takes the
 *   next id, so an update consumes one); then the key's own slot rewritten in place with the
 *   new data, its `previous` kept and its parent pointing at the copy (HISTORY walks them);
 * - DEL: an empty flagged data entry, and the slot flagged deleted in place.
 * @module
 */
import { crc32c } from './crc32c.js'
import { DATA_FLAG_DELETED } from './format/data-file.js'
import {
  decodeIndexEntry,
  encodeIndexEntry,
  INDEX_FLAG_DELETED,
  type IndexEntry,
  SEQ_ENTRY_SIZE,
  SEQ_KEY_SIZE,
} from './format/index-file.js'
import type { KeyEntry } from './key-index.js'
import { MissingDataError } from './missing-data.js'
import type { EntryLocation, NamespaceFiles } from './namespace-files.js'
import type { SetOutcome } from './namespace-options.js'
import { SeqIndex } from './seq-index.js'

export interface SeqKeysState {
  /** Entries per index file, from the replay. */
  counts: number[]
  /** Live entries and their payload bytes, from the replay. */
  entries: number
  dataBytes: number
}

export class SeqKeys {
  readonly #files: NamespaceFiles
  readonly #index: SeqIndex
  readonly #datasize: number
  #entries: number
  #dataBytes: number

  constructor(files: NamespaceFiles, datasize: number, state: SeqKeysState) {
    this.#files = files
    this.#index = new SeqIndex(state.counts)
    this.#datasize = datasize
    this.#entries = state.entries
    this.#dataBytes = state.dataBytes
  }

  get entries(): number {
    return this.#entries
  }

  get dataBytes(): number {
    return this.#dataBytes
  }

  /** The id the next appended entry takes. */
  get nextId(): number {
    return this.#index.nextId
  }

  /** The live entry of an 8-byte id key, or undefined. */
  get(key: Buffer): KeyEntry | undefined {
    return this.#slot(key)?.live
  }

  /** Appends `value` under the next id and returns its 8-byte key. */
  append(value: Buffer, timestamp: number): Buffer {
    const crc = crc32c(value)
    this.#files.rotateIfNeeded(value.length, this.#datasize)
    const key = seqKey(this.#index.nextId)
    const dataOffset = this.#files.appendData(key, value, crc, 0, timestamp)
    const fileId = this.#files.fileId
    this.#files.appendIndex({
      key,
      dataOffset,
      length: value.length,
      flags: 0,
      dataId: fileId,
      timestamp,
      crc,
      parentId: 0,
      parentOffset: 0,
    })
    this.#index.take(fileId)
    this.#entries += 1
    this.#dataBytes += value.length
    return key
  }

  /** Updates a live key; an unchanged value (same CRC, length and bytes) writes nothing. */
  update(key: Buffer, value: Buffer, timestamp: number): SetOutcome {
    const slot = this.#slot(key)
    if (!slot) throw new Error('sequential update of a key that is not live')
    const { at, raw, live } = slot
    const crc = crc32c(value)
    if (live.crc === crc && live.length === value.length && this.#sameValue(live, value)) return 'unchanged'
    this.#files.rotateIfNeeded(value.length, this.#datasize)
    const dataOffset = this.#files.appendData(key, value, crc, 0, timestamp)
    const fileId = this.#files.fileId
    // Upstream stores the current file id as the copy's dataid, which is wrong once the old
    // version sits in an older data file; the copy keeps its real data file here.
    const copy = this.#files.appendIndex({ ...raw, flags: INDEX_FLAG_DELETED })
    this.#index.take(fileId)
    this.#files.writeIndexAt(
      at,
      encodeIndexEntry({
        key,
        dataOffset,
        length: value.length,
        previous: raw.previous,
        flags: 0,
        dataId: fileId,
        timestamp: timestamp >>> 0,
        crc,
        parentId: copy.fileId,
        parentOffset: copy.offset,
      }),
    )
    this.#dataBytes += value.length - live.length
    return 'written'
  }

  /** DEL; false if the key is not live. No id is consumed. */
  del(key: Buffer, timestamp: number): boolean {
    const live = this.get(key)
    if (!live) return false
    this.#files.appendData(key, Buffer.alloc(0), 0, DATA_FLAG_DELETED, timestamp)
    this.#files.flagDeleted({ fileId: live.fileId, offset: live.idxOffset })
    this.#entries -= 1
    this.#dataBytes -= live.length
    return true
  }

  #sameValue(live: KeyEntry, value: Buffer): boolean {
    try {
      return this.#files.peekPayload(live.dataId, live.dataOffset, live.key.length, live.length).equals(value)
    } catch (err) {
      if (err instanceof MissingDataError) throw err
      return false
    }
  }

  /** The slot of an 8-byte key, with its live entry if the key is live. */
  #slot(key: Buffer): { at: EntryLocation; raw: IndexEntry; live: KeyEntry } | undefined {
    if (key.length !== SEQ_KEY_SIZE) return undefined
    const high = key.readUInt32LE(4)
    if (high >= 2 ** 21) return undefined
    const at = this.#index.locate(high * 2 ** 32 + key.readUInt32LE(0))
    if (!at) return undefined
    let raw: IndexEntry | null
    try {
      raw = decodeIndexEntry(this.#files.readIndex(at.fileId, at.offset, SEQ_ENTRY_SIZE), 0)
    } catch {
      return undefined
    }
    // A flagged copy sits in the slot of the id it consumed, with another id as its key.
    if (!raw || raw.flags & INDEX_FLAG_DELETED || !raw.key.equals(key)) return undefined
    return {
      at,
      raw,
      live: {
        key: raw.key,
        fileId: at.fileId,
        idxOffset: at.offset,
        dataId: raw.dataId,
        dataOffset: raw.dataOffset,
        length: raw.length,
        crc: raw.crc,
        timestamp: raw.timestamp,
      },
    }
  }
}

/** Seq key of `id`: 8 bytes little-endian. */
function seqKey(id: number): Buffer {
  const key = Buffer.alloc(SEQ_KEY_SIZE)
  key.writeUInt32LE(id % 2 ** 32, 0)
  key.writeUInt32LE(Math.floor(id / 2 ** 32), 4)
  return key
}
