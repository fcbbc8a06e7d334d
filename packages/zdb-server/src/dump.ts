/**
 * `--dump` (spec zdb.md §4: load, print the index, exit). Upstream prints every live key of the
 * loaded index as `[+] key [<hex>] offset N, length: N`; this prints every entry of every index
 * file, in write order, read-only (nothing is created, truncated or locked), so it can look at
 * a running server's or a damaged namespace's files:
 *
 * ```
 * namespace=<name> mode=user|seq index_files=<n> data_files=<n> entries=<n> live=<n>
 * index=<file>:<offset> key=<hex> data=<file>:<offset> length=<n> flags=<n> timestamp=<n> crc=0x<8 hex>
 * ```
 *
 * One `namespace=` line comes before its entries; `live` counts the entries not flagged
 * deleted (an overwrite or DEL flags the old entry in place, spec §2 "Writes"), which is the
 * namespace's live key count. Namespaces come in load order: `default`, then the others by name.
 * @module
 */
import { closeSync, existsSync, openSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ZdbOptionError } from './errors.js'
import { readUpTo } from './file-io.js'
import {
  decodeIndexHeader,
  INDEX_ENTRY_SIZE,
  INDEX_FLAG_DELETED,
  INDEX_HEADER_SIZE,
  INDEX_MODE_SEQ,
} from './format/index-file.js'
import { dataFilePath, indexFilePath } from './format/paths.js'
import { DEFAULT_NAMESPACE } from './namespaces.js'

/** Index bytes read at a time (entries are at most 34 + 255 bytes). */
const WINDOW = 1024 * 1024
/** Text handed to the writer at a time. */
const CHUNK = 64 * 1024

/**
 * The dump of every namespace under `indexRoot`, as text chunks. A torn entry at the end of an
 * index file is reported through `warn` and ends that file's listing. Throws
 * {@link ZdbOptionError} without an index root, `ZdbFormatError` for a file that is not a
 * 0-db v2 index.
 */
export function* dumpIndex(
  indexRoot: string,
  dataRoot: string,
  warn: (message: string) => void,
): Generator<string> {
  if (!existsSync(indexRoot)) throw new ZdbOptionError(`--dump: there is no index directory ${indexRoot}`)
  const names = readdirSync(indexRoot, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort((a, b) => (a === DEFAULT_NAMESPACE ? -1 : b === DEFAULT_NAMESPACE ? 1 : a < b ? -1 : 1))
  for (const name of names) yield* dumpNamespace(name, join(indexRoot, name), join(dataRoot, name), warn)
}

function* dumpNamespace(
  name: string,
  indexDir: string,
  dataDir: string,
  warn: (message: string) => void,
): Generator<string> {
  let files = 0
  while (existsSync(indexFilePath(indexDir, files))) files++
  let dataFiles = 0
  while (existsSync(dataFilePath(dataDir, dataFiles))) dataFiles++
  // The counts lead the listing, so the entries are walked twice: once to count, once to print.
  let entries = 0
  let live = 0
  let mode = 0
  for (let id = 0; id < files; id++) {
    const path = indexFilePath(indexDir, id)
    const header = readHeader(path)
    if (header === undefined) continue
    if (id === 0) mode = header.mode
    for (const e of walk(path, () => {})) {
      entries++
      if (!(e.window[e.at + 13]! & INDEX_FLAG_DELETED)) live++
    }
  }
  let text = `namespace=${name} mode=${mode === INDEX_MODE_SEQ ? 'seq' : 'user'} index_files=${files} data_files=${dataFiles} entries=${entries} live=${live}\n`
  for (let id = 0; id < files; id++) {
    const path = indexFilePath(indexDir, id)
    if (readHeader(path) === undefined) {
      warn(`${path}: no index header (an interrupted rotation); skipped`)
      continue
    }
    for (const { window: w, at, offset } of walk(path, warn)) {
      const keyLength = w[at]!
      text += `index=${id}:${offset} key=${w.toString('hex', at + INDEX_ENTRY_SIZE, at + INDEX_ENTRY_SIZE + keyLength)} data=${w.readUInt32LE(at + 14)}:${w.readUInt32LE(at + 1)} length=${w.readUInt32LE(at + 5)} flags=${w[at + 13]} timestamp=${w.readUInt32LE(at + 18)} crc=0x${w
        .readUInt32LE(at + 22)
        .toString(16)
        .padStart(8, '0')}\n`
      if (text.length >= CHUNK) {
        yield text
        text = ''
      }
    }
  }
  if (text.length > 0) yield text
}

/** The header of an index file, undefined if the file is shorter than one. */
function readHeader(path: string): { mode: number } | undefined {
  const fd = openSync(path, 'r')
  try {
    const head = readUpTo(fd, INDEX_HEADER_SIZE, 0)
    return head.length < INDEX_HEADER_SIZE ? undefined : decodeIndexHeader(head, path)
  } finally {
    closeSync(fd)
  }
}

interface Located {
  window: Buffer
  at: number
  /** Offset of the entry in its file. */
  offset: number
}

/** Every whole entry of an index file, read in windows; a torn tail is reported and ends it. */
function* walk(path: string, warn: (message: string) => void): Generator<Located> {
  const size = statSync(path).size
  const fd = openSync(path, 'r')
  // Each entry is used before the next is asked for, so one window serves the whole file.
  const reused = Buffer.allocUnsafe(Math.min(WINDOW, size))
  try {
    let start = INDEX_HEADER_SIZE
    while (start < size) {
      const window = readUpTo(fd, Math.min(WINDOW, size - start), start, reused)
      let at = 0
      while (window.length - at >= INDEX_ENTRY_SIZE && window.length - at >= INDEX_ENTRY_SIZE + window[at]!) {
        yield { window, at, offset: start + at }
        at += INDEX_ENTRY_SIZE + window[at]!
      }
      if (at < window.length && (start + window.length >= size || at === 0)) {
        warn(`${path}: torn index entry at offset ${start + at} (${size - start - at} bytes), not listed`)
        return
      }
      start += at
    }
  } finally {
    closeSync(fd)
  }
}
