/**
 * `check` (spec zstor.md §4): whether a path is stored and its BLAKE2b-128, as upstream; with
 * `deep`, also whether every shard of every object is present with a valid checksum (upstream
 * looks at the metadata only) and whether every meta backend holds its metadata shard.
 * @module
 */
import type { ClientContext } from './context.js'
import { type BadShard, fetchShards } from './data/fetch-shards.js'
import { fetchUpstream } from './data/upstream-object.js'
import { metaKey } from './meta/meta-key.js'
import type { MetaShardProblem } from './meta/meta-store.js'
import { loadRecord } from './store.js'

export interface CheckResult {
  readonly key: string
  readonly found: boolean
  /** BLAKE2b-128 of the stored file, hex (what upstream prints). */
  readonly checksum: string | null
  readonly size: number | null
  readonly objects: number
  /** With `deep`: shards checked, and the bad ones. */
  readonly shards: { readonly total: number; readonly bad: readonly (BadShard & { object: number })[] } | null
  /** With `deep`: metadata shards checked (one per meta backend), and the meta backends without a valid one. */
  readonly metaShards: { readonly total: number; readonly bad: readonly MetaShardProblem[] } | null
  /** Whether the record is written by upstream 0-stor. */
  readonly upstream: boolean
  /** True when found and, with `deep`, nothing is wrong. */
  readonly healthy: boolean
}

export async function checkKey(
  ctx: ClientContext,
  key: string,
  options: { deep?: boolean } = {},
): Promise<CheckResult> {
  const found = await loadRecord(ctx, key)
  if (!found)
    return {
      key,
      found: false,
      checksum: null,
      size: null,
      objects: 0,
      shards: null,
      metaShards: null,
      upstream: false,
      healthy: false,
    }
  const { record } = found
  const metaShards = options.deep
    ? { total: ctx.meta.backends.length, bad: await ctx.meta.inspect(key) }
    : null
  const metaHealthy = !metaShards || metaShards.bad.length === 0
  if (record.kind === 'upstream') {
    const checksum = Buffer.from(record.meta.checksum).toString('hex')
    const fetched = options.deep ? await fetchUpstream(ctx, record.meta) : null
    const shards = fetched
      ? { total: fetched.stripe.length, bad: fetched.bad.map((b) => ({ ...b, object: 0 })) }
      : null
    return {
      key,
      found: true,
      checksum,
      size: null,
      objects: 1,
      shards,
      metaShards,
      upstream: true,
      healthy: metaHealthy && (!shards || shards.bad.length === 0),
    }
  }
  let shards: CheckResult['shards'] = null
  if (options.deep) {
    const bad: (BadShard & { object: number })[] = []
    let total = 0
    for (let object = 0; object < record.objects.length; object++) {
      const meta = record.objects[object]!
      total += meta.k + meta.m
      const fetched = await fetchShards(ctx, meta, { all: true })
      for (const b of fetched.bad) bad.push({ ...b, object })
    }
    shards = { total, bad }
  }
  return {
    key,
    found: true,
    checksum: Buffer.from(record.checksum).toString('hex'),
    size: record.size,
    objects: record.objects.length,
    shards,
    metaShards,
    upstream: false,
    healthy: metaHealthy && (!shards || shards.bad.length === 0),
  }
}

export function checkPath(
  ctx: ClientContext,
  path: string,
  options: { deep?: boolean } = {},
): Promise<CheckResult> {
  return checkKey(ctx, metaKey(ctx.config.meta.prefix, path, ctx.config.root), options)
}
