/**
 * `store` (spec zstor.md §4): a file cut into objects (bounded memory), each object encoded by
 * the codec and its shards written by placement, then the file record written to the metadata
 * store. On any failure, every shard this store wrote is deleted (upstream orphans them), and an
 * overwritten record is put back.
 * @module
 */
import { createReadStream } from 'node:fs'
import { open, realpath, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import {
  type CodecPool,
  createBlake2b128,
  DEFAULT_CHUNK_SIZE,
  encodeStream,
  loadWasmChecksum,
  type Metadata,
  type ShardLocation,
  type StreamSource,
} from '@qsfs/zstor-codec'
import { findBackend } from './backend/locate.js'
import type { BackendConfig } from './config/index.js'
import { allDataConfigs, type ClientContext, codecPool, POOL_THRESHOLD } from './context.js'
import { recordLocations } from './data/record-locations.js'
import { deleteShard } from './data/shard-io.js'
import { type StoreProgress, writeObject } from './data/write-object.js'
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

/** Input bytes per object under `config`. */
function objectSizeOf(config: ClientContext['config']): number {
  return config.objectSize ?? defaultObjectSize(config.minimalShards)
}

/** The record stored under `key`, or `null`. */
export async function loadRecord(
  ctx: ClientContext,
  key: string,
): Promise<{ record: StoredRecord; bytes: Uint8Array } | null> {
  const bytes = await ctx.meta.get(key)
  return bytes ? { record: decodeRecord(bytes), bytes } : null
}

/** Best-effort deletion of shards; what cannot be reached is left. Whether all went. */
export async function deleteLocations(
  ctx: ClientContext,
  locations: readonly ShardLocation[],
): Promise<boolean> {
  const configs = allDataConfigs(ctx.config)
  return deleteShards(
    ctx,
    locations.map((l) => ({ backend: findBackend(configs, l.address, l.namespace), keys: l.keys })),
  )
}

/** Best-effort deletion of shards on known backends (what a failed store wrote). Whether all went. */
export async function deleteShards(
  ctx: ClientContext,
  shards: readonly { readonly backend: BackendConfig; readonly keys: readonly Uint8Array[] }[],
): Promise<boolean> {
  const done = await Promise.all(
    shards.map((w) =>
      deleteShard(ctx.pool.get(w.backend), w.keys).then(
        () => true,
        () => false,
      ),
    ),
  )
  return done.every(Boolean)
}

/**
 * `source` as it passes to the encoder, hashed and counted on the way (`for await` takes sync
 * iterables too). Without `hash` (a source known to fit one object, whose checksum is then the
 * file's), more than `oneObject` bytes is an error: the file grew while it was read.
 */
async function* tap(
  source: StreamSource,
  hash: ReturnType<typeof createBlake2b128> | null,
  count: { bytes: number },
  oneObject: number,
) {
  for await (const chunk of source instanceof Uint8Array ? [source] : source) {
    hash?.update(chunk)
    count.bytes += chunk.length
    if (!hash && count.bytes > oneObject) {
      throw new StoreError('ERR_STORE_FAILED', 'the file grew while it was read; nothing was kept')
    }
    yield chunk
  }
}

const usesPool = (size: number | undefined) => size === undefined || size >= POOL_THRESHOLD

/**
 * `file` read in whole objects straight into buffers of the codec pool, which the workers hand
 * back once an object is encoded: no 1 MiB read chunks to copy into objects and to collect.
 */
class ReadObjects implements AsyncIterable<Uint8Array> {
  constructor(
    private readonly file: string,
    private readonly objectSize: number,
    private readonly pool: CodecPool,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    const { objectSize } = this
    const handle = await open(this.file, 'r')
    try {
      for (;;) {
        const buffer = this.pool.buffer?.(objectSize) ?? new Uint8Array(objectSize)
        let filled = 0
        for (let n = -1; n !== 0 && filled < objectSize; filled += n) {
          ;({ bytesRead: n } = await handle.read(buffer, filled, objectSize - filled, null))
        }
        if (filled > 0) yield filled === objectSize ? buffer : buffer.subarray(0, filled)
        if (filled < objectSize) return
      }
    } finally {
      await handle.close()
    }
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

/**
 * Stores `data` as this client's record under `key`, replacing `previous` (and deleting its
 * shards once the new record is saved): how an object stored by upstream 0-stor is rebuilt.
 * `storedPath` is recorded as the path (upstream records do not hold it).
 */
export function restoreUnder(
  ctx: ClientContext,
  data: Uint8Array,
  key: string,
  previous: NonNullable<Awaited<ReturnType<typeof loadRecord>>>,
  storedPath: string,
): Promise<StoreResult> {
  return storeReplacing(ctx, data, { path: storedPath || key, size: data.length }, key, previous, {
    fileSize: data.length,
    storedPath,
  })
}

async function storeReplacing(
  ctx: ClientContext,
  source: StreamSource,
  options: StoreStreamOptions,
  key: string,
  previous: Awaited<ReturnType<typeof loadRecord>>,
  known: {
    /** The size of the file `source` reads, when it is one (a stream's `size` is only for progress). */
    fileSize?: number
    /** The path to record, already relative to root (a rebuild by key does not know more). */
    storedPath?: string
  } = {},
): Promise<StoreResult> {
  const { config } = ctx
  const { fileSize } = known
  const path = known.storedPath ?? relativeToRoot(options.path, config.root)
  await loadWasmChecksum().catch(() => undefined)
  const objectSize = objectSizeOf(config)
  // A file of one object has that object's checksum (BLAKE2b-128 of the same bytes, which the
  // codec computes anyway): hashing it here too would be a third more hashing.
  const hash = fileSize !== undefined && fileSize <= objectSize ? null : createBlake2b128()
  const count = { bytes: 0 }
  const objects: Metadata[] = []
  // Until the store ends one way or the other, its shards are noted on local disk: if this
  // process dies, a later sweep deletes those no record references (data/store-intents.ts).
  const intent = ctx.intents?.open(key, previous ? recordLocations(previous.record) : [])
  const progress: StoreProgress = { written: [], strays: [], ...(intent ? { intent } : {}) }
  try {
    const encoded = encodeStream(tap(source, hash, count, objectSize), {
      k: config.minimalShards,
      m: config.expectedShards - config.minimalShards,
      compression: config.compression,
      key: config.key,
      objectSize,
      concurrency: 2,
      // Unknown or large sizes encode on worker threads, leaving this thread to the I/O.
      ...(usesPool(options.size) ? { pool: codecPool(ctx) } : {}),
      // ReadObjects gives its buffers away; a caller's stream keeps its chunks.
      transferChunks: source instanceof ReadObjects,
    })
    for await (const object of encoded) {
      const locations = await writeObject(ctx, object.shards, progress)
      objects.push({ ...object.meta, chunkSize: DEFAULT_CHUNK_SIZE, locations })
      ctx.counters.bytesStored += object.meta.size
      ctx.counters.objectsStored++
      ctx.onProgress?.(object.offset + object.meta.size, options.size ?? null)
    }
  } catch (error) {
    // What could not be deleted now is left to a sweep.
    const deleted = await deleteShards(ctx, [...progress.written, ...progress.strays])
    intent?.close(!deleted)
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
    checksum: hash ? hash.digest() : objects[0]!.checksum,
    objectSize,
    storedAt: Date.now(),
    objects,
  }
  let metaMissing: string[]
  try {
    const result = await ctx.meta.put(key, encodeFileRecord(record))
    metaMissing = [...result.missing.keys()]
  } catch (error) {
    const deleted = await deleteShards(ctx, [...progress.written, ...progress.strays])
    // The failed write may have replaced the old record on some backends: put it back whole.
    const restored = previous
      ? await ctx.meta.put(key, previous.bytes).then(
          () => true,
          () => false,
        )
      : true
    intent?.close(!(deleted && restored))
    throw new StoreError(
      'ERR_STORE_FAILED',
      `the metadata of ${options.path} could not be saved (${(error as Error).message}); its shards were deleted`,
      { cause: error },
    )
  }
  // An upstream record's shards go too: this record replaces it.
  const replacedGone = previous ? await deleteLocations(ctx, recordLocations(previous.record)) : true
  // Strays are unreferenced: a sweep deletes them once their backend is back.
  intent?.close(!replacedGone || progress.strays.length > 0)
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
  const objectSize = objectSizeOf(ctx.config)
  const source = usesPool(info.size)
    ? new ReadObjects(file, objectSize, codecPool(ctx))
    : createReadStream(file, { highWaterMark: 1 << 20 })
  // The record read for the comparison is the one the store replaces: no second read.
  return storeReplacing(ctx, source, { path: keyFile, size: info.size }, key, existing, {
    fileSize: info.size,
  })
}

/** BLAKE2b-128 of a file's bytes, read as a stream. */
export async function hashFile(file: string): Promise<Uint8Array> {
  await loadWasmChecksum().catch(() => undefined)
  const hash = createBlake2b128()
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer)
  return hash.digest()
}
