/**
 * Writes the shards of one object to distinct backends chosen by placement, in parallel. A
 * backend that fails mid-write is left out and its shard goes to another backend that keeps
 * the placement valid; when none is left, the error names every backend that failed and why.
 * @module
 */
import { DEFAULT_CHUNK_SIZE, type ShardLocation } from '@qsfs/zstor-codec'
import type { BackendConfig } from '../config/index.js'
import { type ClientContext, dataBackends } from '../context.js'
import { StoreError } from '../errors.js'
import { type Candidate, placeOrThrow, worstCaseSurvivors } from '../placement.js'
import { deleteShard, writeShard } from './shard-io.js'
import type { StoreIntent } from './store-intents.js'

/** A shard written, so that a failed store can delete what it wrote. */
export interface WrittenShard {
  readonly backend: BackendConfig
  readonly keys: readonly Buffer[]
}

/** What a store has written so far, for {@link writeObject} to add to. */
export interface StoreProgress {
  /** Every chunk written, kept by the store if it succeeds. */
  readonly written: WrittenShard[]
  /**
   * Chunks of shard writes that failed part way and could not be deleted then (their backend
   * failed): unreferenced whether or not the store succeeds.
   */
  readonly strays: WrittenShard[]
  readonly intent?: StoreIntent
}

/** Backends that may take a shard of `shardSize` bytes now, and why the others may not. */
export async function usableBackends(
  ctx: ClientContext,
  shardSize: number,
  exclude: ReadonlySet<string> = new Set(),
): Promise<{ candidates: Candidate<BackendConfig>[]; excluded: Map<string, string> }> {
  const all = dataBackends(ctx.config)
  const statuses = await ctx.pool.probe(
    all.map((b) => b.backend),
    'data',
  )
  const excluded = new Map<string, string>()
  const candidates: Candidate<BackendConfig>[] = []
  all.forEach(({ backend, group }, i) => {
    const status = statuses[i]!
    if (exclude.has(backend.label)) excluded.set(backend.label, 'failed during this store')
    else if (status.state !== 'healthy') excluded.set(backend.label, `${status.state}: ${status.reason}`)
    else if ((status.freeBytes ?? 0) < shardSize)
      excluded.set(backend.label, `${status.freeBytes} bytes free, a shard needs ${shardSize}`)
    else candidates.push({ backend, group })
  })
  return { candidates, excluded }
}

/**
 * Stores `shards` and returns where each went. Every chunk written is noted in the progress's
 * `intent` as soon as it is stored and added to `written`, so that a failed store can delete
 * it; the chunks of a shard write that fails part way are deleted at once, or added to
 * `strays` when that fails too.
 */
export async function writeObject(
  ctx: ClientContext,
  shards: readonly Uint8Array[],
  progress: StoreProgress,
): Promise<ShardLocation[]> {
  const { intent } = progress
  const { minimalShards: k, expectedShards: n, redundantGroups, redundantNodes } = ctx.config
  const rules = { k, n, redundantGroups, redundantNodes }
  const shardSize = shards[0]!.length
  const failed = new Map<string, string>()
  const { candidates, excluded } = await usableBackends(ctx, shardSize)
  const chosen: (BackendConfig | null)[] = placeOrThrow(candidates, rules, excluded, ctx.random)
  const groupOf = new Map(candidates.map((c) => [c.backend.label, c.group]))
  const locations: (ShardLocation | null)[] = shards.map(() => null)

  const attempt = async (i: number, backend: BackendConfig): Promise<void> => {
    const stored: Buffer[] = []
    try {
      const keys = await writeShard(ctx.pool.get(backend), shards[i]!, DEFAULT_CHUNK_SIZE, (key) => {
        stored.push(key)
        intent?.written(backend, [key])
      })
      locations[i] = { address: backend.address, namespace: backend.namespace, keys }
      progress.written.push({ backend, keys })
    } catch (error) {
      const reason = (error as Error).message
      failed.set(backend.label, reason)
      ctx.pool.markFailed(backend.label, reason)
      chosen[i] = null
      if (stored.length > 0) {
        const connection = ctx.pool.get(backend)
        await deleteShard(connection, stored).catch(() => progress.strays.push({ backend, keys: stored }))
      }
    }
  }

  await Promise.all(chosen.map((backend, i) => attempt(i, backend!)))
  while (locations.some((l) => l === null)) {
    const i = locations.indexOf(null)
    const replacement = pickReplacement(candidates, chosen, failed, groupOf, rules)
    if (!replacement) {
      const why = [...failed, ...excluded].map(([label, reason]) => `${label}: ${reason}`).join('; ')
      throw new StoreError(
        'ERR_STORE_FAILED',
        `shard ${i} could not be placed on any backend that keeps the redundancy rules (${why}); bring the failed backends back or add backends, then store again`,
      )
    }
    chosen[i] = replacement
    await attempt(i, replacement)
  }
  return locations as ShardLocation[]
}

/** An unused, unfailed backend whose group keeps the worst case at `k` shards or more. */
export function pickReplacement(
  candidates: readonly Candidate<BackendConfig>[],
  chosen: readonly (BackendConfig | null)[],
  failed: ReadonlyMap<string, string>,
  groupOf: ReadonlyMap<string, number>,
  rules: { k: number; n: number; redundantGroups: number; redundantNodes: number },
): BackendConfig | null {
  const used = new Set(chosen.filter((b) => b !== null).map((b) => b!.label))
  const perGroup = new Map<number, number>()
  for (const b of chosen)
    if (b) perGroup.set(groupOf.get(b.label)!, (perGroup.get(groupOf.get(b.label)!) ?? 0) + 1)
  const options = candidates.filter((c) => !used.has(c.backend.label) && !failed.has(c.backend.label))
  // Prefer the group with the fewest shards so far: it keeps the spread even.
  options.sort((a, b) => (perGroup.get(a.group) ?? 0) - (perGroup.get(b.group) ?? 0))
  for (const option of options) {
    const counts = new Map(perGroup)
    counts.set(option.group, (counts.get(option.group) ?? 0) + 1)
    if (worstCaseSurvivors([...counts.values()], rules) >= rules.k) return option.backend
  }
  return null
}
