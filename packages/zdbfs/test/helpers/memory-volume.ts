/** A Filesystem over in-memory namespaces, for tests of the logic without FUSE or zdb. */
import { errnoOf } from '../../src/errno.js'
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

/** Reads a whole file through the Filesystem API. */
export async function readAll(fs: Filesystem, path: string): Promise<Buffer> {
  const fh = await fs.open(path, 0)
  const size = (await fs.getattr(path)).size
  const buf = Buffer.alloc(size)
  const n = await fs.read(fh, buf, 0)
  await fs.release(fh)
  return buf.subarray(0, n)
}

export async function writeAt(
  fs: Filesystem,
  path: string,
  pos: number,
  bytes: Buffer | string,
): Promise<void> {
  const fh = await fs.open(path, 0)
  await fs.write(fh, Buffer.from(bytes), pos)
  await fs.release(fh)
}

/** The errno a FUSE reply would carry for `p`'s failure, `undefined` when it succeeds. */
export async function errnoOfCall(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p
    return undefined
  } catch (err) {
    return errnoOf(err)
  }
}
