/**
 * The keys of a user-mode namespace (spec zdb.md §1, §2): every live key is in an in-memory
 * {@link KeyIndex} rebuilt at open, with the totals upstream reports. Writes are upstream's:
 * data entry, then the old index entry flagged in place, then the new index entry.
 * @module
 */
import { crc32c } from './crc32c.js'
import { DATA_FLAG_DELETED } from './format/data-file.js'
import type { KeyEntry, KeyIndex } from './key-index.js'
import { MissingDataError } from './missing-data.js'
import type { NamespaceFiles } from './namespace-files.js'
import type { SetOutcome } from './namespace-options.js'

const NO_PAYLOAD = Buffer.alloc(0)

export class UserKeys {
  readonly #files: NamespaceFiles
  readonly #keys: KeyIndex
  readonly #datasize: number
  readonly #now: () => number
  /** Told of every index file whose entry was edited in place (INDEX DIRTY). */
  readonly #onEdited: (fileId: number) => void
  /** Live payload bytes and key bytes. */
  #dataBytes: number
  #keyBytes: number
  /** Upstream's `nextentry` (new keys inserted, replays included). */
  #inserts: number

  constructor(
    files: NamespaceFiles,
    options: { datasize: number; now: () => number; onEdited: (fileId: number) => void },
    keys: KeyIndex,
    inserts: number,
  ) {
    this.#files = files
    this.#datasize = options.datasize
    this.#now = options.now
    this.#onEdited = options.onEdited
    this.#keys = keys
    this.#inserts = inserts
    const totals = keys.totals()
    this.#dataBytes = totals.dataBytes
    this.#keyBytes = totals.keyBytes
  }

  get entries(): number {
    return this.#keys.size
  }

  get dataBytes(): number {
    return this.#dataBytes
  }

  get keyBytes(): number {
    return this.#keyBytes
  }

  get inserts(): number {
    return this.#inserts
  }

  get(key: Buffer): KeyEntry | undefined {
    return this.#keys.get(key)
  }

  /** SET of `key`, live as `existing` or new. An unchanged value writes nothing. */
  set(key: Buffer, value: Buffer, timestamp: number | undefined, existing: KeyEntry | undefined): SetOutcome {
    const files = this.#files
    const crc = crc32c(value)
    if (existing && this.#unchanged(existing, value, crc)) return 'unchanged'
    files.rotateIfNeeded(value.length, this.#datasize)
    const ts = timestamp ?? this.#now()
    const dataOffset = files.appendData(key, value, crc, 0, ts)
    if (existing) {
      files.flagDeleted({ fileId: existing.fileId, offset: existing.idxOffset })
      this.#onEdited(existing.fileId)
    }
    const at = files.appendIndex({
      key,
      dataOffset,
      length: value.length,
      flags: 0,
      dataId: files.fileId,
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

  /** DEL of live `existing`: an empty flagged data entry, and its index entry flagged in place. */
  del(key: Buffer, existing: KeyEntry, timestamp: number | undefined): void {
    this.#files.appendData(key, NO_PAYLOAD, 0, DATA_FLAG_DELETED, timestamp ?? this.#now())
    this.#files.flagDeleted({ fileId: existing.fileId, offset: existing.idxOffset })
    this.#onEdited(existing.fileId)
    this.#keys.delete(key)
    this.#keyBytes -= key.length
    this.#dataBytes -= existing.length
  }

  /** Upstream's unchanged-value check: same CRC and length, then the stored bytes. */
  #unchanged(existing: KeyEntry, value: Buffer, crc: number): boolean {
    if (existing.crc !== crc || existing.length !== value.length) return false
    try {
      const files = this.#files
      return files
        .peekPayload(existing.dataId, existing.dataOffset, existing.key.length, existing.length)
        .equals(value)
    } catch (err) {
      if (err instanceof MissingDataError) throw err
      return false
    }
  }
}
