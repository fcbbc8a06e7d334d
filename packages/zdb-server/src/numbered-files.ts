/**
 * Opening the current files of a namespace (spec zdb.md §2): a new file gets its header; an
 * existing data file is checked, and a torn entry at its end (a crash mid-append) is cut off.
 * @module
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync } from 'node:fs'
import { scanDataFile } from './data-scan.js'
import { readExact, writeAll } from './file-io.js'
import { DATA_HEADER_SIZE, decodeDataHeader, encodeDataHeader } from './format/data-file.js'
import { dataFilePath } from './format/paths.js'
import type { ZdbLogger } from './logger.js'

/** Creates (or empties) `path`, writes `header`, returns an `r+` fd. */
export function createWithHeader(path: string, header: Buffer): number {
  const fd = openSync(path, 'w+')
  try {
    writeAll(fd, [header], 0)
  } catch (err) {
    closeSync(fd)
    throw err
  }
  return fd
}

/** Opens `d<fileId>`, writing its header if the file is missing or shorter than one. */
export function openCurrentDataFile(dataDir: string, fileId: number, logger: ZdbLogger): number {
  const path = dataFilePath(dataDir, fileId)
  if (!existsSync(path)) return createWithHeader(path, encodeDataHeader(fileId))
  const fd = openSync(path, 'r+')
  const size = fstatSync(fd).size
  if (size < DATA_HEADER_SIZE) {
    if (size > 0) logger.warn(`${path}: torn data header (${size} bytes), rewriting it`)
    writeAll(fd, [encodeDataHeader(fileId)], 0)
    return fd
  }
  try {
    decodeDataHeader(readExact(fd, DATA_HEADER_SIZE, 0), path)
  } catch (err) {
    closeSync(fd)
    throw err
  }
  const scan = scanDataFile(fd, size)
  if (scan.validEnd < size) {
    logger.warn(
      `${path}: torn entry at the end (${size - scan.validEnd} bytes), truncating to ${scan.validEnd}`,
    )
    ftruncateSync(fd, scan.validEnd)
  }
  return fd
}
