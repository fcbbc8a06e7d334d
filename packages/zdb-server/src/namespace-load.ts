/**
 * Opening a namespace's directories and files (spec zdb.md §2, "Startup"), and removing its
 * numbered files for FLUSH and a mode change.
 * @module
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { ZdbFormatError, ZdbModeMismatchError } from './errors.js'
import { INDEX_MODE_SEQ } from './format/index-file.js'
import { LEGACY_INDEX_FILE } from './format/paths.js'
import { NamespaceFiles, type NamespaceFilesOptions } from './namespace-files.js'
import type { NamespaceMode, NamespaceOptions } from './namespace-options.js'
import { type ReplayResult, replayIndexFiles } from './namespace-replay.js'

/** Index and data files `i<N>` / `d<N>` (FLUSH and NSSET mode remove exactly these). */
const NUMBERED_FILE = /^[id]\d+$/

/** Creates the namespace's directories if needed; refuses a 0-db v1 index. */
export function namespaceDirs(options: NamespaceOptions): { indexDir: string; dataDir: string } {
  const indexDir = join(options.indexRoot, options.name)
  const dataDir = join(options.dataRoot, options.name)
  mkdirSync(indexDir, { recursive: true })
  mkdirSync(dataDir, { recursive: true })
  if (existsSync(join(indexDir, LEGACY_INDEX_FILE))) {
    throw new ZdbFormatError(
      `${indexDir} holds a 0-db v1 index (${LEGACY_INDEX_FILE}); convert it with upstream tools first`,
    )
  }
  return { indexDir, dataDir }
}

export interface LoadedFiles {
  mode: NamespaceMode
  files: NamespaceFiles
  replay: ReplayResult
}

/**
 * Replays `i0..iN` (creating `i0` in `newMode` if missing) and opens files N. Throws
 * {@link ZdbModeMismatchError} if `options.mode` forces a mode other than `i0`'s.
 */
export function loadFiles(
  options: NamespaceOptions,
  dirs: { indexDir: string; dataDir: string },
  newMode: number,
  callbacks: Pick<NamespaceFilesOptions, 'deferred' | 'onDeferred' | 'onRotate'>,
): LoadedFiles {
  const { name, logger } = options
  const { indexDir, dataDir } = dirs
  const forced = options.mode ?? 'mixed'
  const replay = replayIndexFiles(indexDir, dataDir, logger, newMode)
  const mode: NamespaceMode = replay.mode === INDEX_MODE_SEQ ? 'seq' : 'user'
  if (forced !== 'mixed' && forced !== mode) {
    throw new ZdbModeMismatchError(
      `namespace "${name}" is in ${mode === 'seq' ? 'sequential' : 'user'} mode (header of ${join(indexDir, 'i0')}), but the server runs with --mode ${forced}; start it with --mode ${mode} or without --mode`,
    )
  }
  const missingData = options.missingData
  const files = new NamespaceFiles({
    indexDir,
    dataDir,
    name,
    fileId: replay.lastFileId,
    lastEntry: replay.lastEntry,
    mode: replay.mode,
    logger,
    stats: options.stats,
    sync: options.sync,
    secure: options.secure ?? false,
    ...callbacks,
    onDataRead: options.onDataRead,
    cache: options.cache,
    ...(missingData ? { onMissingData: (path: string) => missingData.check(path) } : {}),
  })
  return { mode, files, replay }
}

/** Deletes every index and data file of the namespace (nothing else in its directories). */
export function removeNumberedFiles(dirs: { indexDir: string; dataDir: string }): void {
  for (const dir of [dirs.indexDir, dirs.dataDir]) {
    for (const name of readdirSync(dir)) if (NUMBERED_FILE.test(name)) rmSync(join(dir, name))
  }
}
