/**
 * The client: one object holding a config's connections, with every operation of upstream's
 * CLI as a method (spec zstor.md §4).
 * @module
 */
import type { StreamSource } from '@qsfs/zstor-codec'
import { type CheckResult, checkKey, checkPath } from './check.js'
import type { ZstorConfig } from './config/index.js'
import {
  type ClientContext,
  type ContextOptions,
  closeContext,
  createContext,
  reloadContext,
} from './context.js'
import type { IntentSweepResult } from './data/store-intents.js'
import { metaKey, metaKeyPrefix } from './meta/meta-key.js'
import { type RebuildResult, rebuildKey, rebuildPath } from './rebuild.js'
import { type BadShardListener, retrieveFile, retrieveStream } from './retrieve.js'
import { type BackendReport, backendStatus } from './status.js'
import { loadRecord, type StoreResult, storeFile, storeStream } from './store.js'

export interface ZstorClientOptions extends ContextOptions {
  readonly config: ZstorConfig
}

export interface ZstorClient {
  readonly config: ZstorConfig
  /** Stores a file (skipped when the stored copy is identical); `keyPath` as upstream's `-k`. */
  store(file: string, options?: { keyPath?: string }): Promise<StoreResult>
  /** Stores a stream of bytes under `path`. */
  storeStream(source: StreamSource, options: { path: string; size?: number }): Promise<StoreResult>
  /** Retrieves `path` into a file (default: where upstream writes it, `root.join(path)`). */
  retrieve(
    path: string,
    options?: { output?: string; onBad?: BadShardListener },
  ): Promise<{ output: string; size: number }>
  /** The bytes stored under `path`, streamed. */
  retrieveStream(
    path: string,
    options?: { onBad?: BadShardListener },
  ): Promise<{ size: number | null; chunks: AsyncIterable<Uint8Array> }>
  check(path: string, options?: { deep?: boolean }): Promise<CheckResult>
  checkKey(key: string, options?: { deep?: boolean }): Promise<CheckResult>
  rebuild(path: string): Promise<RebuildResult>
  rebuildKey(key: string): Promise<RebuildResult>
  /** Every metadata key stored under this config's prefix. */
  keys(): Promise<string[]>
  /** The metadata key of `path`. */
  keyOf(path: string): string
  status(): Promise<BackendReport[]>
  /**
   * Deletes the shards of stores that a dead process left unfinished (noted under `intentDir`)
   * and that no saved record references. Without `intentDir` there is nothing to sweep.
   */
  sweepIntents(): Promise<IntentSweepResult>
  /** Swaps in a new config (SIGHUP reload); connections to backends that left are closed. */
  reload(config: ZstorConfig): Promise<void>
  /** Shared state, for the daemon and metrics. */
  readonly context: ClientContext
  close(): Promise<void>
}

/** A client of the backends in `options.config`. Connections open on first use. */
export function createZstorClient(options: ZstorClientOptions): ZstorClient {
  const ctx = createContext(options.config, options)
  return {
    get config() {
      return ctx.config
    },
    context: ctx,
    store: (file, o = {}) => storeFile(ctx, file, o),
    storeStream: (source, o) => storeStream(ctx, source, o),
    retrieve: (path, o = {}) => retrieveFile(ctx, path, o),
    retrieveStream: (path, o = {}) => retrieveStream(ctx, path, o),
    check: (path, o = {}) => checkPath(ctx, path, o),
    checkKey: (key, o = {}) => checkKey(ctx, key, o),
    rebuild: (path) => rebuildPath(ctx, path),
    rebuildKey: (key) => rebuildKey(ctx, key),
    keys: () => ctx.meta.keys(metaKeyPrefix(ctx.config.meta.prefix)),
    keyOf: (path) => metaKey(ctx.config.meta.prefix, path, ctx.config.root),
    status: () => backendStatus(ctx),
    sweepIntents: async () =>
      ctx.intents
        ? ctx.intents.sweep(ctx, async (key) => (await loadRecord(ctx, key))?.record ?? null)
        : { cleared: 0, chunksDeleted: 0, kept: [] },
    reload: (config) => reloadContext(ctx, config),
    close: () => closeContext(ctx),
  }
}
