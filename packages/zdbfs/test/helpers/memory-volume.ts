/**
 * A Filesystem over in-memory namespaces. Tests use real namespaces (zdb-volume.ts); this is only
 * for what a real zdb cannot reach in a test, such as ids past 2^32.
 */
import { Filesystem } from '../../src/filesystem.js'
import { silentLogger } from '../../src/logger.js'
import { Store, type StoreOptions } from '../../src/store.js'
import { closeVolume, openVolume } from '../../src/volume.js'
import { MemoryNamespace } from './memory-namespace.js'

export interface MemoryVolume {
  fs: Filesystem
  store: Store
  meta: MemoryNamespace
  data: MemoryNamespace
  temp: MemoryNamespace
  close(): Promise<void>
}

export async function openMemoryVolume(
  namespaces: { meta?: MemoryNamespace; data?: MemoryNamespace; temp?: MemoryNamespace } = {},
  now?: () => number,
  storeOptions: Partial<StoreOptions> = {},
): Promise<MemoryVolume> {
  const meta = namespaces.meta ?? new MemoryNamespace('zdbfs-meta')
  const data = namespaces.data ?? new MemoryNamespace('zdbfs-data')
  const temp = namespaces.temp ?? new MemoryNamespace('zdbfs-temp')
  const store = new Store({ meta, data, logger: silentLogger, syncInterval: 3_600_000, ...storeOptions })
  const { meta: header } = await openVolume(store, temp, {
    size: 10 * 2 ** 30,
    uid: 0,
    gid: 0,
    logger: silentLogger,
    ...(now ? { now: now() } : {}),
  })
  const fs = new Filesystem(store, {
    uid: 0,
    gid: 0,
    size: 10 * 2 ** 30,
    usage: () => ({ dataBytes: 0, metaEntries: meta.values.size }),
    ...(now ? { now } : {}),
  })
  return { fs, store, meta, data, temp, close: () => closeVolume(store, header) }
}
