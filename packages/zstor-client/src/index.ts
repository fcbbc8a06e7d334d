/**
 * @module @qsfs/zstor-client
 * Disperses objects over many zdb backends and gets them back (shared/specs/zstor.md):
 * `createZstorClient({ config })` stores files as erasure-coded, encrypted shards placed by the
 * redundancy rules, with metadata itself sealed and spread over the meta backends; retrieves
 * them from any `k` good shards; checks, rebuilds and reports backend health.
 */
export { type BackendRole, type BackendState, type BackendStatus, LOW_SPACE_BYTES } from './backend/health.js'
export {
  DEFAULT_COMMAND_TIMEOUT,
  MAX_CHUNK_SIZE,
  ZdbBackend,
  type ZdbBackendOptions,
} from './backend/zdb-backend.js'
export type { CheckResult } from './check.js'
export { createZstorClient, type ZstorClient, type ZstorClientOptions } from './client.js'
export * from './config/index.js'
export type { ClientContext, ClientCounters } from './context.js'
export type { UploadJob } from './daemon/journal.js'
export { type Daemon, type DaemonOptions, queueDirOf, startDaemon } from './daemon/monitor.js'
export type { DaemonCommand, DaemonResponse } from './daemon/protocol.js'
export { sendCommand, socketIsLive } from './daemon/socket.js'
export {
  type QueueStats,
  UploadQueue,
  type UploadQueueOptions,
  type UploadTarget,
} from './daemon/upload-queue.js'
export type { BadShard } from './data/fetch-shards.js'
export type { IntentSweepResult } from './data/store-intents.js'
export {
  BackendError,
  type BackendErrorCode,
  ConfigError,
  type ConfigErrorCode,
  DaemonError,
  type DaemonErrorCode,
  MetaStoreError,
  type MetaStoreErrorCode,
  PlacementError,
  type PlacementErrorCode,
  RetrieveError,
  type RetrieveErrorCode,
  StoreError,
  type StoreErrorCode,
  ZstorError,
} from './errors.js'
export { cleanPath, metaKey, metaKeyPrefix, relativeToRoot } from './meta/meta-key.js'
export type { MetaShardProblem } from './meta/meta-store.js'
export { type Candidate, type PlacementRules, place, worstCaseSurvivors } from './placement.js'
export type { RebuildResult } from './rebuild.js'
export type { BackendReport } from './status.js'
export type { StoreResult } from './store.js'
