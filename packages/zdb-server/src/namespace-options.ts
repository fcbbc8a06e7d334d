/**
 * What a namespace is opened with, and the small types its callers share.
 * @module
 */
import type { Hooks } from './hooks.js'
import type { ZdbLogger } from './logger.js'
import type { MissingData } from './missing-data.js'
import type { SyncPolicy } from './namespace-files.js'
import type { ServerStats } from './stats.js'
import type { ValueCache } from './value-cache.js'
import type { WriteBatch } from './write-batch.js'

/** Mode of one namespace. */
export type NamespaceMode = 'user' | 'seq'
/** Mode of a server: forced to one mode, or mixed (new namespaces are user mode). */
export type ServerMode = NamespaceMode | 'mixed'

export interface NamespaceOptions {
  name: string
  indexRoot: string
  dataRoot: string
  /** Rotate to files N+1 before a SET that would grow the data file past this. */
  datasize: number
  /** Unix time in seconds. */
  now: () => number
  logger: ZdbLogger
  stats: ServerStats
  /** Default `'mixed'`. A forced mode that differs from `i0`'s header is refused. */
  mode?: ServerMode
  /** The server's group commit; without one every write goes to the files at once. */
  batch?: WriteBatch
  /** When to fsync (default: never, as upstream without `--sync`). */
  sync?: SyncPolicy
  /** `--secure`: fsync files N before every jump to N+1. */
  secure?: boolean
  /** `--hook`: rotations run `jump-index` (blocking) and `jump-data` (spec §3). */
  hooks?: Hooks
  /** `--hook`: reads of a missing old data file defer to the `missing-data` hook. */
  missingData?: MissingData
  /** The embedder's `onDataRead`: told of every read of a non-current data file. */
  onDataRead?: (path: string) => void
  /** The server's payload cache, shared by every namespace; none without it. */
  cache?: ValueCache
}

export type SetOutcome = 'written' | 'unchanged'

/**
 * NSSET `lock` / `freeze` (spec §1): one state, as upstream (`freeze 0` also unlocks). Kept in
 * memory only. `locked` refuses writes, `frozen` refuses every command on the namespace.
 */
export type LockState = 'unlocked' | 'locked' | 'frozen'
