/**
 * `store` (spec zstor.md §4): a file cut into objects (bounded memory), each object encoded by
 * the codec and its shards written by placement, then the file record written to the metadata
 * store. On any failure, every shard this store wrote is deleted (upstream orphans them), and an
 * overwritten record is put back.
 * @module
 */
import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import {
  createBlake2b128,
  DEFAULT_CHUNK_SIZE,
  encodeStream,
  loadWasmChecksum,
  type Metadata,
  type StreamSource,
} from '@qsfs/zstor-codec'
import { findBackend } from './backend/locate.js'
import { allDataConfigs, type ClientContext, codecPool, POOL_THRESHOLD } from './context.js'
import { deleteShard } from './data/shard-io.js'
import { type WrittenShard, writeObject } from './data/write-object.js'
import { StoreError, ZstorError } from './errors.js'
import { decodeRecord, encodeFileRecord, type FileRecord, type StoredRecord } from './meta/file-record.js'
import { metaKey, relativeToRoot } from './meta/meta-key.js'

export interface StoreResult {
  /** The metadata key. */
  readonly key: string
  /** The path as stored (cleaned, relative to root). */
  readonly path: string
  readonly size: number
  readonly checksum: Uint8Array
  /** True when the stored copy already had this content, so nothing was written. */
  readonly skipped: boolean
  /** Meta backends that missed the record's shard (repaired later). */
  readonly metaMissing: readonly string[]
}

export interface StoreStreamOptions {
  /** The path the object is stored under (its metadata key is derived from it). */
  readonly path: string
  /** The stream's length if known, for progress. */
  readonly size?: number
}

/**
 * Input bytes per object unless the config says: `k × (2 MiB − 4 KiB)`, so that each shard of
 * even incompressible data (snappy framing adds 8 bytes per 64 KiB, GCM 28) fits one 2 MiB zdb
 * entry: one SET per shard on store, one GET and no concatenation on retrieve.
 */
export function defaultObjectSize(k: number): number {
  return k * (DEFAULT_CHUNK_SIZE - 4096)
}

/** The record stored under `key`, or `null`. */
export async function loadRecord(
  ctx: ClientContext,
  key: string,
): Promise<{ record: StoredRecord; bytes: Uint8Array } | null> {
  const bytes = await ctx.meta.get(key)
  return bytes ? { record: decodeRecord(bytes), bytes } : null
}

/** Best-effort deletion of the shards of objects; what cannot be reached is left. */
export async function deleteObjects(ctx: ClientContext, objects: readonly Metadata[]): Promise<void> {
  const configs = allDataConfigs(ctx.config)
  await Promise.all(
    objects.flatMap((o) =>
      o.locations.map((l) =>
        deleteShard(ctx.pool.get(findBackend(configs, l.address, l.namespace)), l.keys).catch(
          () => undefined,
        ),
      ),
    ),
  )
}

async function deleteWritten(ctx: ClientContext, written: readonly WrittenShard[]): Promise<void> {
  await Promise.all(written.map((w) => deleteShard(ctx.pool.get(w.backend), w.keys).catch(() => undefined)))
}

/** `source` as it passes to the encoder, hashed and counted on the way (`for await` takes sync iterables too). */
async function* tap(
  source: StreamSource,
  hash: ReturnType<typeof createBlake2b128>,
  count: { bytes: number },
) {
  for await (const chunk of source instanceof Uint8Array ? [source] : source) {
    hash.update(chunk)
    count.bytes += chunk.length
    yield chunk
  }
}

/** The record a store replaces, if any. An unreadable one must not block the store: it is replaced. */
function loadPrevious(ctx: ClientContext, key: string): ReturnType<typeof loadRecord> {
  return loadRecord(ctx, key).catch((error) => {
    if (error instanceof ZstorError && error.code === 'ERR_META_CORRUPT') return null
    throw error
  })
}

/** Stores the bytes of `source` under `options.path`, replacing what was stored there. */
export async function storeStream(
  ctx: ClientContext,
  source: StreamSource,
  options: StoreStreamOptions,
): Promise<StoreResult> {
  const key = metaKey(ctx.config.meta.prefix, options.path, ctx.config.root)
  return storeReplacing(ctx, source, options, key, await loadPrevious(ctx, key))
}

