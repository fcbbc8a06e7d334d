/**
 * `rebuild` / repair (spec zstor.md §4): every shard of a stored file that is missing, corrupt,
 * on an unreachable backend or on a backend no longer in the config is re-created from `k` good
 * ones and written to a healthy backend that keeps the placement valid; the record is then saved
 * with the new locations, and the metadata's own missing shards are rewritten.
 *
 * Unlike upstream, the rebuilt shards are checked against the checksums recorded at store time
 * (they are byte-identical: same ciphertext, same code), and the record keeps the object's own
 * k and m (upstream re-encodes with the config's k/m but records the old ones).
 * @module
 */
import { coderFor, type Metadata, type ShardLocation } from '@qsfs/zstor-codec'
import { configuredBackend, findBackend, locationLabel } from './backend/locate.js'
import { checksumHolds } from './checksum.js'
import type { BackendConfig } from './config/index.js'
import { allDataConfigs, type ClientContext } from './context.js'
import { type BadShard, fetchShards } from './data/fetch-shards.js'
import { writeShard } from './data/shard-io.js'
import { readUpstream } from './data/upstream-object.js'
import { pickReplacement, usableBackends } from './data/write-object.js'
import { RetrieveError } from './errors.js'
import { encodeFileRecord, type FileRecord, type UpstreamRecord } from './meta/file-record.js'
import { metaKey, relativeToRoot } from './meta/meta-key.js'
import { deleteShards, loadRecord, restoreUnder } from './store.js'

export interface RebuildResult {
  readonly key: string
  /** Shards re-created and written elsewhere. */
  readonly shardsRebuilt: number
  /** Metadata shards rewritten. */
  readonly metaShardsRebuilt: number
  /** What was wrong, shard by shard. */
  readonly problems: readonly (BadShard & { object: number })[]
}

/** Rebuilds one object; returns its new metadata, or the same object when nothing was wrong. */
async function rebuildObject(
  ctx: ClientContext,
  meta: Metadata,
  object: number,
  problems: (BadShard & { object: number })[],
  stale: { backend: BackendConfig; keys: readonly Uint8Array[] }[],
): Promise<{ meta: Metadata; rebuilt: number }> {
  const configs = allDataConfigs(ctx.config)
  const { shards, bad } = await fetchShards(ctx, meta, { all: true })
  const inConfig = (l: ShardLocation) => configuredBackend(configs, l.address, l.namespace) !== undefined
  const redo = new Set(bad.map((b) => b.index))
  for (const b of bad) problems.push({ ...b, object })
  meta.locations.forEach((l, i) => {
    if (!redo.has(i) && !inConfig(l)) {
      redo.add(i)
      problems.push({
        index: i,
        backend: locationLabel(l.address, l.namespace),
        reason: 'backend is no longer in the config',
        object,
      })
    }
  })
  if (redo.size === 0) return { meta, rebuilt: 0 }
  const good = shards.filter((s) => s !== null).length
  if (good < meta.k) {
    throw new RetrieveError(
      'ERR_TOO_FEW_SHARDS',
      `object ${object}: only ${good} good shards and ${meta.k} are needed to rebuild: ${bad.map((b) => `shard ${b.index} on ${b.backend}: ${b.reason}`).join('; ')}`,
    )
  }
  const stripe = shards.map((s, i) => (redo.has(i) ? null : s))
  const full = await coderFor(meta.erasureCode, meta.k, meta.m).reconstruct(stripe)
  const { candidates } = await usableBackends(ctx, meta.shardSize)
  const groupOf = new Map(candidates.map((c) => [c.backend.label, c.group]))
  const chosen: (BackendConfig | null)[] = meta.locations.map((l, i) =>
    redo.has(i) ? null : findBackend(configs, l.address, l.namespace),
  )
  const failed = new Map<string, string>()
  const locations = [...meta.locations]
  const rules = {
    k: meta.k,
    n: meta.k + meta.m,
    redundantGroups: ctx.config.redundantGroups,
    redundantNodes: ctx.config.redundantNodes,
  }
  let rebuilt = 0
  for (const i of [...redo].sort((a, b) => a - b)) {
    const shard = full[i]!
    if (!checksumHolds(shard, meta.shardChecksums[i]!)) {
      throw new RetrieveError(
        'ERR_TOO_FEW_SHARDS',
        `object ${object}: rebuilt shard ${i} does not match its recorded checksum`,
      )
    }
    for (;;) {
      const target = pickReplacement(candidates, chosen, failed, groupOf, rules)
      if (!target) {
        throw new RetrieveError(
          'ERR_TOO_FEW_SHARDS',
          `object ${object}: no healthy backend left for shard ${i} that keeps the redundancy rules${failed.size ? ` (${[...failed].map(([l, r]) => `${l}: ${r}`).join('; ')})` : ''}`,
        )
      }
      try {
        const keys = await writeShard(ctx.pool.get(target), shard, meta.chunkSize)
        const old = meta.locations[i]!
        stale.push({ backend: findBackend(configs, old.address, old.namespace), keys: old.keys })
        locations[i] = { address: target.address, namespace: target.namespace, keys }
        chosen[i] = target
        rebuilt++
        break
      } catch (error) {
        failed.set(target.label, (error as Error).message)
        ctx.pool.markFailed(target.label, (error as Error).message)
      }
    }
  }
  return { meta: { ...meta, locations }, rebuilt }
}

