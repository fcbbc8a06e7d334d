/**
 * A backend's health from `PING`/`NSINFO`: reachable or not, the right mode or not, and its real
 * free space — the smaller of what the namespace's limit leaves and what its disk has left.
 * Upstream's free-space check returns the limit alone, so it never sees a full disk (spec
 * zstor.md §2 "Backend validation", issue #38 there).
 * @module
 */
import type { ZdbNsInfo } from '@qsfs/zdb-protocol'
import { BackendError } from '../errors.js'
import type { ZdbBackend } from './zdb-backend.js'

/** Free bytes at or below which a backend is `low-space`: upstream's `FREESPACE_TRESHOLD`, 100 MiB. */
export const LOW_SPACE_BYTES = 100 * 1024 * 1024

/**
 * - `healthy`: reachable, right mode, writable, room left.
 * - `degraded`: reachable and readable, but not to be written (wrong mode, locked or frozen,
 *   I/O errors reported since it started).
 * - `low-space`: readable, but at most {@link LOW_SPACE_BYTES} free.
 * - `unreachable`: no connection, a refused SELECT, or no reply in time.
 */
export type BackendState = 'healthy' | 'degraded' | 'low-space' | 'unreachable'

/** What one probe learned about a backend. */
export interface BackendStatus {
  readonly label: string
  readonly state: BackendState
  /** Why the state is not `healthy`. */
  readonly reason: string | null
  readonly entries: number | null
  readonly usedBytes: number | null
  /** The namespace's limit in bytes, `null` when unlimited. */
  readonly limitBytes: number | null
  /** Bytes that can still be written: limit minus used, capped by the data disk's free space. */
  readonly freeBytes: number | null
  readonly checkedAt: number
}

export type BackendRole = 'data' | 'meta'

/** The mode each role needs (spec zstor.md §2: data namespaces sequential, meta namespaces userkey). */
const MODE_FOR: Record<BackendRole, ZdbNsInfo['mode']> = { data: 'sequential', meta: 'userkey' }

/** Free bytes of a namespace: `limit - used` when limited, and never more than its disk has. */
export function freeSpace(info: ZdbNsInfo): number {
  const byLimit =
    info.dataLimitsBytes > 0
      ? Math.max(0, info.dataLimitsBytes - info.dataSizeBytes)
      : Number.POSITIVE_INFINITY
  const byDisk = info.dataDiskFreespaceBytes ?? Number.POSITIVE_INFINITY
  const free = Math.min(byLimit, byDisk)
  return Number.isFinite(free) ? free : Number.MAX_SAFE_INTEGER
}

/** The state `info` puts a backend of `role` in, and why. */
export function stateOf(info: ZdbNsInfo, role: BackendRole): { state: BackendState; reason: string | null } {
  if (info.mode !== MODE_FOR[role]) {
    return {
      state: 'degraded',
      reason: `namespace is in ${info.mode} mode; ${role} backends need ${MODE_FOR[role]}`,
    }
  }
  if (info.locked) return { state: 'degraded', reason: 'namespace is locked or frozen' }
  if (info.worm && role === 'meta')
    return { state: 'degraded', reason: 'namespace is write-once (worm): metadata cannot be updated' }
  const ioErrors = info.statsIndexIoErrors + info.statsDataIoErrors
  if (ioErrors > 0) return { state: 'degraded', reason: `${ioErrors} disk I/O errors reported by the server` }
  const free = freeSpace(info)
  if (free <= LOW_SPACE_BYTES) return { state: 'low-space', reason: `only ${free} bytes free` }
  return { state: 'healthy', reason: null }
}

/** Probes `backend` with `NSINFO` (which also proves it reachable). Never throws. */
export async function probe(
  backend: ZdbBackend,
  role: BackendRole,
  now = Date.now(),
): Promise<BackendStatus> {
  try {
    const info = await backend.nsinfo()
    const { state, reason } = stateOf(info, role)
    return {
      label: backend.label,
      state,
      reason,
      entries: info.entries,
      usedBytes: info.dataSizeBytes,
      limitBytes: info.dataLimitsBytes > 0 ? info.dataLimitsBytes : null,
      freeBytes: freeSpace(info),
      checkedAt: now,
    }
  } catch (error) {
    const reason = error instanceof BackendError ? error.message.replace(/^\w+: /, '') : String(error)
    return {
      label: backend.label,
      state: 'unreachable',
      reason,
      entries: null,
      usedBytes: null,
      limitBytes: null,
      freeBytes: null,
      checkedAt: now,
    }
  }
}
