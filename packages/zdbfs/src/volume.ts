/**
 * Opening and closing a 0-db-fs volume (spec zdbfs-and-glue.md §1): key 0 of each namespace is
 * its header; on a fresh meta namespace the root directory is meta key 1, reserved with the
 * placeholder `SET "" "X"` right after the header, as upstream does.
 * @module
 */
import { DOT, DOTDOT, insertEntry } from './directory.js'
import { ZdbfsFormatError } from './errors.js'
import { ROOT_INO } from './filesystem.js'
import { PLACEHOLDER } from './id-pool.js'
import { newInode } from './inode-codec.js'
import type { KvNamespace } from './kv-namespace.js'
import type { Logger } from './logger.js'
import { isDir, S_IFDIR } from './mode.js'
import {
  checkNamespaceHeader,
  decodeNamespaceHeader,
  encodeNamespaceHeader,
  FLAG_IN_USE,
  FORMAT_VERSION,
  NAMESPACE_MAGIC,
  type NamespaceHeader,
  type NamespaceRole,
} from './namespace-header.js'
import type { Store } from './store.js'

export interface VolumeHeaders {
  meta: NamespaceHeader
  /** Whether the meta header still had IN_USE set: the last mount did not end cleanly. */
  uncleanShutdown: boolean
  /** Whether this mount created the volume. */
  created: boolean
}

/** Reads (or writes, on an empty namespace) key 0 of `ns` and checks it. */
export async function openHeader(
  ns: KvNamespace,
  role: NamespaceRole,
  size: number,
): Promise<{ header: NamespaceHeader; created: boolean }> {
  const value = await ns.get(0)
  if (value === null) {
    const header: NamespaceHeader = { magic: NAMESPACE_MAGIC[role], version: FORMAT_VERSION, flags: 0, size }
    const key = await ns.insert(encodeNamespaceHeader(header))
    if (key !== 0) {
      throw new ZdbfsFormatError(
        `namespace '${ns.name}' has no key 0 but is not empty (SET "" returned key ${key}); use an empty namespace or the one holding the volume`,
      )
    }
    return { header, created: true }
  }
  const header = decodeNamespaceHeader(value)
  checkNamespaceHeader(role, header, ns.name)
  return { header, created: false }
}

/**
 * Opens the volume: checks or writes the three headers, creates the root directory on a fresh
 * volume, marks the meta header IN_USE and checks that the root is a directory.
 */
export async function openVolume(
  store: Store,
  temp: KvNamespace | undefined,
  options: { size: number; uid: number; gid: number; logger: Logger; now?: number },
): Promise<VolumeHeaders> {
  const meta = await openHeader(store.meta, 'meta', options.size)
  await openHeader(store.data, 'data', options.size)
  if (temp) await openHeader(temp, 'temp', options.size)
  if (meta.created) {
    const key = await store.meta.insert(PLACEHOLDER)
    if (key !== ROOT_INO) {
      throw new ZdbfsFormatError(`the root placeholder of a new volume got key ${key}, expected ${ROOT_INO}`)
    }
    const root = newInode(S_IFDIR | 0o755, options.now)
    root.uid = options.uid
    root.gid = options.gid
    root.links = 2
    const node = store.add(ROOT_INO, root)
    await insertEntry(store, node, DOT, ROOT_INO)
    await insertEntry(store, node, DOTDOT, ROOT_INO)
  }
  const uncleanShutdown = !meta.created && (meta.header.flags & FLAG_IN_USE) !== 0
  if (uncleanShutdown)
    options.logger.warn('the volume was not unmounted cleanly; unsynced changes of that mount are lost')
  const header = { ...meta.header, flags: meta.header.flags | FLAG_IN_USE, size: options.size }
  await store.meta.update(0, encodeNamespaceHeader(header))
  await store.sync()
  const root = await store.node(ROOT_INO)
  if (!isDir(root.inode.mode)) {
    throw new ZdbfsFormatError(`meta key ${ROOT_INO} is not a directory: this is not a 0-db-fs volume`)
  }
  return { meta: header, uncleanShutdown, created: meta.created }
}

/** Writes everything and clears IN_USE (upstream clears it at unmount too). */
export async function closeVolume(store: Store, header: NamespaceHeader): Promise<void> {
  await store.close()
  await store.meta.update(0, encodeNamespaceHeader({ ...header, flags: header.flags & ~FLAG_IN_USE }))
}
