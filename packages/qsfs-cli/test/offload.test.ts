/**
 * The Offloader between a real local zdb (it is the zdb's hook) and a real zstor daemon on real
 * backend zdbs: closed segments uploaded data first, the ledger, LRU eviction, fetch on a read
 * of an evicted segment, snapshots of the open segment, and a restart that finds what is left.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createZdbServer, type ZdbServer } from '@qsfs/zdb-server'
import { createZstorClient, type Daemon, startDaemon, type ZstorConfig } from '@qsfs/zstor-client'
import type { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { type NodeLayout, nodeLayout } from '../src/config/layout.js'
import { loadNodeConfig, type NodeConfig } from '../src/config/node-config.js'
import { nodeZstorConfig } from '../src/config/zstor-runtime.js'
import { initNode } from '../src/init.js'
import { type DaemonLink, daemonLink } from '../src/node/daemon-link.js'
import { Offloader } from '../src/node/offload.js'
import { listDataFiles } from '../src/node/segments.js'
import {
  type Backends,
  removeTempDirs,
  sha256,
  sleep,
  startBackends,
  tempDir,
  waitFor,
  zdbClient,
} from './helpers/env.js'

const NS = 'files'
const VALUE = 3000

/** A node's parts without the node: backends, daemon, local zdb with the Offloader as its hook. */
class Rig {
  readonly stores: string[] = []
  readonly logs: string[] = []
  readonly values = new Map<string, Buffer>()
  /** The data file each key was written into. */
  readonly segmentOf = new Map<string, number>()
  daemon: Daemon | null = null
  zdb!: ZdbServer
  off!: Offloader
  redis!: Redis
  link: DaemonLink

  private constructor(
    readonly root: string,
    readonly config: NodeConfig,
    readonly layout: NodeLayout,
    readonly zstor: ZstorConfig,
    readonly backends: Backends,
    readonly tickInterval: number,
    replyDelay: number,
  ) {
    const link = daemonLink(layout.zstorSocket)
    // The real link, with a record of what was stored (key path under the zdb root).
    this.link = {
      store: async (file, keyDir) => {
        await link.store(file, keyDir)
        this.stores.push(`${keyDir.slice(layout.zdbRoot.length + 1)}/${file.split('/').pop()}`)
      },
      retrieve: async (path) => {
        await link.retrieve(path)
        await sleep(replyDelay)
      },
      status: () => link.status(),
    }
  }

  static async create(options: {
    cacheSize: number
    segmentSize: number
    lossWindow: number
    daemon: boolean
    /** Milliseconds between the Offloader's looks (snapshots and eviction); 100. */
    tickInterval?: number
    /** Milliseconds the daemon's reply to a retrieve takes to arrive (a slow link); 0. */
    replyDelay?: number
  }): Promise<Rig> {
    const root = realpathSync(tempDir('qsfs-off-'))
    const backends = await startBackends(join(root, 'b'), 3)
    const dir = join(root, 'node')
    const { tickInterval = 100, replyDelay = 0, daemon, ...sizes } = options
    initNode({ dir, backends: backends.addresses, statusListen: 'off', ...sizes })
    const config = loadNodeConfig(dir)
    const layout = nodeLayout(dir)
    const zstor = await nodeZstorConfig(config)
    const rig = new Rig(root, config, layout, zstor, backends, tickInterval, replyDelay)
    if (daemon) await rig.startDaemon()
    await rig.open()
    await rig.redis.call('NSNEW', NS)
    await rig.redis.call('SELECT', NS)
    return rig
  }

  async startDaemon(): Promise<void> {
    this.daemon = await startDaemon({ config: this.zstor, log: () => {} })
  }

  /** A new Offloader and local zdb on the node's directories (a start of the node). */
  async open(): Promise<void> {
    const { layout } = this
    this.off = new Offloader({
      config: this.config,
      layout,
      daemon: this.link,
      log: (line) => this.logs.push(line),
      tickInterval: this.tickInterval,
    })
    this.zdb = await createZdbServer({
      socket: join(this.root, 'zdb.sock'),
      dataDir: layout.zdbData,
      indexDir: layout.zdbIndex,
      datasize: this.config.segmentSize,
      mode: 'mixed',
      hook: this.off.hook,
      onDataRead: this.off.touched,
    })
    this.off.start(this.zdb)
    this.redis = zdbClient(join(this.root, 'zdb.sock'))
  }

  /** Stops the Offloader and the local zdb (a stop of the node). */
  async close(): Promise<void> {
    this.redis.disconnect()
    await this.off.stop()
    await this.zdb.close()
  }