/**
 * An object stored by upstream 0-stor with shards missing or bad: read from `k` good shards and
 * stored again as this client's record, with every shard new (upstream's record has no sizes,
 * chunk size or stripe this client could re-create single shards into); the old shards are
 * deleted once the new record is saved. Untouched when every shard is good, so upstream can
 * still read it.
 */
async function rebuildUpstream(
  ctx: ClientContext,
  key: string,
  found: NonNullable<Awaited<ReturnType<typeof loadRecord>>> & { record: UpstreamRecord },
  metaShardsRebuilt: number,
  path: string,
): Promise<RebuildResult> {
  const { data, bad } = await readUpstream(ctx, found.record.meta)
  const problems = bad.map((b) => ({ ...b, object: 0 }))
  if (bad.length === 0) return { key, shardsRebuilt: 0, metaShardsRebuilt, problems }
  await restoreUnder(ctx, data, key, found, path)
  return { key, shardsRebuilt: ctx.config.expectedShards, metaShardsRebuilt, problems }
}

/** Rebuilds the file stored under metadata key `key` (recorded under `path` if it must be stored again). */
export async function rebuildKey(ctx: ClientContext, key: string, path = ''): Promise<RebuildResult> {
  const metaShardsRebuilt = await ctx.meta.repair(key).catch(() => 0)
  const found = await loadRecord(ctx, key)
  if (!found) throw new RetrieveError('ERR_NOT_FOUND', `no metadata under ${key}`)
  if (found.record.kind !== 'qsfs') {
    return rebuildUpstream(ctx, key, { ...found, record: found.record }, metaShardsRebuilt, path)
  }
  const record = found.record
  const problems: (BadShard & { object: number })[] = []
  const stale: { backend: BackendConfig; keys: readonly Uint8Array[] }[] = []
  const objects: Metadata[] = []
  let shardsRebuilt = 0
  for (let i = 0; i < record.objects.length; i++) {
    const { meta, rebuilt } = await rebuildObject(ctx, record.objects[i]!, i, problems, stale)
    objects.push(meta)
    shardsRebuilt += rebuilt
  }
  if (shardsRebuilt > 0) {
    const updated: FileRecord = { ...record, objects }
    await ctx.meta.put(key, encodeFileRecord(updated))
    // Old copies go only once the new record is saved; unreachable ones stay orphaned.
    await deleteShards(ctx, stale)
  }
  ctx.counters.shardsRepaired += shardsRebuilt
  ctx.counters.metaShardsRepaired += metaShardsRebuilt
  return { key, shardsRebuilt, metaShardsRebuilt, problems }
}

/** Rebuilds the file stored under `path`. */
export function rebuildPath(ctx: ClientContext, path: string): Promise<RebuildResult> {
  return rebuildKey(
    ctx,
    metaKey(ctx.config.meta.prefix, path, ctx.config.root),
    relativeToRoot(path, ctx.config.root),
  )
}
