/**
 * Fetches the shards of one object: the `k` data shards first (no decoding work when they are
 * all good), one more shard for each that fails, is missing or fails its checksum, and, when a
 * backend is slow, parity shards in parallel with it (hedging). It stops as soon as `k` shards
 * hold their checksums, and reports every shard it found bad, for repair.
 * @module
 */
import type { Metadata } from '@qsfs/zstor-codec'
import { findBackend, locationLabel } from '../backend/locate.js'
import { checksumHolds } from '../checksum.js'
import { allDataConfigs, type ClientContext } from '../context.js'
import { readShard } from './shard-io.js'

/** Milliseconds a shard may take before a parity shard is fetched alongside it. */
export const DEFAULT_HEDGE_DELAY = 1_000

/** A shard that could not be used, and why. */
export interface BadShard {
  readonly index: number
  readonly backend: string
  readonly reason: string
}

export interface FetchedShards {
  /** All `k + m` slots; `null` for shards not fetched or bad. */
  readonly shards: (Uint8Array | null)[]
  readonly bad: BadShard[]
}

/** Fetches and checks shard `i`; resolves to the shard or a reason it is bad. Never rejects. */
async function fetchOne(
  ctx: ClientContext,
  meta: Metadata,
  i: number,
  buffer: (size: number) => Uint8Array,
): Promise<Uint8Array | string> {
  const location = meta.locations[i]!
  const config = findBackend([...allDataConfigs(ctx.config)], location.address, location.namespace)
  try {
    const shard = await readShard(ctx.pool.get(config), location.keys, buffer(meta.shardSize))
    if (!shard) return 'missing on the backend'
    if (shard.length !== meta.shardSize) return `${shard.length} bytes, ${meta.shardSize} expected`
    if (!checksumHolds(shard, meta.shardChecksums[i]!)) return 'checksum mismatch'
    return shard
  } catch (error) {
    ctx.pool.markFailed(config.label, (error as Error).message)
    return (error as Error).message
  }
}

/**
 * `k` good shards of `meta`'s object if they can be had, fetched as described above. With
 * `all`, every shard is fetched and checked (what `check --deep` and repair need).
 */
export function fetchShards(
  ctx: ClientContext,
  meta: Metadata,
  options: {
    all?: boolean
    hedgeDelay?: number
    /** Where each shard is read (default: new memory), e.g. the codec pool's spare buffers. */
    buffer?: (size: number) => Uint8Array
  } = {},
): Promise<FetchedShards> {
  const buffer = options.buffer ?? ((size: number) => Buffer.allocUnsafe(size))
  const n = meta.k + meta.m
  const shards: (Uint8Array | null)[] = new Array(n).fill(null)
  const bad: BadShard[] = []
  const hedgeDelay = options.hedgeDelay ?? DEFAULT_HEDGE_DELAY
  return new Promise((resolve) => {
    let next = 0
    let good = 0
    let pending = 0
    let done = false
    const timers = new Set<NodeJS.Timeout>()
    const finish = () => {
      if (done) return
      done = true
      for (const t of timers) clearTimeout(t)
      resolve({ shards, bad })
    }
    const launch = () => {
      if (done || next >= n) return
      const i = next++
      pending++
      // A slow shard starts a parity fetch beside it; whichever k arrive first win.
      const timer = setTimeout(() => {
        timers.delete(timer)
        launch()
      }, hedgeDelay)
      timers.add(timer)
      void fetchOne(ctx, meta, i, buffer).then((result) => {
        pending--
        clearTimeout(timer)
        timers.delete(timer)
        if (typeof result === 'string') {
          bad.push({
            index: i,
            backend: locationLabel(meta.locations[i]!.address, meta.locations[i]!.namespace),
            reason: result,
          })
          launch()
        } else if (!done) {
          shards[i] = result
          good++
        }
        if (!options.all && good >= meta.k) finish()
        else if (pending === 0 && next >= n) finish()
      })
    }
    const first = options.all ? n : meta.k
    for (let i = 0; i < first; i++) launch()
  })
}
