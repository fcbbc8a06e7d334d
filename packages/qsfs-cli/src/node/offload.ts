/**
 * Offload: what moves the local zdb's files to zstor and back. It is the local zdb's hook
 * (in-process): a closed segment, a dirty index file or a namespace descriptor becomes a job
 * of the durable {@link Outbox}; a read of an evicted segment fetches it back. Every second it
 * looks at each namespace's open segment and, once writes in it are `loss_window / 2` old,
 * uploads a consistent copy, so a lost node loses at most `loss_window` seconds of writes.
 * @module
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { NamespaceFilesView, ZdbServer } from '@qsfs/zdb-server'
import type { NodeLayout } from '../config/layout.js'
import type { NodeConfig } from '../config/node-config.js'
import type { DaemonLink } from './daemon-link.js'
import { Ledger } from './ledger.js'
import { type Job, Outbox } from './outbox.js'
import { DESCRIPTOR, dataFile, indexFile, keyOf, listDataFiles, parseSegmentPath } from './segments.js'

export interface OffloadOptions {
  readonly config: NodeConfig
  readonly layout: NodeLayout
  readonly daemon: DaemonLink
  readonly log: (line: string) => void
  /** Milliseconds between looks at the open segments (1 s). */
  readonly tickInterval?: number
}

interface NsState {
  /** `fileId:dataSize:indexSize` of the open pair. */
  key: string
  /** What the last finished snapshot or closed-segment upload holds. */
  saved: string | null
  /** Unix ms of the oldest write not uploaded yet; null when all are. */
  dirtySince: number | null
}

export class Offloader {
  readonly outbox: Outbox
  readonly ledger: Ledger
  readonly counters = { uploadedBytes: 0, fetchedBytes: 0, fetches: 0, evicted: 0, fetchFailures: 0 }
  readonly #options: OffloadOptions
  readonly #access = new Map<string, number>()
  /** Segments being fetched: complete on disk before the daemon replies, and not to be evicted then. */
  readonly #fetching = new Set<string>()
  readonly #states = new Map<string, NsState>()
  #server: ZdbServer | null = null
  #timer: NodeJS.Timeout | null = null
  #snapSeq = 0

  constructor(options: OffloadOptions) {
    this.#options = options
    const { layout } = options
    this.ledger = new Ledger(layout.ledger)
    this.outbox = new Outbox({
      dir: layout.queue,
      upload: (upload) => options.daemon.store(upload.file, upload.keyDir),
      log: options.log,
      onDone: (job) => this.#done(job),
    })
  }

  /** The local zdb's hook: events of spec zdb.md §3, answered in-process. */
  readonly hook = (event: string, args: readonly string[]): number | Promise<number> => {
    switch (event) {
      case 'namespace-created':
      case 'namespace-updated':
        if (args[0]) this.#descriptor(args[0])
        return 0
      case 'jump-index':
        return this.#jumpIndex(args)
      case 'jump-data':
        this.#jumpData(args[0]!)
        return 0
      case 'missing-data':
        return this.#fetch(args[0]!)
      default:
        return 0
    }
  }

  /** Called by the zdb on every read of a closed segment: the LRU's clock. */
  readonly touched = (path: string): void => {
    this.#access.set(path, Date.now())
  }

  /** Starts uploading: jobs a previous run left, files it did not finish, then the timer. */
  start(server: ZdbServer): void {
    this.#server = server
    const resumed = this.outbox.start()
    if (resumed > 0) this.#options.log(`resuming ${resumed} queued uploads`)
    this.#reconcile()
    const interval = this.#options.tickInterval ?? 1000
    this.#timer = setInterval(() => this.tick(), interval)
    this.#timer.unref()
  }

