/**
 * The shape of a zstor config once read: upstream 0-stor v2's `Config` (spec zstor.md §1) in
 * camelCase, with the key resolved to bytes, plus our own optional fields.
 * @module
 */
import type { BackendAddress, ScryptParams } from '@qsfs/zstor-codec'

/** One zdb backend of the config: upstream's `ZdbConnectionInfo` (spec zstor.md §1). */
export interface BackendConfig {
  readonly address: BackendAddress
  /** `null` is the server's default namespace (no `SELECT`). */
  readonly namespace: string | null
  /** Sent with `SELECT`; never printed in messages. */
  readonly password: string | null
  /**
   * `address/namespace` (`127.0.0.1:9900/data1`, `[::1]:9900/x`, `unix:/run/zdb.sock/ns`), or
   * the address alone for the default namespace: for messages and metric labels.
   */
  readonly label: string
}

/** Data backends that should be close together, e.g. in one data center (spec zstor.md §1). */
export interface GroupConfig {
  readonly backends: readonly BackendConfig[]
}

/** Compression of the data pipeline: upstream knows `snappy` only; `zstd` and `none` are ours. */
export type CompressionName = 'snappy' | 'zstd' | 'none'

/** The compressions a config may name, in the order messages list them. */
export const COMPRESSION_NAMES: readonly CompressionName[] = Object.freeze(['snappy', 'zstd', 'none'])

/**
 * How an encryption key was given, so {@link formatConfig} writes it back the same way:
 * - `hex`: `key = "<64 hex>"`, upstream's only form;
 * - `file`: `key_file = "path"`, a file holding the 64 hex characters (ours). `path` is as
 *   written; a relative one was resolved against the config file's directory;
 * - `passphrase`: scrypt over `passphrase = "..."` or the environment variable named by
 *   `passphrase_env`, with `salt` (ours). `passphrase` is kept only when it was written in the
 *   file, so that the file can be written back; `params` default to the codec's.
 */
export type KeySource =
  | { readonly kind: 'hex' }
  | { readonly kind: 'file'; readonly path: string }
  | {
      readonly kind: 'passphrase'
      readonly salt: Uint8Array
      readonly params?: ScryptParams
      readonly passphrase?: string
      readonly env?: string
    }

/** The metadata store: upstream's `[meta] type = "zdb"` with its `[meta.config]` (spec zstor.md §1, §3). */
export interface MetaConfig {
  /** Keys are `/{prefix}/meta/{hash}`. */
  readonly prefix: string
  /** Upstream requires exactly 4; we take any number ≥ 1. */
  readonly backends: readonly BackendConfig[]
  /**
   * `[meta.config.encryption]`, optional here. Upstream parses it but encrypts metadata with the
   * top-level key on every live path (spec zstor.md §1 quirk).
   */
  readonly keySource: KeySource | null
  /** The key of `[meta.config.encryption]`, resolved; `null` when that table is absent. */
  readonly key: Uint8Array | null
}

/** A zstor config file (spec zstor.md §1), read by {@link parseConfig} or {@link loadConfig}. */
export interface ZstorConfig {
  /** k: data shards, 1..255. */
  readonly minimalShards: number
  /** k + m: all shards, k + 1..256 (parity ≥ 1). */
  readonly expectedShards: number
  /** Groups that may be lost entirely. */
  readonly redundantGroups: number
  /** Backends per group that may be lost. */
  readonly redundantNodes: number
  /** Virtual root: stripped from the paths that key metadata. */
  readonly root: string | null
  /** Unix socket of the daemon. */
  readonly socket: string | null
  readonly pidFile: string | null
  /** Local 0-db data directory to keep under {@link maxZdbDataDirSize}. */
  readonly zdbDataDirPath: string | null
  /** MiB. */
  readonly maxZdbDataDirSize: number | null
  readonly zdbfsMountpoint: string | null
  readonly prometheusPort: number | null
  /** The resolved 32-byte data key. */
  readonly key: Uint8Array
  readonly keySource: KeySource
  readonly compression: CompressionName
  readonly meta: MetaConfig
  readonly groups: readonly GroupConfig[]
  /** `queue_dir` (ours): the daemon's durable upload journal. */
  readonly queueDir: string | null
  /** `repair_interval` (ours): seconds between repair sweeps, default {@link DEFAULT_REPAIR_INTERVAL}. */
  readonly repairInterval: number
  /** `object_size` (ours): bytes per object when streaming a file; `null` is the codec default (32 MiB). */
  readonly objectSize: number | null
  /** The file it was loaded from, as given. */
  readonly file: string | null
}

/** Seconds between repair sweeps when `repair_interval` is absent: upstream's fixed 600 s (spec zstor.md §4). */
export const DEFAULT_REPAIR_INTERVAL = 600
/** Largest `repair_interval`: the longest delay a Node.js timer takes (2^31 - 1 ms). */
export const MAX_REPAIR_INTERVAL = Math.floor((2 ** 31 - 1) / 1000)
