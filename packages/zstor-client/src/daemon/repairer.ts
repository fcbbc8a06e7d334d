/**
 * The daemon's repairer: sweeps every stored object on a schedule (`repair_interval`, upstream's
 * 600 s) and at once when a backend has been unreachable for `grace` ms, comes back after being
 * unreachable, or was removed from the config. An object needs repair when a shard is on a backend that is unreachable or no
 * longer configured, or when its metadata misses a shard; such objects are rebuilt
 * (rebuild.ts). Upstream only checks reachability after 15 minutes of failure, scans the first
 * SCAN batch of one meta backend, and rebuilds nothing for removed backends (spec zstor.md §4).
 * @module
 */
import { configuredBackend } from '../backend/locate.js'
import type { ZstorClient } from '../client.js'
import { allDataConfigs } from '../context.js'
import { recordLocations } from '../data/record-locations.js'
import { decodeRecord } from '../meta/file-record.js'

export interface SweepResult {
  readonly objects: number
  readonly repaired: number
  readonly shardsRebuilt: number
  readonly metaShardsRebuilt: number
  readonly failed: number
  readonly reason: string
}

export interface RepairerOptions {
  readonly client: ZstorClient
  /** Seconds between sweeps. */
  readonly interval: number
  /** Milliseconds a backend must stay unreachable before it triggers a sweep. */
  readonly grace?: number
  /** Milliseconds between health probes. */
  readonly probeInterval?: number
  readonly log?: (line: string) => void
  readonly onSweep?: (result: SweepResult) => void
}

/**
 * Deletes what stores killed mid-way left (see `sweepIntents`), and logs it; never throws: an
 * intent that cannot be cleared now is kept for the next sweep.
 */
export async function sweepStoreIntents(client: ZstorClient, log?: (line: string) => void): Promise<void> {
  try {
    const r = await client.sweepIntents()
    if (r.cleared > 0)
      log?.(
        `cleared ${r.cleared} unfinished stores of a previous run (${r.chunksDeleted} orphan chunks deleted)`,
      )
    for (const k of r.kept) log?.(`unfinished store ${k.file} kept for the next sweep: ${k.reason}`)
  } catch (error) {
    log?.(`sweeping unfinished stores failed: ${(error as Error).message}`)
  }
}

export class Repairer {
  readonly #options: RepairerOptions
  #sweepTimer: NodeJS.Timeout | null = null
  #probeTimer: NodeJS.Timeout | null = null
  #running: Promise<SweepResult> | null = null
  #again: string | null = null
  readonly #downSince = new Map<string, number>()
  readonly #triggered = new Set<string>()
  #stopped = false
  lastSweep: SweepResult | null = null

  constructor(options: RepairerOptions) {
    this.#options = options
  }

  start(): void {
    const every = this.#options.interval * 1000
    this.#sweepTimer = setInterval(() => void this.sweep('schedule'), every)
    this.#probeTimer = setInterval(() => void this.#probe(), this.#options.probeInterval ?? 3_000)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#sweepTimer) clearInterval(this.#sweepTimer)
    if (this.#probeTimer) clearInterval(this.#probeTimer)
    await this.#running?.catch(() => undefined)
  }

  async #probe(): Promise<void> {
    const reports = await this.#options.client.status().catch(() => [])
    const now = Date.now()
    for (const r of reports) {
      if (r.state !== 'unreachable') {
        // Back after an outage: it lacks the metadata shards of every record written meanwhile
        // (a write needs all meta backends but one), so repair now rather than at the schedule.
        if (this.#downSince.has(r.label)) {
          this.#options.log?.(`backend ${r.label} is reachable again: repairing what it missed`)
          void this.sweep(`${r.label} back`)
        }
        this.#downSince.delete(r.label)
        this.#triggered.delete(r.label)
        continue
      }
      const since = this.#downSince.get(r.label) ?? now
      this.#downSince.set(r.label, since)
      if (!this.#triggered.has(r.label) && now - since >= (this.#options.grace ?? 30_000)) {
        this.#triggered.add(r.label)
        this.#options.log?.(
          `backend ${r.label} unreachable since ${new Date(since).toISOString()}: repairing`,
        )
        void this.sweep(`${r.label} unreachable`)
      }
    }
  }

  /** Runs a sweep now; if one is running, one more runs after it. */
  sweep(reason: string): Promise<SweepResult> {
    if (this.#running) {
      this.#again = reason
      return this.#running
    }
    this.#running = this.#sweep(reason).finally(() => {
      this.#running = null
      const again = this.#again
      this.#again = null
      if (again && !this.#stopped) void this.sweep(again)
    })
    return this.#running
  }

  async #sweep(reason: string): Promise<SweepResult> {
    const { client } = this.#options
    const ctx = client.context
    await ctx.pool.probe(allDataConfigs(ctx.config), 'data', 0).catch(() => [])
    await sweepStoreIntents(client, this.#options.log)
    const keys = await client.keys()
    let repaired = 0
    let failed = 0
    let shardsRebuilt = 0
    let metaShardsRebuilt = 0
    for (const key of keys) {
      if (this.#stopped) break
      try {
        // rebuildKey repairs the metadata shards itself; only objects it skips need it here.
        if (!(await this.#needsRepair(key))) {
          metaShardsRebuilt += await ctx.meta.repair(key)
          continue
        }
        const result = await client.rebuildKey(key)
        shardsRebuilt += result.shardsRebuilt
        metaShardsRebuilt += result.metaShardsRebuilt
        if (result.shardsRebuilt > 0) repaired++
      } catch (error) {
        failed++
        this.#options.log?.(`repair of ${key} failed: ${(error as Error).message}`)
      }
    }
    const result = { objects: keys.length, repaired, shardsRebuilt, metaShardsRebuilt, failed, reason }
    this.lastSweep = result
    if (repaired || failed || metaShardsRebuilt) {
      this.#options.log?.(
        `repair sweep (${reason}): ${keys.length} objects, ${repaired} repaired, ${shardsRebuilt} shards and ${metaShardsRebuilt} metadata shards rewritten, ${failed} failed`,
      )
    }
    this.#options.onSweep?.(result)
    return result
  }

  /** Whether a shard of `key` is on a backend that is unreachable or not configured. */
  async #needsRepair(key: string): Promise<boolean> {
    const ctx = this.#options.client.context
    const bytes = await ctx.meta.get(key)
    if (!bytes) return false
    const configs = allDataConfigs(ctx.config)
    return recordLocations(decodeRecord(bytes)).some((l) => {
      const config = configuredBackend(configs, l.address, l.namespace)
      return !config || ctx.pool.lastStatus(config.label)?.state === 'unreachable'
    })
  }
}
