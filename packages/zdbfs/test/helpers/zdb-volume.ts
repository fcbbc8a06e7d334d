/**
 * A Filesystem over real sequential namespaces on an in-process zdb-server (loopback, port 0),
 * for tests of the logic without FUSE. {@link useZdbServer} starts one server per test file;
 * every fresh volume gets namespaces of its own (`t<N>-zdbfs-meta`, …), created and checked by
 * `openNamespaces` with `autons`, as a mount does. After each test its connections are closed
 * and its namespaces deleted.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createZdbServer, silentLogger as silentZdbLogger, type ZdbServer } from '@qsfs/zdb-server'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { Filesystem } from '../../src/filesystem.js'
import type { KvNamespace } from '../../src/kv-namespace.js'
import { silentLogger } from '../../src/logger.js'
import type { ZdbConfig } from '../../src/mount-options.js'
import { openNamespaces } from '../../src/namespaces.js'
import { Store, type StoreOptions } from '../../src/store.js'
import { closeVolume, openVolume } from '../../src/volume.js'
import { connectAdmin } from '../../src/zdb-namespace.js'

/** The namespace names of one volume. */
export interface VolumeNames {
  meta: string
  data: string
  temp: string
}

export interface VolumeNamespaces {
  meta: KvNamespace
  data: KvNamespace
  temp: KvNamespace
}

export interface ZdbVolume extends VolumeNamespaces {
  fs: Filesystem
  store: Store
  names: VolumeNames
  /** Writes everything and clears IN_USE; the connections stay open until the test ends. */
  close(): Promise<void>
}

export interface ZdbTestServer {
  readonly port: number
  /** Names for a new volume, unique in this file; the namespaces are created on first connect. */
  freshNames(): VolumeNames
  /**
   * New connections to the namespaces `names` (`autons`: create them first), to the server or
   * to `port` (a proxy in front of it).
   */
  connect(
    names: VolumeNames,
    options?: { autons?: boolean; timeout?: number; port?: number },
  ): Promise<VolumeNamespaces>
  /**
   * Opens a volume: on fresh namespaces without `names`, else on those of an earlier volume (a
   * remount, over new connections). `timeout` is the zdb call timeout (ms); `port`, a proxy in
   * front of the server to connect through.
   */
  openVolume(
    names?: VolumeNames,
    now?: () => number,
    storeOptions?: Partial<StoreOptions>,
    options?: { timeout?: number; port?: number },
  ): Promise<ZdbVolume>
  /**
   * Fresh namespaces holding exactly `values` (key → value per namespace), for volumes built
   * byte by byte: the keys are appended in order with `SET ""`, as sequential mode requires, and
   * the ones missing from `values` deleted again.
   */
  writeNamespaces(values: Record<keyof VolumeNames, Map<number, Buffer>>): Promise<VolumeNames>
  /** One admin command (NSSET, NSINFO, …) on a connection of its own; the reply as a string. */
  admin(...args: string[]): Promise<string>
  /** Closes the connections opened since the last cleanup and deletes their namespaces. */
  cleanup(): Promise<void>
}

const TIMEOUT = 5000
const FILLER = Buffer.from('filler')

/** Starts a zdb-server before the file's tests and stops it after them; call at module level. */
export function useZdbServer(): ZdbTestServer {
  let dir = ''
  let server: ZdbServer | undefined
  let counter = 0
  const opened: KvNamespace[] = []
  const created: string[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zdbfs-logic-'))
    server = await createZdbServer({
      host: '127.0.0.1',
      port: 0,
      dataDir: join(dir, 'data'),
      indexDir: join(dir, 'index'),
      mode: 'mixed',
      logger: silentZdbLogger,
    })
  })

  afterEach(() => zdb.cleanup())

  afterAll(async () => {
    await server?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  const config = (names: VolumeNames, port = zdb.port): ZdbConfig => ({
    host: '127.0.0.1',
    port,
    meta: { namespace: names.meta },
    data: { namespace: names.data },
    temp: { namespace: names.temp },
  })

  const zdb: ZdbTestServer = {
    get port() {
      if (!server) throw new Error('the zdb-server is not running (useZdbServer outside a test?)')
      return server.address.port
    },

    freshNames() {
      const n = ++counter
      const names = { meta: `t${n}-zdbfs-meta`, data: `t${n}-zdbfs-data`, temp: `t${n}-zdbfs-temp` }
      created.push(names.meta, names.data, names.temp)
      return names
    },

    async connect(names, { autons = false, timeout = TIMEOUT, port } = {}) {
      const [meta, data, temp] = await openNamespaces(config(names, port), {
        autons,
        timeout,
        logger: silentLogger,
      })
      opened.push(meta!, data!, temp!)
      return { meta: meta!, data: data!, temp: temp! }
    },

    async openVolume(names, now, storeOptions = {}, { timeout = TIMEOUT, port } = {}) {
      const fresh = names === undefined
      names ??= zdb.freshNames()
      const ns = await zdb.connect(names, { autons: fresh, timeout, ...(port ? { port } : {}) })
      const store = new Store({
        meta: ns.meta,
        data: ns.data,
        logger: silentLogger,
        syncInterval: 3_600_000,
        ...storeOptions,
      })
      const { meta: header } = await openVolume(store, ns.temp, {
        size: 10 * 2 ** 30,
        uid: 0,
        gid: 0,
        logger: silentLogger,
        ...(now ? { now: now() } : {}),
      })
      // As a mount does: statfs figures from NSINFO, read when the volume opens.
      const [d, m] = await Promise.all([ns.data.stats(), ns.meta.stats()])
      const usage = { dataBytes: d.dataSizeBytes, metaEntries: m.entries }
      const fs = new Filesystem(store, {
        uid: 0,
        gid: 0,
        size: 10 * 2 ** 30,
        usage: () => usage,
        ...(now ? { now } : {}),
      })
      return { fs, store, names, ...ns, close: () => closeVolume(store, header) }
    },

    async writeNamespaces(values) {
      const names = zdb.freshNames()
      const ns = await zdb.connect(names, { autons: true })
      for (const role of ['meta', 'data', 'temp'] as const) {
        const wanted = values[role]
        const last = Math.max(-1, ...wanted.keys())
        for (let key = 0; key <= last; key++) {
          const got = await ns[role].insert(wanted.get(key) ?? FILLER)
          if (got !== key) throw new Error(`${names[role]}: SET "" gave key ${got}, expected ${key}`)
        }
        for (let key = 0; key <= last; key++) if (!wanted.has(key)) await ns[role].del(key)
      }
      return names
    },

    async admin(...args) {
      const redis = connectAdmin({ host: '127.0.0.1', port: zdb.port }, TIMEOUT)
      try {
        await redis.connect()
        return String(await redis.call(args[0]!, ...args.slice(1)))
      } finally {
        redis.disconnect()
      }
    },

    async cleanup() {
      await Promise.all(opened.splice(0).map((ns) => ns.close()))
      const names = created.splice(0)
      if (names.length === 0 || !server) return
      const redis = connectAdmin({ host: '127.0.0.1', port: zdb.port }, TIMEOUT)
      try {
        await redis.connect()
        // A namespace a failed test never created is not an error here.
        await Promise.all(names.map((name) => redis.call('NSDEL', name).catch(() => {})))
      } finally {
        redis.disconnect()
      }
    },
  }
  return zdb
}
