/**
 * Options of {@link mount}. Defaults follow upstream 0-db-fs where it has one (spec
 * zdbfs-and-glue.md §1 "Command line").
 * @module
 */
import type { Logger } from './logger.js'

/** Where one namespace lives. */
export interface NamespaceConfig {
  /** Default `localhost`. */
  host?: string
  /** Default 9900. */
  port?: number
  /** A Unix socket path instead of host and port. */
  socket?: string
  /** Namespace password (upstream `ms`/`ds`; the temp namespace defaults to `hello`). */
  password?: string
  /** Namespace name; default `zdbfs-meta`, `zdbfs-data`, `zdbfs-temp` (upstream cannot change them). */
  namespace?: string
}

export interface ZdbConfig extends NamespaceConfig {
  meta?: NamespaceConfig
  data?: NamespaceConfig
  temp?: NamespaceConfig
}

export interface MountOptions {
  /** An existing directory. A stale mount left there by a killed process is replaced. */
  mountpoint: string
  /** The zdb: `host`/`port`/`socket` for all three namespaces, `meta`/`data`/`temp` per namespace. */
  zdb?: ZdbConfig
  /** Bytes reported by statfs and stored in the headers (upstream `size=`); default 10 GiB. */
  size?: number
  /** Create the namespaces (NSNEW, sequential mode, temp private with password `hello`). */
  autons?: boolean
  /** Every change is stored in zdb before the operation returns (upstream `nocache`). */
  nocache?: boolean
  /** Clean blocks kept in memory, in 128 KiB blocks (upstream `cachesize`); default 256. */
  cacheBlocks?: number
  /** Dirty bytes held before writers wait for zdb; default 64 MiB. */
  maxDirtyBytes?: number
  /** How long one zdb call may take, reconnections included, before EIO (ms); default 5000. */
  timeout?: number
  /** Changes are written to zdb at least this often without fsync (ms); default 1000. */
  syncInterval?: number
  /** Let other users see the mount (`allow_other`). */
  allowOther?: boolean
  /** Kernel permission checks (`default_permissions`); default true. */
  defaultPermissions?: boolean
  /** Owner of new files and directories; default this process's uid and gid. */
  uid?: number
  gid?: number
  /** More `-o` options for libfuse. */
  fuseOptions?: string[]
  logger?: Logger
}

export const DEFAULT_SIZE = 10 * 2 ** 30
export const DEFAULT_NAMESPACES = { meta: 'zdbfs-meta', data: 'zdbfs-data', temp: 'zdbfs-temp' } as const
export const DEFAULT_TEMP_PASSWORD = 'hello'
