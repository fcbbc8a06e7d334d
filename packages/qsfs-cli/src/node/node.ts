/**
 * `qsfs up`: one node. In this process: the local zdb (its hook is the {@link Offloader}), the
 * backends of a `--local` node, the status page. As processes of their own, restarted if they
 * die: the zstor daemon (all erasure coding and network I/O, off the zdb's event loop) and the
 * FUSE mount (so a crash of either leaves the zdb and the queue intact).
 * @module
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createZdbServer, type ZdbLogger, type ZdbServer } from '@qsfs/zdb-server'
import { createZstorClient, type ZstorClient } from '@qsfs/zstor-client'
import { checkNode } from '../check.js'
import { type NodeLayout, nodeLayout } from '../config/layout.js'
import { loadNodeConfig, type NodeConfig } from '../config/node-config.js'
import { nodeZstorConfig } from '../config/zstor-runtime.js'
import { type StatusServer, startStatusServer } from '../status/http.js'
import type { NodeStatus } from '../status/types.js'
import { VERSION } from '../version.js'
import { Child } from './child.js'
import { daemonLink } from './daemon-link.js'
import { cliEntry } from './entry.js'
import { type LocalBackends, startLocalBackends } from './local-backends.js'
import { StatusSource } from './node-status.js'
import { Offloader } from './offload.js'
import { acquirePidFile } from './pid-lock.js'

export interface StartNodeOptions {
  readonly dir: string
  /** Overrides of qsfs.toml for this run. */
  readonly overrides?: Partial<Pick<NodeConfig, 'mountpoint' | 'status' | 'lossWindow' | 'cacheSize'>>
  /** Milliseconds `stop` waits for pending uploads before leaving them queued for the next start (120 s). */
  readonly drainTimeout?: number
  readonly log?: (line: string) => void
  /** Start the FUSE mount (default true); off for tests and `recover --no-mount`. */
  readonly mount?: boolean
}

/** What `run/node.json` tells other commands about the running node. */
export interface RuntimeInfo {
  readonly pid: number
  readonly startedAt: number
  readonly mountpoint: string
  readonly statusUrl: string | null
  /** The status API (`/api/status`) over HTTP on this Unix socket. */
  readonly statusSocket: string
  readonly zdbSocket: string
  readonly daemonPid: number | null
  readonly mountPid: number | null
}

export interface QsfsNode {
  readonly config: NodeConfig
  readonly layout: NodeLayout
  readonly zdb: ZdbServer
  readonly offloader: Offloader
  readonly statusUrl: string | null
  readonly daemon: Child
  readonly mount: Child | null
  status(): Promise<NodeStatus>
  /** Unmounts, uploads what is pending (up to the drain timeout), stops every part. */
  stop(): Promise<void>
}

function zdbLogger(log: (line: string) => void): ZdbLogger {
  const noop = () => {}
  return {
    debug: noop,
    info: (m) => log(`zdb: ${m}`),
    warn: (m) => log(`zdb: ${m}`),
    error: (m) => log(`zdb: ${m}`),
  }
}

