/**
 * File names of a namespace (spec zdb.md §2): `<index>/<ns>/i<N>`, `<data>/<ns>/d<N>` with N
 * in plain decimal, and `<index>/<ns>/zdb-namespace`.
 * @module
 */
import { join } from 'node:path'

export const indexFileName = (fileId: number): string => `i${fileId}`
export const dataFileName = (fileId: number): string => `d${fileId}`
export const indexFilePath = (nsIndexDir: string, fileId: number): string =>
  join(nsIndexDir, indexFileName(fileId))
export const dataFilePath = (nsDataDir: string, fileId: number): string =>
  join(nsDataDir, dataFileName(fileId))

/** v1 file name; its presence means an unconverted v1 database (fatal upstream too). */
export const LEGACY_INDEX_FILE = 'zdb-index-00000'
