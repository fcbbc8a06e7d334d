/**
 * Startup replay of a namespace's index files `i0..iN` into the key map (spec zdb.md §2,
 * "Startup", user mode): every entry is applied in order and a deleted one removes its key.
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
  INDEX_MODE_USER,
  type IndexEntry,
} from './format/index-file.js'
import { dataFilePath, indexFilePath } from './format/paths.js'
import type { ZdbLogger } from './logger.js'
import type { KeyEntry } from './namespace.js'

export interface ReplayResult {
  /** Mode from `i0`'s header. */
  mode: number
  keys: Map<string, KeyEntry>
  lastFileId: number
  /** Offset of the last index entry (in the last file holding one), 0 if none. */
  lastEntryOffset: number
}

interface Located {
  entry: IndexEntry
  offset: number
}

export function replayIndexFiles(indexDir: string, dataDir: string, logger: ZdbLogger): ReplayResult {
  let count = 0
  while (existsSync(indexFilePath(indexDir, count))) count++
  if (count === 0) {
    writeFileSync(indexFilePath(indexDir, 0), encodeIndexHeader({ fileId: 0, mode: INDEX_MODE_USER }))
    return { mode: INDEX_MODE_USER, keys: new Map(), lastFileId: 0, lastEntryOffset: 0 }
  }
  const keys = new Map<string, KeyEntry>()
  let mode = INDEX_MODE_USER
  let lastEntryOffset = 0
  for (let id = 0; id < count; id++) {
    const path = indexFilePath(indexDir, id)
    const isLast = id === count - 1
    const buf = readFileSync(path)
    if (buf.length < INDEX_HEADER_SIZE) {
      if (!isLast) throw new ZdbFormatError(`${path}: index header is ${buf.length} bytes, expected 29`)
      // A crash during rotation leaves the newest file empty or with a torn header.
      logger.warn(`${path}: index header is ${buf.length} bytes, rewriting it`)
      writeFileSync(path, encodeIndexHeader({ fileId: id, mode }))
      continue
    }
    const header = decodeIndexHeader(buf, path)
    if (id === 0) {
      mode = header.mode
      if (mode !== INDEX_MODE_USER) return { mode, keys, lastFileId: count - 1, lastEntryOffset }
    }
    const entries = parseEntries(buf, path, logger)
    if (isLast) dropUnbackedTail(entries, dataDir, path, logger)
    for (const { entry, offset } of entries) {
      lastEntryOffset = offset
      const name = entry.key.toString('latin1')
      if (entry.flags & INDEX_FLAG_DELETED) {
        keys.delete(name)
        continue
      }
      keys.set(name, {
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
  return { mode, keys, lastFileId: count - 1, lastEntryOffset }
}

function parseEntries(buf: Buffer, path: string, logger: ZdbLogger): Located[] {
  const out: Located[] = []
  let offset = INDEX_HEADER_SIZE
  while (offset < buf.length) {
    const entry = decodeIndexEntry(buf, offset)
    if (entry === null) {
      logger.warn(`${path}: torn index entry at offset ${offset} (${buf.length - offset} bytes), truncating`)
      truncateSync(path, offset)
      break
    }
    out.push({ entry, offset })
    offset += 34 + entry.key.length
  }
  return out
}

/** Truncates the last entry away if its data entry is absent or does not match it. */
function dropUnbackedTail(entries: Located[], dataDir: string, path: string, logger: ZdbLogger): void {
  const last = entries.at(-1)
  if (!last || dataMatches(dataDir, last.entry)) return
  logger.warn(`${path}: last index entry at offset ${last.offset} has no valid data entry, truncating`)
  truncateSync(path, last.offset)
  entries.pop()
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
