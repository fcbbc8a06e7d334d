/**
 * `mount()`: connects the namespaces, opens (or creates) the volume and serves it over FUSE.
 * @module
 */
import { resolve as resolvePath } from 'node:path'
import { ZdbfsMountError, ZdbfsOptionError } from './errors.js'
import { Filesystem } from './filesystem.js'
import { createFuse, lazyUnmount } from './fuse-adapter.js'
import type { KvNamespace } from './kv-namespace.js'
import { silentLogger } from './logger.js'
import { DEFAULT_SIZE, type MountOptions } from './mount-options.js'
import { openNamespaces } from './namespaces.js'
import { BLOCK_SIZE } from './node.js'
import { checkMountpoint, clearStaleMount } from './stale-mount.js'
import { Store } from './store.js'
import { closeVolume, openVolume } from './volume.js'

export interface ZdbfsMount {
  /** The absolute mountpoint. */
  readonly mountpoint: string
  /** Whether the volume was created by this mount. */
  readonly created: boolean
  /** Whether the previous mount of this volume ended without unmount (kill -9, crash). */
  readonly uncleanShutdown: boolean
  /** Writes everything changed so far to zdb. */
  sync(): Promise<void>
  /** Unmounts, writes everything and marks the volume clean. Idempotent. */
  unmount(): Promise<void>
}

const positive = (name: string, v: number | undefined, min = 1): void => {
  if (v !== undefined && (!Number.isInteger(v) || v < min)) {
    throw new ZdbfsOptionError(`${name} must be an integer >= ${min}, got ${v}`)
  }
}

/**
 * Mounts a 0-db-fs volume at `options.mountpoint`. Rejects with `ZdbfsOptionError`,
 * `ZdbfsZdbError` (zdb unreachable or refusing), `ZdbfsFormatError` (not a 0-db-fs volume) or
 * `ZdbfsMountError` (mountpoint unusable, kernel refused).
 *
 * The FUSE handlers run on this process's event loop: this process must not access the mount
 * with blocking (sync) calls, or it deadlocks. Serve the mount from its own process (the
 * `zdbfs` command) when the same program also uses the files.
 */
export async function mount(options: MountOptions): Promise<ZdbfsMount> {
  if (!options || typeof options.mountpoint !== 'string' || options.mountpoint === '') {
    throw new ZdbfsOptionError('mountpoint must be a directory path')
  }
  positive('size', options.size)
  positive('timeout', options.timeout, 100)
  positive('syncInterval', options.syncInterval, 10)
  positive('cacheBlocks', options.cacheBlocks)
  positive('maxDirtyBytes', options.maxDirtyBytes, BLOCK_SIZE)
  const mountpoint = resolvePath(options.mountpoint)
  const logger = options.logger ?? silentLogger
  const timeout = options.timeout ?? 5000
  const size = options.size ?? DEFAULT_SIZE
  const uid = options.uid ?? process.getuid?.() ?? 0
  const gid = options.gid ?? process.getgid?.() ?? 0

  if (await clearStaleMount(mountpoint)) logger.warn(`replaced the dead mount left at ${mountpoint}`)
  await checkMountpoint(mountpoint)

  const [meta, data, temp] = (await openNamespaces(options.zdb, {
    autons: options.autons ?? false,
    timeout,
    logger,
  })) as [KvNamespace, KvNamespace, KvNamespace]
  const closeNamespaces = () => Promise.all([meta.close(), data.close(), temp.close()])

  const store = new Store({
    meta,
    data,
    logger,
    cacheBytes: (options.cacheBlocks ?? 256) * BLOCK_SIZE,
    ...(options.maxDirtyBytes !== undefined ? { maxDirtyBytes: options.maxDirtyBytes } : {}),
    ...(options.syncInterval !== undefined ? { syncInterval: options.syncInterval } : {}),
    roomTimeout: timeout * 2,
  })
  let volume: Awaited<ReturnType<typeof openVolume>>
  try {
    volume = await openVolume(store, temp, { size, uid, gid, logger })
  } catch (err) {
    await store.close().catch(() => {})
    await closeNamespaces()
    throw err
  }

  let usage = { dataBytes: 0, metaEntries: 0 }
  const refreshUsage = async () => {
    try {
      const [d, m] = await Promise.all([data.stats(), meta.stats()])
      usage = { dataBytes: d.dataSizeBytes, metaEntries: m.entries }
    } catch {
      // statfs keeps the last known figures rather than waiting on an unreachable zdb.
    }
  }
  await refreshUsage()
  const usageTimer = setInterval(refreshUsage, 5000)
  usageTimer.unref()

  // libfuse keeps an unlinked open file (renamed to .fuse_hidden*) and unlinks it at the last
  // close: handles need no state here, and RELEASE no round trip to JavaScript.
  const fs = new Filesystem(store, { uid, gid, size, usage: () => usage, statelessHandles: true })
  const fuseOptions = [
    'fsname=zdbfs',
    'subtype=zdbfs',
    'use_ino',
    'readdir_ino',
    'big_writes',
    `max_write=${BLOCK_SIZE}`,
    `max_read=${BLOCK_SIZE}`,
    'max_readahead=1048576',
    'auto_cache',
    'entry_timeout=5',
    'attr_timeout=5',
    'negative_timeout=0',
    ...((options.defaultPermissions ?? true) ? ['default_permissions'] : []),
    ...(options.allowOther ? ['allow_other'] : []),
    ...(options.fuseOptions ?? []),
  ]
  const fuse = createFuse(mountpoint, fs, {
    fuseOptions,
    logger,
    writeThrough: options.nocache ?? false,
    requestTimeout: Math.max(30_000, timeout * 4),
  })
  try {
    await new Promise<void>((resolve, reject) => fuse.mount((err) => (err ? reject(err) : resolve())))
  } catch (err) {
    clearInterval(usageTimer)
    await closeVolume(store, volume.meta).catch(() => {})
    await closeNamespaces()
    throw new ZdbfsMountError(`mounting ${mountpoint} failed: ${(err as Error).message}`, { cause: err })
  }
  logger.info(`mounted ${mountpoint}${volume.created ? ' (new volume)' : ''}`)

  let unmounting: Promise<void> | undefined
  return {
    mountpoint,
    created: volume.created,
    uncleanShutdown: volume.uncleanShutdown,
    sync: () => store.sync(),
    unmount() {
      unmounting ??= (async () => {
        clearInterval(usageTimer)
        try {
          await new Promise<void>((resolve, reject) => fuse.unmount((err) => (err ? reject(err) : resolve())))
        } catch {
          await lazyUnmount(mountpoint).catch(() => {})
        }
        try {
          await closeVolume(store, volume.meta)
        } finally {
          await closeNamespaces()
        }
      })()
      return unmounting
    },
  }
}
