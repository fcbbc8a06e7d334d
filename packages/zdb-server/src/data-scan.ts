/**
 * Walks the entry headers of a data file (spec zdb.md §2) to find where the last complete
 * entry starts and where complete entries end, so a crash mid-append can be cut off.
 * @module
 */

import { readUpTo } from './file-io.js'
import { DATA_ENTRY_SIZE, DATA_HEADER_SIZE } from './format/data-file.js'

const WINDOW = 1 << 20

export interface DataScan {
  /** Offset of the last complete entry, or `null` if the file holds none. */
  lastOffset: number | null
  /** End of the last complete entry (the header size for an empty file). */
  validEnd: number
}

export function scanDataFile(fd: number, size: number): DataScan {
  let pos = DATA_HEADER_SIZE
  let lastOffset: number | null = null
  let window: Buffer = Buffer.alloc(0)
  let windowStart = 0
  const reused = Buffer.allocUnsafe(Math.min(WINDOW, size))
  while (pos + DATA_ENTRY_SIZE <= size) {
    if (pos < windowStart || pos + DATA_ENTRY_SIZE > windowStart + window.length) {
      window = readUpTo(fd, Math.min(WINDOW, size - pos), pos, reused)
      windowStart = pos
    }
    // idlen and datalen of the entry (spec §2), read in place: a data file holds millions.
    const at = pos - windowStart
    if (window.length - at < DATA_ENTRY_SIZE) break
    const end = pos + DATA_ENTRY_SIZE + window[at]! + window.readUInt32LE(at + 1)
    if (end > size) break
    lastOffset = pos
    pos = end
  }
  return { lastOffset, validEnd: lastOffset === null ? DATA_HEADER_SIZE : pos }
}