  async write(count: number, size = VALUE): Promise<void> {
    const start = this.values.size
    for (let i = start; i < start + count; i++) {
      const value = randomBytes(size)
      await this.redis.call('SET', `k${i}`, value)
      this.values.set(`k${i}`, value)
      this.segmentOf.set(`k${i}`, this.openId())
    }
  }

  openId(ns = NS): number {
    return this.zdb.namespaceFiles().find((v) => v.name === ns)!.fileId
  }

  data(id: number): string {
    return join(this.layout.zdbData, NS, `d${id}`)
  }

  index(id: number): string {
    return join(this.layout.zdbIndex, NS, `i${id}`)
  }

  async drained(timeout = 20_000): Promise<void> {
    await waitFor(() => this.off.outbox.stats().depth === 0, 'the upload queue to drain', timeout)
  }

  async teardown(): Promise<void> {
    this.redis?.disconnect()
    await this.off?.stop()
    await this.zdb?.close()
    await this.daemon?.stop()
    await this.backends.close()
  }
}

let rig: Rig | null = null

afterEach(async () => {
  await rig?.teardown()
  rig = null
  removeTempDirs()
})

describe('Offloader', () => {
  it('uploads each closed segment, data before index, and records it in the ledger', async () => {
    rig = await Rig.create({ cacheSize: 2 ** 30, segmentSize: 16 * 1024, lossWindow: 3600, daemon: true })
    await rig.write(30)
    const open = rig.openId()
    expect(open).toBeGreaterThanOrEqual(4)
    await rig.drained()
    const client = createZstorClient({ config: rig.zstor })
    try {
      for (let id = 0; id < open; id++) {
        const data = `data/${NS}/d${id}`
        const index = `index/${NS}/i${id}`
        expect(rig.stores.indexOf(data), data).toBeGreaterThanOrEqual(0)
        expect(rig.stores.indexOf(index), index).toBeGreaterThan(rig.stores.indexOf(data))
        for (const [key, file] of [
          [data, rig.data(id)],
          [index, rig.index(id)],
        ] as const) {
          const size = readFileSync(file).length
          expect(rig.off.ledger.size(key), key).toBe(size)
          const stored = await client.check(file)
          expect(stored.found, key).toBe(true)
          expect(stored.size, key).toBe(size)
        }
      }
      expect(rig.stores).toContain(`index/${NS}/zdb-namespace`)
      // The open segment is not a closed file: nothing recorded for it.
      expect(rig.off.ledger.size(`data/${NS}/d${open}`)).toBeUndefined()
      // What is stored is the file itself.
      const copy = join(rig.root, 'd1.copy')
      await client.retrieve(rig.data(1), { output: copy })
      expect(sha256(copy)).toBe(sha256(rig.data(1)))
    } finally {
      await client.close()
    }
    let closed = 0
    for (let id = 0; id < open; id++) closed += readFileSync(rig.data(id)).length
    expect(rig.off.counters.uploadedBytes).toBeGreaterThanOrEqual(closed)
  })

  it('evicts only uploaded closed segments, least recently read first, down to the cache size', async () => {
    // No timer: the test says when to evict.
    rig = await Rig.create({
      cacheSize: 40 * 1024,
      segmentSize: 16 * 1024,
      lossWindow: 3600,
      daemon: false,
      tickInterval: 3_600_000,
    })
    await rig.write(40)
    const open = rig.openId()
    await waitFor(() => rig!.off.outbox.stats().failing > 0, 'uploads to fail')
    const before = listDataFiles(rig.layout.zdbData).filter((f) => f.ns === NS)
    expect(before.reduce((s, f) => s + f.size, 0)).toBeGreaterThan(rig.config.cacheSize)
    // Nothing is uploaded (the daemon is down): nothing may be evicted, over the size or not.
    rig.off.evict()
    expect(listDataFiles(rig.layout.zdbData).filter((f) => f.ns === NS)).toHaveLength(before.length)
    expect(rig.off.counters.evicted).toBe(0)

    await rig.startDaemon()
    rig.off.outbox.kick()
    await rig.drained()
    // Read a key of the oldest segment: it becomes the most recently used.
    const oldKey = [...rig.segmentOf].find(([, id]) => id === 0)![0]
    expect(Buffer.from((await rig.redis.callBuffer('GET', oldKey)) as Buffer)).toEqual(rig.values.get(oldKey))
    rig.off.evict()
    const after = listDataFiles(rig.layout.zdbData)
    const used = after.reduce((s, f) => s + f.size, 0)
    expect(used).toBeLessThanOrEqual(rig.config.cacheSize)
    expect(existsSync(rig.data(open))).toBe(true)
    expect(existsSync(rig.data(0))).toBe(true)
    const evicted = before.filter((f) => !existsSync(f.path))
    expect(evicted.length).toBeGreaterThan(0)
    expect(rig.off.counters.evicted).toBe(evicted.length)
    // Least recently used first: every survivor (but the one read) is newer than every evicted one.
    const kept = after.filter((f) => f.ns === NS && f.id !== 0 && f.id !== open)
    for (const k of kept) for (const e of evicted) expect(k.id).toBeGreaterThan(e.id)
    // Index files are never evicted.
    for (let id = 0; id <= open; id++) expect(existsSync(rig.index(id))).toBe(true)
  })

  it('a read of an evicted segment fetches it back and returns the right value', async () => {
    rig = await Rig.create({
      cacheSize: 1,
      segmentSize: 16 * 1024,
      lossWindow: 3600,
      daemon: true,
      tickInterval: 3_600_000,
    })
    await rig.write(30)
    const open = rig.openId()
    await rig.drained()
    const sums = new Map<number, string>()
    for (let id = 0; id < open; id++) sums.set(id, sha256(rig.data(id)))
    rig.off.evict()
    // Above a 1-byte cache every uploaded closed segment goes; the open one never does.
    for (let id = 0; id < open; id++) expect(existsSync(rig.data(id)), `d${id}`).toBe(false)
    expect(existsSync(rig.data(open))).toBe(true)
    expect(rig.off.counters.evicted).toBe(open)

    for (const [key, value] of rig.values) {
      const got = (await rig.redis.callBuffer('GET', key)) as Buffer
      expect(Buffer.from(got).equals(value), key).toBe(true)
    }
    expect(rig.off.counters.fetches).toBe(open)
    expect(rig.off.counters.fetchFailures).toBe(0)
    expect(rig.off.counters.fetchedBytes).toBeGreaterThan(open * 3 * VALUE)
    for (let id = 0; id < open; id++) expect(sha256(rig.data(id)), `d${id}`).toBe(sums.get(id))
    // Fetched back, a segment is still the uploaded one: it can be evicted again.
    rig.off.evict()
    for (let id = 0; id < open; id++) expect(existsSync(rig.data(id)), `d${id}`).toBe(false)
  })

  it('a segment being fetched is not evicted before the read that asked for it is served', async () => {
    // Evictions every 20 ms, a cache of 1 byte, and replies that arrive 150 ms after the daemon
    // wrote the file: an eviction of the fetched file before the reply fails the read.
    rig = await Rig.create({
      cacheSize: 1,
      segmentSize: 16 * 1024,
      lossWindow: 3600,
      daemon: true,
      tickInterval: 20,
      replyDelay: 150,
    })
    await rig.write(20)
    const open = rig.openId()
    await rig.drained()
    await waitFor(() => [...Array(open).keys()].every((id) => !existsSync(rig!.data(id))), 'evictions')
    for (const [key, value] of rig.values) {
      const got = (await rig.redis.callBuffer('GET', key)) as Buffer
      expect(Buffer.from(got).equals(value), key).toBe(true)
    }
    expect(rig.off.counters.fetchFailures).toBe(0)
    expect(rig.off.counters.fetches).toBeGreaterThanOrEqual(open)
  })

  it('snapshots the open segment after loss_window/2, then the loss window is 0 again', async () => {
    rig = await Rig.create({ cacheSize: 2 ** 30, segmentSize: 2 ** 20, lossWindow: 2, daemon: true })
    // The new namespace's empty pair is saved first, a second after the tick that saw it.
    await waitFor(
      () => rig!.stores.includes(`index/${NS}/i0`) && rig!.off.lossWindowSeconds() === 0,
      'the empty namespace to be saved',
      10_000,
    )
    const stores = rig.stores.length
    await rig.write(3)
    expect(rig.openId()).toBe(0)
    const written = Date.now()
    let worst = 0
    await waitFor(
      () => {
        worst = Math.max(worst, rig!.off.lossWindowSeconds())
        return rig!.stores.slice(stores).includes(`index/${NS}/i0`) && rig!.off.lossWindowSeconds() === 0
      },
      'the snapshot',
      10_000,
    )
    const took = Date.now() - written
    // Not before half the window, and the reported window never went past the bound.
    expect(took).toBeGreaterThanOrEqual(900)
    expect(worst).toBeGreaterThanOrEqual(1)
    expect(worst).toBeLessThanOrEqual(2)
    const snapshot = rig.stores.slice(stores)
    expect(snapshot.indexOf(`data/${NS}/d0`)).toBeGreaterThanOrEqual(0)
    expect(snapshot.indexOf(`data/${NS}/d0`)).toBeLessThan(snapshot.indexOf(`index/${NS}/i0`))
    // The stored copy is the open segment as it is now (nothing written since).
    const client = createZstorClient({ config: rig.zstor })
    try {
      const copy = join(rig.root, 'snap-d0')
      await client.retrieve(rig.data(0), { output: copy })
      expect(sha256(copy)).toBe(sha256(rig.data(0)))
      await client.retrieve(rig.index(0), { output: `${copy}-i` })
      expect(sha256(`${copy}-i`)).toBe(sha256(rig.index(0)))
    } finally {
      await client.close()
    }
    // Staging copies are gone once uploaded; a snapshot is not a closed file for the ledger.
    expect(readdirSync(join(rig.layout.staging, NS))).toEqual([])
    expect(rig.off.ledger.size(`data/${NS}/d0`)).toBeUndefined()
    // Quiet: no more uploads while nothing changes.
    const quiet = rig.stores.length
    await sleep(1_300)
    expect(rig.stores.length).toBe(quiet)
  })

  it('flush() snapshots at once, whatever the window', async () => {
    rig = await Rig.create({ cacheSize: 2 ** 30, segmentSize: 2 ** 20, lossWindow: 3600, daemon: true })
    await rig.write(2)
    expect(await rig.off.flush(10_000)).toBe(true)
    expect(rig.stores).toContain(`data/${NS}/d0`)
    expect(rig.stores).toContain(`index/${NS}/i0`)
    expect(rig.off.lossWindowSeconds()).toBe(0)
  })

  it('a delete in a closed segment re-uploads its index file with the next snapshot', async () => {
    rig = await Rig.create({
      cacheSize: 2 ** 30,
      segmentSize: 16 * 1024,
      lossWindow: 3600,
      daemon: true,
      tickInterval: 3_600_000,
    })
    await rig.write(20)
    await rig.drained()
    const key = [...rig.segmentOf].find(([, id]) => id === 0)![0]
    const before = readFileSync(rig.index(0))
    expect(await rig.redis.call('DEL', key)).toBe('OK')
    expect(readFileSync(rig.index(0)).equals(before)).toBe(false)
    const stores = rig.stores.length
    expect(await rig.off.flush(10_000)).toBe(true)
    expect(rig.stores.slice(stores)).toContain(`index/${NS}/i0`)
    expect(rig.off.ledger.size(`index/${NS}/i0`)).toBe(readFileSync(rig.index(0)).length)
    const client = createZstorClient({ config: rig.zstor })
    try {
      const copy = join(rig.root, 'i0.stored')
      await client.retrieve(rig.index(0), { output: copy })
      expect(readFileSync(copy).equals(readFileSync(rig.index(0)))).toBe(true)
    } finally {
      await client.close()
    }
  })

  it('a restart resumes the journaled uploads and re-queues closed files missing from the ledger', async () => {
    rig = await Rig.create({ cacheSize: 2 ** 30, segmentSize: 16 * 1024, lossWindow: 3600, daemon: false })
    await rig.write(20)
    const open = rig.openId()
    await waitFor(() => rig!.off.outbox.stats().failing > 0, 'uploads to fail')
    const queued = rig.off.outbox.stats().depth
    expect(queued).toBeGreaterThanOrEqual(open)
    await rig.close()

    // Second start, the daemon up: the journal of the first run is uploaded.
    await rig.startDaemon()
    await rig.open()
    expect(rig.logs).toContain(`resuming ${queued} queued uploads`)
    await rig.drained()
    for (let id = 0; id < open; id++) {
      expect(rig.off.ledger.size(`data/${NS}/d${id}`)).toBe(readFileSync(rig.data(id)).length)
      expect(rig.off.ledger.size(`index/${NS}/i${id}`)).toBe(readFileSync(rig.index(id)).length)
    }
    await rig.close()

    // Third start: the ledger lost two entries (say, a crash before it was written).
    const ledger = JSON.parse(readFileSync(rig.layout.ledger, 'utf8')) as Record<string, number>
    delete ledger[`data/${NS}/d1`]
    delete ledger[`index/${NS}/i2`]
    writeFileSync(rig.layout.ledger, JSON.stringify(ledger))
    const stores = rig.stores.length
    await rig.open()
    expect(rig.logs).toContain('queued 2 closed files not yet recorded as uploaded')
    await rig.drained()
    expect(rig.stores.slice(stores).sort()).toEqual([`data/${NS}/d1`, `index/${NS}/i2`])
    expect(rig.off.ledger.size(`data/${NS}/d1`)).toBe(readFileSync(rig.data(1)).length)
    expect(rig.off.ledger.size(`index/${NS}/i2`)).toBe(readFileSync(rig.index(2)).length)
  })
})
