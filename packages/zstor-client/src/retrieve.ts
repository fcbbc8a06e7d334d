/**
 * `retrieve` (spec zstor.md §4): the objects of a stored file fetched (parallel, first `k` good
 * shards, hedged), verified and decoded in order, streamed to the output with bounded memory.
 * Written to a temporary file beside the target and renamed into place when whole, so a failed
 * retrieve never leaves a truncated file where the real one belongs.
 * @module
 */
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { dirname, isAbsolute, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { type CodecPool, decodeStream, type Metadata } from '@qsfs/zstor-codec'
import { type ClientContext, codecPool, POOL_THRESHOLD } from './context.js'
import { type BadShard, fetchShards } from './data/fetch-shards.js'
import { retrieveUpstream } from './data/upstream-object.js'
import { RetrieveError } from './errors.js'
import { metaKey } from './meta/meta-key.js'
import { loadRecord } from './store.js'

/** Called for each bad shard a retrieve met, so the caller can schedule a repair. */
export type BadShardListener = (object: number, bad: BadShard) => void

/** Objects fetched ahead of the one being handed to the decoder. */
const READ_AHEAD = 1

async function* fetchObjects(
  ctx: ClientContext,
  objects: readonly Metadata[],
  onBad: BadShardListener | undefined,
  pool: CodecPool | undefined,
) {
  // Shards are read into memory the codec's workers handed back (no page faults), and moved to
  // them without a copy.
  const buffer = pool?.buffer ? pool.buffer.bind(pool) : undefined
  const fetch = (meta: Metadata) => fetchShards(ctx, meta, buffer ? { buffer } : {})
  // The next objects' shards are on their way while this one is decoded: the decoder never
  // waits for a whole object's round trips. fetchShards never rejects.
  const fetches = objects.slice(0, READ_AHEAD + 1).map(fetch)
  for (let index = 0; index < objects.length; index++) {
    const meta = objects[index]!
    const { shards, bad } = await fetches.shift()!
    const ahead = index + READ_AHEAD + 1
    if (ahead < objects.length) fetches.push(fetch(objects[ahead]!))
    for (const b of bad) onBad?.(index, b)
    const good = shards.filter((s) => s !== null).length
    if (good < meta.k) {
      throw new RetrieveError(
        'ERR_TOO_FEW_SHARDS',
        `object ${index}: ${good} of ${meta.k + meta.m} shards are usable and ${meta.k} are needed (${bad.map((b) => `shard ${b.index} on ${b.backend}: ${b.reason}`).join('; ')}); bring backends back, then retrieve again`,
      )
    }
    yield { index, last: index === objects.length - 1, shards, meta }
  }
}

/** The bytes stored under `path`, as a stream of chunks. Throws `ERR_NOT_FOUND` when nothing is stored there. */
export async function retrieveStream(
  ctx: ClientContext,
  path: string,
  options: { onBad?: BadShardListener } = {},
): Promise<{ size: number | null; chunks: AsyncIterable<Uint8Array> }> {
  const key = metaKey(ctx.config.meta.prefix, path, ctx.config.root)
  const found = await loadRecord(ctx, key)
  if (!found)
    throw new RetrieveError(
      'ERR_NOT_FOUND',
      `no metadata for ${path}: it was never stored, or stored under another path`,
    )
  const { record } = found
  if (record.kind === 'upstream') {
    const data = await retrieveUpstream(ctx, record.meta)
    return {
      size: data.length,
      chunks: (async function* () {
        yield data
      })(),
    }
  }
  const pool = record.size >= POOL_THRESHOLD ? codecPool(ctx) : undefined
  const chunks = decodeStream(fetchObjects(ctx, record.objects, options.onBad, pool), {
    key: ctx.config.key,
    concurrency: 2,
    // fetchShards checked every shard against its checksum already.
    shardsVerified: true,
    // The fetched shards are used for nothing else: move them to the worker, do not copy them.
    ...(pool ? { pool, transferShards: true } : {}),
  })
  const counted = (async function* () {
    let done = 0
    for await (const chunk of chunks) {
      done += chunk.length
      ctx.counters.bytesRetrieved += chunk.length
      ctx.onProgress?.(done, record.size)
      yield chunk
    }
  })()
  return { size: record.size, chunks: counted }
}

/** Where upstream writes a retrieved file: `root.join(path)` (spec §4), i.e. an absolute path as is. */
export function outputPath(ctx: ClientContext, path: string): string {
  return isAbsolute(path) ? path : join(ctx.config.root ?? process.cwd(), path)
}

/** Retrieves `path` into `output` (default {@link outputPath}), creating parent directories. */
export async function retrieveFile(
  ctx: ClientContext,
  path: string,
  options: { output?: string; onBad?: BadShardListener } = {},
): Promise<{ output: string; size: number }> {
  const output = options.output ?? outputPath(ctx, path)
  const { chunks } = await retrieveStream(ctx, path, options.onBad ? { onBad: options.onBad } : {})
  await mkdir(dirname(output), { recursive: true }).catch((error: Error) => {
    throw new RetrieveError('ERR_RETRIEVE_OUTPUT', `cannot create ${dirname(output)}: ${error.message}`)
  })
  const temp = `${output}.zstor-${process.pid}-${Date.now()}.part`
  let size = 0
  try {
    await pipeline(
      (async function* () {
        for await (const chunk of chunks) {
          size += chunk.length
          yield chunk
        }
      })(),
      createWriteStream(temp),
    )
    await rename(temp, output)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
  return { output, size }
}
