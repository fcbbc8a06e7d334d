/**
 * What a running node reports about itself: the JSON of `qsfs status --json`, of the status
 * page's `/api/status`, and what the page draws.
 * @module
 */

export type BackendHealth = 'healthy' | 'degraded' | 'low-space' | 'unreachable'

export interface BackendView {
  readonly role: 'meta' | 'data'
  /** `host:port`, `[v6]:port` or `unix:/path`. */
  readonly address: string
  readonly namespace: string
  readonly state: BackendHealth
  /** Why it is not healthy, when it is not. */
  readonly reason: string | null
  readonly usedBytes: number | null
  readonly freeBytes: number | null
}

export interface QueueView {
  /** Uploads waiting or running. */
  readonly depth: number
  readonly running: number
  /** Uploads that failed at least once and wait for a retry. */
  readonly failing: number
  readonly lastError: string | null
}

export interface CacheView {
  /** Bytes of data segments on the local disk. */
  readonly usedBytes: number
  /** Eviction starts above this. */
  readonly limitBytes: number
  /** Data segments on the local disk / uploaded and evicted. */
  readonly localSegments: number
  readonly evictedSegments: number
  /** Segments fetched back on a read miss since start. */
  readonly fetches: number
}

/** Result of the last `check` run by the node (null before the first). */
export interface ShardView {
  readonly checkedAt: number
  readonly files: number
  readonly healthy: number
  /** Files with a missing or bad shard that can still be read (repair restores them). */
  readonly degraded: number
  /** Files that cannot be read back. */
  readonly lost: number
}

/** One sample of the history the charts draw, taken every few seconds. */
export interface Sample {
  /** Unix ms. */
  readonly t: number
  /** Bytes uploaded / fetched per second since the previous sample. */
  readonly uploadRate: number
  readonly fetchRate: number
  readonly queueDepth: number
  readonly cacheUsedBytes: number
}

export interface NodeStatus {
  readonly version: string
  readonly dir: string
  readonly mountpoint: string
  readonly mounted: boolean
  /** Unix ms. */
  readonly startedAt: number
  readonly backends: readonly BackendView[]
  readonly shards: ShardView | null
  readonly queue: QueueView
  readonly cache: CacheView
  /** Unix ms of the last upload that succeeded, null if none yet. */
  readonly lastUpload: number | null
  /**
   * Seconds of writes that would be lost with the node now: how long ago the oldest write not
   * yet uploaded was made; 0 when everything written is uploaded.
   */
  readonly lossWindowSeconds: number
  /** The configured bound on that window (`loss_window`). */
  readonly lossWindowLimit: number
  readonly uploadedBytes: number
  readonly fetchedBytes: number
  /** Oldest first; at most an hour. */
  readonly history: readonly Sample[]
}
