/**
 * Startup replay of a namespace's index files `i0..iN` (spec zdb.md §2, "Startup").
 * - User mode: every entry is applied to the key map in order; a deleted one removes its key.
 * - Seq mode: only counters (entries per file, live entries, live bytes); every entry must
 *   have an 8-byte key, so that id `n` sits at `29 + rel * 42`.
 *
 * Crash recovery: a torn entry at the end of an index file, or a last entry whose data entry
 * is missing or fails its CRC (the index was written, the data was not), is truncated away and
 * logged. Starting with one fewer key beats refusing to start.
 * @module
 */
import { closeSync, existsSync, openSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { crc32c } from './crc32c.js'
import { ZdbFormatError } from './errors.js'
import { readExact } from './file-io.js'
import { DATA_ENTRY_SIZE, decodeDataEntryHeader } from './format/data-file.js'
import {
  decodeIndexEntry,
  decodeIndexHeader,
  encodeIndexHeader,
  INDEX_FLAG_DELETED,
  INDEX_HEADER_SIZE,
  INDEX_MODE_SEQ,
  INDEX_MODE_USER,
  type IndexEntry,
  SEQ_KEY_SIZE,
} from './format/index-file.js'
import { dataFilePath, indexFilePath } from './format/paths.js'
import { KeyIndex } from './key-index.js'
import type { ZdbLogger } from './logger.js'
import type { EntryLocation } from './namespace-files.js'

export interface ReplayResult {
  /** Mode from `i0`'s header. */
  mode: number
  lastFileId: number
  /** The last index entry (in the last file holding one), null if none. */
  lastEntry: EntryLocation | null
  /** User mode: live keys. Empty in seq mode. */
  keys: KeyIndex
  /**
   * User mode: upstream's `nextentry`, +1 for every entry whose key was not live when replayed.
   * Seq mode: 0 (the seq index derives it from `counts`).
   */
  inserts: number
  /** Seq mode: entries per index file. */
  counts: number[]
  /** Seq mode: live entries and their payload bytes. */
  seqEntries: number
  seqDataBytes: number
}

/** Replays `i0..iN`; a namespace without `i0` gets one in `newMode`. */
export function replayIndexFiles(
  indexDir: string,
  dataDir: string,
  logger: ZdbLogger,
  newMode: number = INDEX_MODE_USER,
): ReplayResult {
  let count = 0
  while (existsSync(indexFilePath(indexDir, count))) count++
  const result: ReplayResult = {
    mode: newMode,
    lastFileId: Math.max(0, count - 1),
    lastEntry: null,
    keys: new KeyIndex(),
    inserts: 0,
    counts: [],
    seqEntries: 0,
    seqDataBytes: 0,
  }
  if (count === 0) {
    writeFileSync(indexFilePath(indexDir, 0), encodeIndexHeader({ fileId: 0, mode: newMode }))
    result.counts.push(0)
    return result
  }
  const keys = result.keys
  let mode = INDEX_MODE_USER
  for (let id = 0; id < count; id++) {
    const path = indexFilePath(indexDir, id)
    const isLast = id === count - 1
    const buf = readFileSync(path)
    if (buf.length < INDEX_HEADER_SIZE) {
      if (!isLast) throw new ZdbFormatError(`${path}: index header is ${buf.length} bytes, expected 29`)
      // A crash during rotation leaves the newest file empty or with a torn header.
      logger.warn(`${path}: index header is ${buf.length} bytes, rewriting it`)
      writeFileSync(path, encodeIndexHeader({ fileId: id, mode }))
      result.counts.push(0)
      continue
    }
    const header = decodeIndexHeader(buf, path)
    if (id === 0) {
      mode = header.mode
      result.mode = mode
      if (mode !== INDEX_MODE_USER && mode !== INDEX_MODE_SEQ) {
        throw new ZdbFormatError(`${path}: index mode ${mode} is not supported (0 user, 1 seq)`)
      }
    } else if (header.mode !== mode) {
      throw new ZdbFormatError(`${path}: index mode ${header.mode} differs from i0's mode ${mode}`)
    }
    // Offsets only: a million decoded entries held at once would cost hundreds of MB.
    const offsets = entryOffsets(buf, path, logger)
    if (isLast) dropUnbackedTail(buf, offsets, dataDir, path, logger)
    result.counts.push(offsets.length)
    if (offsets.length > 0) result.lastEntry = { fileId: id, offset: offsets.at(-1)! }
    if (mode === INDEX_MODE_SEQ) {
      for (const offset of offsets) {
        const entry = decodeIndexEntry(buf, offset)!
        if (entry.key.length !== SEQ_KEY_SIZE) {
          throw new ZdbFormatError(
            `${path}: entry at offset ${offset} has a ${entry.key.length}-byte key; a sequential namespace needs ${SEQ_KEY_SIZE}`,
          )
        }
        if (entry.flags & INDEX_FLAG_DELETED) continue
        result.seqEntries += 1
        result.seqDataBytes += entry.length
      }
      continue
    }
    for (const offset of offsets) {
      const entry = decodeIndexEntry(buf, offset)!
      if (!keys.has(entry.key)) result.inserts += 1
      if (entry.flags & INDEX_FLAG_DELETED) {
        keys.delete(entry.key)
        continue
      }
      keys.set({
        key: entry.key,
        fileId: id,
        idxOffset: offset,
        dataId: entry.dataId,
        dataOffset: entry.dataOffset,
        length: entry.length,
        crc: entry.crc,
        timestamp: entry.timestamp,
      })
    }
  }
  return result
}

/** Offsets of the complete entries of an index file; a torn one at the end is cut off. */
function entryOffsets(buf: Buffer, path: string, logger: ZdbLogger): number[] {
  const out: number[] = []
  let offset = INDEX_HEADER_SIZE
  while (offset < buf.length) {
    const entry = decodeIndexEntry(buf, offset)
    if (entry === null) {
      logger.warn(`${path}: torn index entry at offset ${offset} (${buf.length - offset} bytes), truncating`)
      truncateSync(path, offset)
      break
    }
    out.push(offset)
    offset += 34 + entry.key.length
  }
  return out
}

/** Truncates the last entry away if its data entry is absent or does not match it. */
function dropUnbackedTail(
  buf: Buffer,
  offsets: number[],
  dataDir: string,
  path: string,
  logger: ZdbLogger,
): void {
  const last = offsets.at(-1)
  if (last === undefined || dataMatches(dataDir, decodeIndexEntry(buf, last)!)) return
  logger.warn(`${path}: last index entry at offset ${last} has no valid data entry, truncating`)
  truncateSync(path, last)
  offsets.pop()
}

function dataMatches(dataDir: string, e: IndexEntry): boolean {
  let fd: number | undefined
  try {
    fd = openSync(dataFilePath(dataDir, e.dataId), 'r')
    const head = readExact(fd, DATA_ENTRY_SIZE + e.key.length, e.dataOffset)
    const h = decodeDataEntryHeader(head)!
    if (h.keyLength !== e.key.length || h.dataLength !== e.length) return false
    if (!head.subarray(DATA_ENTRY_SIZE).equals(e.key)) return false
    const payload = readExact(fd, e.length, e.dataOffset + DATA_ENTRY_SIZE + e.key.length)
    return crc32c(payload) === e.crc
  } catch {
    return false
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