export async function startNode(options: StartNodeOptions): Promise<QsfsNode> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`))
  const loaded = loadNodeConfig(options.dir)
  const config: NodeConfig = { ...loaded, ...options.overrides }
  const layout = nodeLayout(config.dir)
  for (const dir of [layout.run, layout.logs, layout.zdbData, layout.zdbIndex, config.mountpoint])
    mkdirSync(dir, { recursive: true })
  const zstorConfig = await nodeZstorConfig(config)
  const release = acquirePidFile(layout.pidFile, config.dir)
  const cleanup: (() => Promise<void> | void)[] = [release]
  const unwind = async () => {
    for (const fn of cleanup.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined)
  }
  try {
    let backends: LocalBackends | null = null
    if (config.localBackends > 0) {
      backends = await startLocalBackends(config.localBackendsDir, config.localBackends, zdbLogger(log))
      const started = backends
      cleanup.push(() => started.close())
    }
    const entry = cliEntry()
    const link = daemonLink(layout.zstorSocket)
    let offloader: Offloader | null = null
    // Rewrites run/node.json with the new pids once it exists.
    let restarted = () => {}
    const daemon = new Child({
      name: 'zstor daemon',
      entry,
      args: ['_daemon', '--dir', config.dir],
      logFile: join(layout.logs, 'zstor.log'),
      log,
      onRestart: () => {
        offloader?.outbox.kick()
        restarted()
      },
    })
    await daemon.start()
    cleanup.push(() => daemon.stop())
    offloader = new Offloader({ config, layout, daemon: link, log })
    const off = offloader
    const zdb = await createZdbServer({
      socket: layout.zdbSocket,
      dataDir: layout.zdbData,
      indexDir: layout.zdbIndex,
      datasize: config.segmentSize,
      mode: 'mixed',
      hook: off.hook,
      onDataRead: off.touched,
      logger: zdbLogger(log),
    })
    cleanup.push(() => zdb.close())
    off.start(zdb)
    cleanup.push(() => off.stop())
    let mount: Child | null = null
    if (options.mount !== false) {
      const m = new Child({
        name: 'zdbfs mount',
        entry,
        args: ['_mount', '--dir', config.dir, '--mountpoint', config.mountpoint],
        logFile: join(layout.logs, 'zdbfs.log'),
        log,
        onRestart: () => restarted(),
      })
      await m.start()
      mount = m
      cleanup.push(() => m.stop())
    }
    const client: ZstorClient = createZstorClient({ config: zstorConfig })
    cleanup.push(() => client.close())
    const source = new StatusSource({
      version: VERSION,
      dir: config.dir,
      mountpoint: config.mountpoint,
      cacheSize: config.cacheSize,
      lossWindow: config.lossWindow,
      offloader: off,
      client,
      mounted: () => mount?.running ?? false,
      check: () => checkNode({ dir: config.dir, client }),
    })
    source.start()
    cleanup.push(() => source.stop())
    const local = await startStatusServer({ socket: layout.statusSocket, status: () => source.status() })
    cleanup.push(() => local.close())
    let statusServer: StatusServer | null = null
    if (config.status) {
      statusServer = await startStatusServer({ ...config.status, status: () => source.status() })
      const s = statusServer
      cleanup.push(() => s.close())
    }
    const runtime: RuntimeInfo = {
      pid: process.pid,
      startedAt: Date.now(),
      mountpoint: config.mountpoint,
      statusUrl: statusServer?.url ?? null,
      statusSocket: layout.statusSocket,
      zdbSocket: layout.zdbSocket,
      daemonPid: daemon.pid,
      mountPid: mount?.pid ?? null,
    }
    const writeRuntime = () =>
      writeFileSync(
        layout.runtimeFile,
        `${JSON.stringify({ ...runtime, daemonPid: daemon.pid, mountPid: mount?.pid ?? null }, null, 2)}\n`,
      )
    writeRuntime()
    restarted = writeRuntime
    cleanup.push(() => rmSync(layout.runtimeFile, { force: true }))

    let stopping: Promise<void> | null = null
    const drainTimeout = options.drainTimeout ?? 120_000
    return {
      config,
      layout,
      zdb,
      offloader: off,
      statusUrl: statusServer?.url ?? null,
      daemon,
      mount,
      status: () => source.status(),
      stop() {
        stopping ??= (async () => {
          // Unmount first: the kernel's last writes reach the zdb before the final upload.
          await statusServer?.close()
          await mount?.stop()
          const drained = await off.flush(drainTimeout)
          if (!drained)
            log(`uploads still pending after ${drainTimeout / 1000} s; they stay queued for the next start`)
          await unwind()
        })()
        return stopping
      },
    }
  } catch (error) {
    await unwind()
    throw error
  }
}
