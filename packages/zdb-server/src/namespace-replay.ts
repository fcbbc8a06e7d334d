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
import { closeSync, existsSync, openSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { crc32c } from './crc32c.js'
import { ZdbFormatError } from './errors.js'
import { readExact, readUpTo } from './file-io.js'
import { DATA_ENTRY_SIZE, decodeDataEntryHeader } from './format/data-file.js'
import {
  decodeIndexEntry,
  decodeIndexHeader,
  encodeIndexHeader,
  INDEX_ENTRY_SIZE,
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
    const size = statSync(path).size
    const buf = readHead(path)
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
    // The file is read in windows and each entry applied as it comes, one behind: the last
    // one of the last file is applied only once its data entry is checked. Fields are read
    // straight from the window: a million entries make no million objects.
    let heldWindow: Buffer | null = null
    let heldAt = 0
    let heldOffset = 0
    let applied = 0
    let lastApplied = 0
    const apply = (w: Buffer, at: number, offset: number): void => {
      applied += 1
      lastApplied = offset
      const keyLength = w[at]!
      const keyAt = at + INDEX_ENTRY_SIZE
      const flags = w[at + 13]!
      if (mode === INDEX_MODE_SEQ) {
        if (keyLength !== SEQ_KEY_SIZE) {
          throw new ZdbFormatError(
            `${path}: entry at offset ${offset} has a ${keyLength}-byte key; a sequential namespace needs ${SEQ_KEY_SIZE}`,
          )
        }
        if (flags & INDEX_FLAG_DELETED) return
        result.seqEntries += 1
        result.seqDataBytes += w.readUInt32LE(at + 5)
        return
      }
      // Upstream's nextentry counts every entry whose key was not live when replayed.
      if (flags & INDEX_FLAG_DELETED) {
        if (!keys.deleteAt(w, keyAt, keyLength)) result.inserts += 1
        return
      }
      const added = keys.setAt(w, keyAt, keyLength, {
        fileId: id,
        idxOffset: offset,
        dataId: w.readUInt32LE(at + 14),
        dataOffset: w.readUInt32LE(at + 1),
        length: w.readUInt32LE(at + 5),
        crc: w.readUInt32LE(at + 22),
        timestamp: w.readUInt32LE(at + 18),
      })
      if (added) result.inserts += 1
    }
    forEachIndexEntry(path, size, logger, (w, at, offset) => {
      if (heldWindow) apply(heldWindow, heldAt, heldOffset)
      heldWindow = w
      heldAt = at
      heldOffset = offset
    })
    const tail = heldWindow as Buffer | null
    if (tail && isLast && !dataMatches(dataDir, decodeIndexEntry(tail, heldAt)!)) {
      logger.warn(`${path}: last index entry at offset ${heldOffset} has no valid data entry, truncating`)
      truncateSync(path, heldOffset)
    } else if (tail) {
      apply(tail, heldAt, heldOffset)
    }
    if (applied > 0) result.lastEntry = { fileId: id, offset: lastApplied }
    result.counts.push(applied)
  }
  return result
}

/** Bytes read at a time: entries are at most 34 + 255 bytes, windows are much larger. */
const WINDOW = 4 * 1024 * 1024

/** The first bytes of an index file (its header, if it has one). */
function readHead(path: string): Buffer {
  const fd = openSync(path, 'r')
  try {
    return readUpTo(fd, INDEX_HEADER_SIZE, 0)
  } finally {
    closeSync(fd)
  }
}

/**
 * Calls `visit(window, at, fileOffset)` for each complete entry of an index file, in order,
 * reading the file in windows so memory stays bounded whatever its size. A torn entry at the
 * end is cut off the file and logged.
 */
function forEachIndexEntry(
  path: string,
  size: number,
  logger: ZdbLogger,
  visit: (window: Buffer, at: number, fileOffset: number) => void,
): void {
  const fd = openSync(path, 'r')
  // Two windows in turn: the caller holds on to the last entry of one while the next is read.
  const windows = [Buffer.allocUnsafe(Math.min(WINDOW, size)), Buffer.allocUnsafe(Math.min(WINDOW, size))]
  let turn = 0
  try {
    let start = INDEX_HEADER_SIZE
    while (start < size) {
      turn ^= 1
      const window = readUpTo(fd, Math.min(WINDOW, size - start), start, windows[turn])
      let at = 0
      while (window.length - at >= INDEX_ENTRY_SIZE && window.length - at >= INDEX_ENTRY_SIZE + window[at]!) {
        visit(window, at, start + at)
        at += INDEX_ENTRY_SIZE + window[at]!
      }
      // A partial entry at the end of the file is torn; one at the end of a window is read
      // again with the next (a window that holds no whole entry can only be the file's end).
      if (at < window.length && (start + window.length >= size || at === 0)) {
        logger.warn(
          `${path}: torn index entry at offset ${start + at} (${size - start - at} bytes), truncating`,
        )
        truncateSync(path, start + at)
        return
      }
      start += at
    }
  } finally {
    closeSync(fd)
  }
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
