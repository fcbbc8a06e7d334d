/**
 * Reads an object stored by upstream 0-stor (bincode `MetaData`, spec zstor.md §3): whole, as
 * upstream wrote it, with its own checksums, the standard RS code, AES-256-GCM and snappy framing
 * (spec §2). Upstream's record does not hold the object's sizes, so the codec's `decodeObject`
 * (which checks them) is not used; every step checks what it can instead.
 * @module
 */
import {
  createCipher,
  createStandardRs,
  decompress,
  joinAndUnpad,
  type UpstreamMetadata,
} from '@qsfs/zstor-codec'
import { findBackend, locationLabel } from '../backend/locate.js'
import { checksumHolds } from '../checksum.js'
import { allDataConfigs, type ClientContext } from '../context.js'
import { RetrieveError } from '../errors.js'
import type { BadShard } from './fetch-shards.js'
import { upstreamKeyBytes } from './record-locations.js'
import { readShard } from './shard-io.js'

/** The object an upstream record describes, checked against its BLAKE2b-128. */
export async function retrieveUpstream(ctx: ClientContext, meta: UpstreamMetadata): Promise<Uint8Array> {
  return (await readUpstream(ctx, meta)).data
}

/**
 * {@link retrieveUpstream}, and the shards found missing, corrupt or unreachable on the way
 * (each shard is fetched: a rebuild needs to know all that is wrong).
 */
export async function readUpstream(
  ctx: ClientContext,
  meta: UpstreamMetadata,
): Promise<{ data: Uint8Array; bad: BadShard[] }> {
  const k = meta.dataShards
  const n = k + meta.disposableShards
  const { stripe, bad } = await fetchUpstream(ctx, meta)
  const good = stripe.filter((s) => s !== null).length
  if (good < k) {
    throw new RetrieveError(
      'ERR_TOO_FEW_SHARDS',
      `${good} of ${n} shards are usable and ${k} are needed: ${bad.map((b) => `shard ${b.index} on ${b.backend}: ${b.reason}`).join('; ')}`,
    )
  }
  const sizes = new Set(stripe.filter((s) => s !== null).map((s) => s!.length))
  if (sizes.size !== 1)
    throw new RetrieveError('ERR_TOO_FEW_SHARDS', 'the shards of this upstream object have different sizes')
  let data = stripe.slice(0, k)
  if (data.some((s) => s === null))
    data = (await createStandardRs(k, meta.disposableShards).reconstruct(stripe)).slice(0, k)
  const cipher = createCipher({ key: ctx.config.key })
  try {
    const compressed = cipher.decrypt(joinAndUnpad(data as Uint8Array[]))
    const plain = await decompress(compressed, 'snappy')
    if (!checksumHolds(plain, meta.checksum)) {
      throw new RetrieveError(
        'ERR_TOO_FEW_SHARDS',
        'the decoded upstream object does not match its recorded checksum',
      )
    }
    return { data: plain, bad }
  } finally {
    cipher.destroy()
  }
}

/** Every shard of an upstream object, each checked against its checksum; the bad ones, and why. */
export async function fetchUpstream(
  ctx: ClientContext,
  meta: UpstreamMetadata,
): Promise<{ stripe: (Uint8Array | null)[]; bad: BadShard[] }> {
  const n = meta.dataShards + meta.disposableShards
  const configs = allDataConfigs(ctx.config)
  const stripe: (Uint8Array | null)[] = new Array(n).fill(null)
  const bad: BadShard[] = []
  await Promise.all(
    meta.shards.map(async (info) => {
      const address = { kind: 'tcp' as const, host: info.ci.address.ip, port: info.ci.address.port }
      const label = locationLabel(address, info.ci.namespace)
      try {
        const shard = await readShard(
          ctx.pool.get(findBackend(configs, address, info.ci.namespace)),
          info.keys.map(upstreamKeyBytes),
        )
        if (!shard) bad.push({ index: info.shardIdx, backend: label, reason: 'missing on the backend' })
        else if (!checksumHolds(shard, info.checksum))
          bad.push({ index: info.shardIdx, backend: label, reason: 'checksum mismatch' })
        else if (info.shardIdx < n) stripe[info.shardIdx] = shard
      } catch (error) {
        bad.push({ index: info.shardIdx, backend: label, reason: (error as Error).message })
      }
    }),
  )
  return { stripe, bad }
}
