/**
 * Gathers {@link NodeStatus} for `qsfs status` and the status page, and keeps the history the
 * charts draw (a sample every 5 s, one hour).
 * @module
 */
import type { BackendReport, ZstorClient } from '@qsfs/zstor-client'
import type { CheckReport } from '../check.js'
import type { BackendView, NodeStatus, Sample, ShardView } from '../status/types.js'
import type { Offloader } from './offload.js'

export const SAMPLE_INTERVAL = 5_000
const HISTORY = 720
/** The shard view is refreshed this often (and 30 s after start). */
export const SHARD_CHECK_INTERVAL = 10 * 60_000

export interface StatusSourceOptions {
  readonly version: string
  readonly dir: string
  readonly mountpoint: string
  readonly cacheSize: number
  readonly lossWindow: number
  readonly offloader: Offloader
  readonly client: ZstorClient
  readonly mounted: () => boolean
  /** Runs a (shallow) check of the node's stored files, for the shard health view. */
  readonly check?: () => Promise<CheckReport>
}

/** A zstor backend report as the status shows it. */
export function backendView(r: BackendReport): BackendView {
  return {
    role: r.role,
    address: r.address,
    namespace: r.namespace,
    state: r.state,
    reason: r.reason,
    usedBytes: r.usedBytes,
    freeBytes: r.freeBytes,
  }
}

export class StatusSource {
  readonly #o: StatusSourceOptions
  readonly #startedAt = Date.now()
  readonly #history: Sample[] = []
  #last = { t: Date.now(), uploaded: 0, fetched: 0 }
  #timer: NodeJS.Timeout | null = null
  #checkTimer: NodeJS.Timeout | null = null
  #stopped = false
  #backends: { at: number; views: Promise<BackendView[]> } | null = null
  shards: ShardView | null = null

  constructor(options: StatusSourceOptions) {
    this.#o = options
  }

  start(): void {
    this.#timer = setInterval(() => this.sample(), SAMPLE_INTERVAL)
    this.#timer.unref()
    const again = (delay: number) => {
      if (this.#stopped) return
      this.#checkTimer = setTimeout(() => {
        void this.#checkShards().finally(() => again(SHARD_CHECK_INTERVAL))
      }, delay)
      this.#checkTimer.unref()
    }
    again(30_000)
  }

  /** Looks up every file the node stored (metadata only; `qsfs check --deep` reads shards). */
  async #checkShards(): Promise<void> {
    if (!this.#o.check) return
    try {
      const report = await this.#o.check()
      this.shards = {
        checkedAt: Date.now(),
        files: report.counts.healthy + report.counts.degraded + report.counts.lost,
        healthy: report.counts.healthy,
        degraded: report.counts.degraded,
        lost: report.counts.lost,
      }
    } catch {
      // Backends unreachable: keep the last result; the backends table says why.
    }
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer) clearInterval(this.#timer)
    if (this.#checkTimer) clearTimeout(this.#checkTimer)
  }

  sample(): void {
    const { counters } = this.#o.offloader
    const now = Date.now()
    const seconds = Math.max((now - this.#last.t) / 1000, 0.001)
    this.#history.push({
      t: now,
      uploadRate: Math.round((counters.uploadedBytes - this.#last.uploaded) / seconds),
      fetchRate: Math.round((counters.fetchedBytes - this.#last.fetched) / seconds),
      queueDepth: this.#o.offloader.outbox.stats().depth,
      cacheUsedBytes: this.#o.offloader.cacheUse().usedBytes,
    })
    if (this.#history.length > HISTORY) this.#history.shift()
    this.#last = { t: now, uploaded: counters.uploadedBytes, fetched: counters.fetchedBytes }
  }

  /** Probes the backends at most every 2 s however often the page asks. */
  #backendViews(): Promise<BackendView[]> {
    const now = Date.now()
    if (this.#backends && now - this.#backends.at < 2_000) return this.#backends.views
    const views = this.#o.client.status().then((reports) => reports.map(backendView))
    this.#backends = { at: now, views }
    return views
  }

  async status(): Promise<NodeStatus> {
    const off = this.#o.offloader
    const queue = off.outbox.stats()
    const cache = off.cacheUse()
    return {
      version: this.#o.version,
      dir: this.#o.dir,
      mountpoint: this.#o.mountpoint,
      mounted: this.#o.mounted(),
      startedAt: this.#startedAt,
      backends: await this.#backendViews(),
      shards: this.shards,
      queue: {
        depth: queue.depth,
        running: queue.running,
        failing: queue.failing,
        lastError: queue.lastError,
      },
      cache: {
        usedBytes: cache.usedBytes,
        limitBytes: this.#o.cacheSize,
        localSegments: cache.localSegments,
        evictedSegments: off.counters.evicted,
        fetches: off.counters.fetches,
      },
      lastUpload: queue.lastSuccess,
      lossWindowSeconds: off.lossWindowSeconds(),
      lossWindowLimit: this.#o.lossWindow,
      uploadedBytes: off.counters.uploadedBytes,
      fetchedBytes: off.counters.fetchedBytes,
      history: [...this.#history],
    }
  }
}