async function storeReplacing(
  ctx: ClientContext,
  source: StreamSource,
  options: StoreStreamOptions,
  key: string,
  previous: Awaited<ReturnType<typeof loadRecord>>,
): Promise<StoreResult> {
  const { config } = ctx
  const path = relativeToRoot(options.path, config.root)
  await loadWasmChecksum().catch(() => undefined)
  const hash = createBlake2b128()
  const count = { bytes: 0 }
  const objectSize = config.objectSize ?? defaultObjectSize(config.minimalShards)
  const written: WrittenShard[] = []
  const objects: Metadata[] = []
  try {
    const encoded = encodeStream(tap(source, hash, count), {
      k: config.minimalShards,
      m: config.expectedShards - config.minimalShards,
      compression: config.compression,
      key: config.key,
      objectSize,
      concurrency: 2,
      // Unknown or large sizes encode on worker threads, leaving this thread to the I/O.
      ...(options.size === undefined || options.size >= POOL_THRESHOLD ? { pool: codecPool(ctx) } : {}),
    })
    for await (const object of encoded) {
      const locations = await writeObject(ctx, object.shards, written)
      objects.push({ ...object.meta, chunkSize: DEFAULT_CHUNK_SIZE, locations })
      ctx.counters.bytesStored += object.meta.size
      ctx.counters.objectsStored++
      ctx.onProgress?.(object.offset + object.meta.size, options.size ?? null)
    }
  } catch (error) {
    await deleteWritten(ctx, written)
    if (error instanceof ZstorError) throw error
    throw new StoreError(
      'ERR_STORE_FAILED',
      `storing ${options.path} failed: ${(error as Error).message}; nothing was kept`,
      { cause: error },
    )
  }
  const record: FileRecord = {
    kind: 'qsfs',
    path,
    size: count.bytes,
    checksum: hash.digest(),
    objectSize,
    storedAt: Date.now(),
    objects,
  }
  let metaMissing: string[]
  try {
    const result = await ctx.meta.put(key, encodeFileRecord(record))
    metaMissing = [...result.missing.keys()]
  } catch (error) {
    await deleteWritten(ctx, written)
    // The failed write may have replaced the old record on some backends: put it back whole.
    if (previous) await ctx.meta.put(key, previous.bytes).catch(() => undefined)
    throw new StoreError(
      'ERR_STORE_FAILED',
      `the metadata of ${options.path} could not be saved (${(error as Error).message}); its shards were deleted`,
      { cause: error },
    )
  }
  if (previous?.record.kind === 'qsfs') await deleteObjects(ctx, previous.record.objects)
  return { key, path, size: record.size, checksum: record.checksum, skipped: false, metaMissing }
}

/**
 * The path a file is stored under (spec zstor.md §3 "Store key path"): `keyPath/filename` when a
 * key path is given, else the file's own path, made absolute with symlinks of existing
 * directories resolved. Upstream creates and removes a temporary file to canonicalize a path
 * that does not exist; resolving the directory alone gives the same result without writing.
 */
export async function storeKeyPath(file: string, keyPath?: string): Promise<string> {
  const dir = resolve(keyPath ?? dirname(file))
  const real = await realpath(dir).catch(() => dir)
  return join(real, basename(file))
}

/** Stores the file at `file` (spec zstor.md §4 `store`); skipped when the stored copy is identical. */
export async function storeFile(
  ctx: ClientContext,
  file: string,
  options: { keyPath?: string } = {},
): Promise<StoreResult> {
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new StoreError('ERR_STORE_PATH', `cannot read ${file}: ${error.code ?? error.message}`)
  })
  if (!info.isFile()) throw new StoreError('ERR_STORE_PATH', `${file} is not a regular file`)
  const keyFile = await storeKeyPath(file, options.keyPath)
  try {
    relativeToRoot(keyFile, ctx.config.root)
  } catch (error) {
    throw new StoreError('ERR_STORE_PATH', (error as Error).message)
  }
  const key = metaKey(ctx.config.meta.prefix, keyFile, ctx.config.root)
  const existing = await loadPrevious(ctx, key)
  if (existing?.record.kind === 'qsfs' && existing.record.size === info.size) {
    const checksum = await hashFile(file)
    if (Buffer.compare(checksum, existing.record.checksum) === 0) {
      return { key, path: existing.record.path, size: info.size, checksum, skipped: true, metaMissing: [] }
    }
  }
  const source = createReadStream(file, { highWaterMark: 1 << 20 })
  // The record read for the comparison is the one the store replaces: no second read.
  return storeReplacing(ctx, source, { path: keyFile, size: info.size }, key, existing)
}

/** BLAKE2b-128 of a file's bytes, read as a stream. */
export async function hashFile(file: string): Promise<Uint8Array> {
  await loadWasmChecksum().catch(() => undefined)
  const hash = createBlake2b128()
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer)
  return hash.digest()
}
