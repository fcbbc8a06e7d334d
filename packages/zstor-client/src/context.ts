/**
 * What every operation of a client shares: the config, one connection per backend, the
 * metadata store, and counters for metrics.
 * @module
 */
import { availableParallelism } from 'node:os'
import { type CodecPool, createCodecPool } from '@qsfs/zstor-codec'
import { BackendPool } from './backend/pool.js'
import type { ZdbBackendOptions } from './backend/zdb-backend.js'
import type { BackendConfig, ZstorConfig } from './config/index.js'
import { StoreIntents } from './data/store-intents.js'
import { MetaStore } from './meta/meta-store.js'
import type { Random } from './placement.js'

/** Totals since the client started, for `/metrics` and `status`. */
export interface ClientCounters {
  bytesStored: number
  bytesRetrieved: number
  shardsRepaired: number
  metaShardsRepaired: number
  objectsStored: number
}

export interface ClientContext {
  config: ZstorConfig
  /** Worker threads for the codec, started on first use by a large object; see {@link codecPool}. */
  codecWorkers: CodecPool | null
  readonly pool: BackendPool
  meta: MetaStore
  readonly random: Random
  readonly counters: ClientCounters
  /** Where stores note the shards they write, so that those of a killed store are swept; none without `intentDir`. */
  readonly intents: StoreIntents | null
  /** Called with `(bytesDone, bytesTotal | null)` as a store or retrieve advances. */
  readonly onProgress?: (done: number, total: number | null) => void
}

/** Every data backend with the index of its group. */
export function dataBackends(config: ZstorConfig): { backend: BackendConfig; group: number }[] {
  return config.groups.flatMap((g, group) => g.backends.map((backend) => ({ backend, group })))
}

export function allDataConfigs(config: ZstorConfig): BackendConfig[] {
  return config.groups.flatMap((g) => g.backends)
}

export interface ContextOptions extends ZdbBackendOptions {
  random?: Random
  /**
   * A local directory where each store notes the shards it writes while it runs, so that the
   * shards of a store cut by kill -9 can be deleted later (`sweepIntents`). The daemon uses
   * `<queue_dir>/intents`. Without it such shards stay on the backends, unreferenced.
   */
  intentDir?: string
  onProgress?: (done: number, total: number | null) => void
}

export function createContext(config: ZstorConfig, options: ContextOptions = {}): ClientContext {
  const pool = new BackendPool(options)
  return {
    config,
    pool,
    meta: new MetaStore({ pool, backends: config.meta.backends, key: config.key }),
    codecWorkers: null,
    intents: options.intentDir === undefined ? null : new StoreIntents(options.intentDir),
    random: options.random ?? Math.random,
    counters: {
      bytesStored: 0,
      bytesRetrieved: 0,
      shardsRepaired: 0,
      metaShardsRepaired: 0,
      objectsStored: 0,
    },
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  }
}

/** Bytes from which a store or retrieve runs the codec on worker threads: below, starting them costs more than it saves. */
export const POOL_THRESHOLD = 4 * 1024 * 1024

/** The client's codec worker pool, started on first call. */
export function codecPool(ctx: ClientContext): CodecPool {
  ctx.codecWorkers ??= createCodecPool({ threads: Math.min(2, availableParallelism()) })
  return ctx.codecWorkers
}

/** Closes connections and worker threads. */
export async function closeContext(ctx: ClientContext): Promise<void> {
  await ctx.pool.close()
  await ctx.codecWorkers?.close()
  ctx.codecWorkers = null
}

/** Swaps in a reloaded config; connections of backends that left are closed. */
export async function reloadContext(ctx: ClientContext, config: ZstorConfig): Promise<void> {
  ctx.config = config
  ctx.meta = new MetaStore({ pool: ctx.pool, backends: config.meta.backends, key: config.key })
  await ctx.pool.retain([...allDataConfigs(config), ...config.meta.backends])
}