  /** Uploads whatever the open segments hold now and waits (at most `timeout` ms) for the queue. */
  async flush(timeout: number): Promise<boolean> {
    this.tick(true)
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeout)
    })
    const ok = await Promise.race([this.outbox.drained().then(() => true as const), expired])
    clearTimeout(timer)
    return ok
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    await this.outbox.stop()
    this.ledger.flush()
  }

  /** Seconds of writes a loss of the node now would lose. */
  lossWindowSeconds(now = Date.now()): number {
    let oldest: number | null = null
    for (const s of this.#states.values())
      if (s.dirtySince !== null && (oldest === null || s.dirtySince < oldest)) oldest = s.dirtySince
    for (const job of this.outbox.jobs())
      if (oldest === null || job.capturedAt < oldest) oldest = job.capturedAt
    return oldest === null ? 0 : Math.max(0, Math.round((now - oldest) / 1000))
  }

  /** Bytes and counts of data segments on the local disk. */
  cacheUse(): { usedBytes: number; localSegments: number } {
    const files = listDataFiles(this.#options.layout.zdbData)
    return { usedBytes: files.reduce((sum, f) => sum + f.size, 0), localSegments: files.length }
  }

  /** Looks at each open segment; snapshots those whose writes are old enough (all, with `force`). */
  tick(force = false): void {
    const server = this.#server
    if (!server) return
    const now = Date.now()
    const windowMs = this.#options.config.lossWindow * 1000
    for (const view of server.namespaceFiles()) {
      const key = this.#stateKey(view)
      const state = this.#states.get(view.name) ?? { key, saved: null, dirtySince: null }
      this.#states.set(view.name, state)
      state.key = key
      if (state.saved === key) state.dirtySince = null
      else state.dirtySince ??= now
      if (state.dirtySince === null) continue
      if (!force && (windowMs === 0 || now - state.dirtySince < windowMs / 2)) continue
      const waiting = this.outbox.get(`snap:${view.name}`)
      if (
        waiting &&
        (this.outbox.isRunning(waiting.id) || (!force && now - waiting.capturedAt < windowMs / 2))
      )
        continue
      this.#snapshot(view, key, now)
    }
    this.evict()
  }

  /** Deletes uploaded closed segments, least recently used first, while the cache is over its size. */
  evict(): void {
    const server = this.#server
    if (!server) return
    const files = listDataFiles(this.#options.layout.zdbData)
    let used = files.reduce((sum, f) => sum + f.size, 0)
    const limit = this.#options.config.cacheSize
    if (used <= limit) return
    const open = new Map(server.namespaceFiles().map((v) => [v.name, v.fileId]))
    const root = this.#options.layout.zdbRoot
    const candidates = files
      .filter(
        (f) =>
          f.id < (open.get(f.ns) ?? 0) &&
          !this.#fetching.has(f.path) &&
          this.ledger.size(keyOf(root, f.path)) === f.size,
      )
      .map((f) => ({ ...f, used: this.#access.get(f.path) ?? f.mtimeMs }))
      .sort((a, b) => a.used - b.used)
    for (const file of candidates) {
      if (used <= limit) break
      if (!server.releaseDataFile(file.path)) continue
      rmSync(file.path, { force: true })
      this.#access.delete(file.path)
      used -= file.size
      this.counters.evicted++
    }
  }

  #stateKey(view: NamespaceFilesView): string {
    const size = (path: string) => {
      try {
        return statSync(path).size
      } catch {
        return -1
      }
    }
    return `${view.fileId}:${size(join(view.dataDir, `d${view.fileId}`))}:${size(join(view.indexDir, `i${view.fileId}`))}`
  }

  /**
   * Copies the open pair, index first: the zdb writes data before index and nothing else runs
   * between the two copies (both are synchronous), so the copied index points only into the
   * copied data.
   */
  #snapshot(view: NamespaceFilesView, key: string, now: number): void {
    const dir = join(this.#options.layout.staging, view.name, `${now}-${this.#snapSeq++}`)
    mkdirSync(dir, { recursive: true })
    const index = join(dir, `i${view.fileId}`)
    const data = join(dir, `d${view.fileId}`)
    copyFileSync(join(view.indexDir, `i${view.fileId}`), index)
    copyFileSync(join(view.dataDir, `d${view.fileId}`), data)
    this.#dirtyIndexes(view)
    this.outbox.add({
      id: `snap:${view.name}`,
      lane: view.name,
      fileId: view.fileId,
      uploads: [
        { file: data, keyDir: view.dataDir },
        { file: index, keyDir: view.indexDir },
      ],
      cleanup: [dir],
      capturedAt: now,
      state: key,
    })
  }

  /** Older index files changed in place (deletes, overwrites): upload them again. */
  #dirtyIndexes(view: NamespaceFilesView): void {
    const ids = view.dirty.filter((id) => id < view.fileId)
    for (const id of ids) this.#closed(view.name, id, { index: true })
    if (ids.length) this.#server?.clearDirty(view.name, ids)
  }

  /**
   * Uploads closed file `id` of `ns`: data before index, in one job, so a stored index never
   * points into data that is not stored.
   */
  #closed(ns: string, id: number, what: { data?: boolean; index?: boolean }): void {
    const { zdbData, zdbIndex } = this.#options.layout
    const files = [
      ...(what.data ? [dataFile(zdbData, ns, id)] : []),
      ...(what.index ? [indexFile(zdbIndex, ns, id)] : []),
    ]
    this.outbox.add({
      id: what.data ? `closed:${ns}:${id}` : `index:${ns}:${id}`,
      lane: ns,
      fileId: id,
      uploads: files.map((file) => ({ file, keyDir: dirname(file) })),
      cleanup: [],
      capturedAt: Date.now(),
    })
  }

  #descriptor(ns: string): void {
    const path = join(this.#options.layout.zdbIndex, ns, DESCRIPTOR)
    if (!existsSync(path)) return
    this.outbox.add({
      id: `desc:${ns}`,
      lane: ns,
      fileId: -1,
      uploads: [{ file: path, keyDir: dirname(path) }],
      cleanup: [],
      capturedAt: Date.now(),
    })
  }

  /**
   * Synchronous on purpose: the zdb clears the dirty list only if this returns 0 at once. The
   * closed index file itself waits for `jump-data`, which uploads it after its data file.
   */
  #jumpIndex(args: readonly string[]): number {
    const old = parseSegmentPath(args[0] ?? '')
    if (!old) return 1
    for (const id of (args[2] ?? '').split(' ').filter(Boolean).map(Number)) {
      if (id !== old.id) this.#closed(old.ns, id, { index: true })
    }
    return 0
  }

  #jumpData(path: string): void {
    const closed = parseSegmentPath(path)
    if (!closed) return
    // A snapshot of this segment still waiting is older than the closed file: never upload it after.
    this.outbox.drop((job) => !(job.id === `snap:${closed.ns}` && job.fileId <= closed.id))
    this.#closed(closed.ns, closed.id, { data: true, index: true })
  }

  async #fetch(path: string): Promise<number> {
    // The daemon writes the file before it replies: an eviction in between would unlink it and
    // fail the read that asked for it. The zdb retries the read right after (no timer between).
    this.#fetching.add(path)
    try {
      return await this.#retrieve(path)
    } finally {
      this.#fetching.delete(path)
    }
  }

  async #retrieve(path: string): Promise<number> {
    const started = Date.now()
    for (;;) {
      try {
        await this.#options.daemon.retrieve(path)
        this.counters.fetches++
        this.counters.fetchedBytes += statSync(path).size
        this.#access.set(path, Date.now())
        return 0
      } catch (error) {
        // The daemon restarting is worth a wait; a file that is not stored is not.
        const code = (error as { code?: string }).code
        const retry =
          (code === 'ERR_DAEMON_UNREACHABLE' || code === 'ERR_DAEMON_PROTOCOL') &&
          Date.now() - started < 30_000
        if (!retry) {
          this.counters.fetchFailures++
          this.#options.log(`cannot fetch ${path}: ${(error as Error).message}`)
          return 1
        }
        await new Promise((r) => setTimeout(r, 500))
      }
    }
  }

  #done(job: Job): void {
    const root = this.#options.layout.zdbRoot
    for (const upload of job.uploads) {
      try {
        this.counters.uploadedBytes += statSync(upload.file).size
      } catch {
        // Already cleaned.
      }
    }
    if (job.id.startsWith('snap:')) {
      const state = this.#states.get(job.lane)
      if (state && job.state) {
        state.saved = job.state
        state.dirtySince = state.key === job.state ? null : job.capturedAt
      }
      return
    }
    for (const upload of job.uploads) {
      try {
        this.ledger.record(keyOf(root, upload.file), statSync(upload.file).size)
      } catch {
        // Gone (evicted by hand?): nothing to record.
      }
    }
  }

  /** What an earlier run closed but did not upload (or did not record): queue it again. */
  #reconcile(): void {
    const server = this.#server!
    const root = this.#options.layout.zdbRoot
    let queued = 0
    for (const view of server.namespaceFiles()) {
      if (!this.ledger.size(keyOf(root, join(view.indexDir, DESCRIPTOR)))) this.#descriptor(view.name)
      for (let id = 0; id < view.fileId; id++) {
        if (this.outbox.has(`closed:${view.name}:${id}`)) continue
        const needs = (path: string) => {
          try {
            return this.ledger.size(keyOf(root, path)) !== statSync(path).size
          } catch {
            return false // evicted: it was uploaded before it could be
          }
        }
        const data = needs(dataFile(this.#options.layout.zdbData, view.name, id))
        const index = needs(indexFile(this.#options.layout.zdbIndex, view.name, id))
        if (!data && !index) continue
        this.#closed(view.name, id, { data, index })
        queued++
      }
    }
    if (queued > 0) this.#options.log(`queued ${queued} closed files not yet recorded as uploaded`)
  }
}
