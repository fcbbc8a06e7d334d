/**
 * Reads of whole entries at places clients name or verify: CHECK's CRC test, index entries at
 * cursor and HISTORY locations, DATA RAW. They always read the files, never the value cache.
 * @module
 */
import { crc32c } from './crc32c.js'
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
  type IndexEntry,
} from './format/index-file.js'
import type { KeyEntry } from './key-index.js'
import { MissingDataError } from './missing-data.js'
import type { EntryLocation, NamespaceFiles } from './namespace-files.js'

/** A data entry as DATA RAW returns it (spec §1 "DATA RAW"). */
export interface RawDataEntry extends DataEntryHeader {
  key: Buffer
  payload: Buffer
}

/** Why DATA RAW found no entry: upstream's `-Invalid Request`, `-EOF`, `-Unexpected Internal Error`. */
export type RawDataMiss = 'missing-file' | 'eof' | 'invalid'

/**
 * CHECK: 1 if the stored payload matches the stored CRC, 0 if not, -1 if unreadable. Throws
 * {@link MissingDataError} when the `missing-data` hook should run first.
 */
export function checkEntry(files: NamespaceFiles, entry: KeyEntry): 1 | 0 | -1 {
  try {
    const { crc, payload } = files.readDataEntry(entry.dataId, entry.dataOffset)
    return crc32c(payload) === crc ? 1 : 0
  } catch (err) {
    if (err instanceof MissingDataError) throw err
    return -1
  }
}

/**
 * The index entry at `at` if a whole entry is there (deleted or not), else null. Cursors and
 * HISTORY keys can be forged by clients: the caller checks the fields.
 */
export function readIndexEntryAt(files: NamespaceFiles, at: EntryLocation): IndexEntry | null {
  const size = files.indexFileSize(at.fileId)
  if (at.offset < INDEX_HEADER_SIZE || at.offset + INDEX_ENTRY_SIZE > size) return null
  try {
    return decodeIndexEntry(files.readIndex(at.fileId, at.offset, INDEX_ENTRY_SIZE + 255), 0)
  } catch {
    return null
  }
}

/**
 * DATA RAW: the data entry at `offset` of `d<fileId>`, or why there is none. A deleted entry
 * counts as invalid, as upstream.
 */
export function readRawData(
  files: NamespaceFiles,
  fileId: number,
  offset: number,
): RawDataEntry | RawDataMiss {
  const size = files.dataFileSize(fileId)
  if (size === undefined) return 'missing-file'
  if (offset >= size) return 'eof'
  if (offset < DATA_HEADER_SIZE || offset + DATA_ENTRY_SIZE > size) return 'invalid'
  try {
    const head = decodeDataEntryHeader(files.readData(fileId, offset, DATA_ENTRY_SIZE))!
    const end = offset + DATA_ENTRY_SIZE + head.keyLength + head.dataLength
    if (end > size || head.flags & DATA_FLAG_DELETED) return 'invalid'
    const rest = files.readData(fileId, offset + DATA_ENTRY_SIZE, head.keyLength + head.dataLength)
    return { ...head, key: rest.subarray(0, head.keyLength), payload: rest.subarray(head.keyLength) }
  } catch (err) {
    if (err instanceof MissingDataError) throw err
    return 'invalid'
  }
}
