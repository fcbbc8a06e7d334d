/**
 * `zstor monitor`: the daemon (spec zstor.md §4 "Daemon"). It serves upstream's socket protocol,
 * keeps the durable upload queue, runs the repairer, serves `/metrics`, reloads its config on
 * SIGHUP or SIGUSR1 without restarting, and stops on SIGINT/SIGTERM after the uploads in
 * flight finish (queued ones stay in the journal for the next start).
 * @module
 */
import { rmSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { dirname, join } from 'node:path'
import { createZstorClient, type ZstorClient } from '../client.js'
import { loadConfig, type ZstorConfig } from '../config/index.js'
import { allDataConfigs } from '../context.js'
import { DaemonError } from '../errors.js'
import { DaemonMetrics } from './metrics.js'
import type { DaemonCommand, DaemonResponse } from './protocol.js'
import { Repairer, sweepStoreIntents } from './repairer.js'
import { listenSocket } from './socket.js'
import { UploadQueue } from './upload-queue.js'

export interface DaemonOptions {
  readonly config: ZstorConfig
  /** Where the config was read from, to reload it on SIGHUP/SIGUSR1. */
  readonly configPath?: string
  readonly log?: (line: string) => void
  /** Install SIGHUP/SIGUSR1/SIGINT/SIGTERM handlers (the CLI does; tests drive reload and stop). */
  readonly signals?: boolean
  /** Milliseconds an unreachable backend waits before it triggers a repair sweep (30 s). */
  readonly repairGrace?: number
  /** Milliseconds between backend health probes (3 s, as upstream). */
  readonly probeInterval?: number
  /** First retry delay of failed uploads, ms (1 s). */
  readonly retryDelay?: number
}

export interface Daemon {
  readonly client: ZstorClient
  readonly queue: UploadQueue
  readonly repairer: Repairer
  readonly socket: string
  readonly metricsPort: number | null
  /** Re-reads the config (as on SIGHUP). */
  reload(config?: ZstorConfig): Promise<void>
  stop(): Promise<void>
}

/** Where queued uploads are journaled: `queue_dir`, else `zstor-queue` beside the socket. */
export function queueDirOf(config: ZstorConfig, socket: string): string {
  return config.queueDir ?? join(dirname(socket), 'zstor-queue')
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config } = options
  const log = options.log ?? ((line: string) => console.error(`${new Date().toISOString()} ${line}`))
  if (!config.socket) {
    throw new DaemonError(
      'ERR_DAEMON_UNREACHABLE',
      'the config has no `socket`: the daemon needs one to listen on (add socket = "/run/zstor.sock")',
    )
  }
  const socketPath = config.socket
  // Beside the journal: a store the daemon was killed in is swept by the next daemon.
  const client = createZstorClient({ config, intentDir: join(queueDirOf(config, socketPath), 'intents') })
  const queue = new UploadQueue({
    client,
    dir: queueDirOf(config, socketPath),
    log,
    ...(options.retryDelay !== undefined ? { baseDelay: options.retryDelay } : {}),
    onResult: (_job, error) => metrics.finished('store', error === null),
  })
  const repairer = new Repairer({
    client,
    interval: config.repairInterval,
    log,
    ...(options.repairGrace !== undefined ? { grace: options.repairGrace } : {}),
    ...(options.probeInterval !== undefined ? { probeInterval: options.probeInterval } : {}),
    onSweep: (r) => {
      for (let i = 0; i < r.repaired; i++) metrics.finished('rebuild', true)
      for (let i = 0; i < r.failed; i++) metrics.finished('rebuild', false)
    },
  })
  const metrics = new DaemonMetrics({
    backends: () => client.status(),
    counters: () => client.context.counters,
    queue: () => queue.stats(),
  })

  const handle = async (command: DaemonCommand): Promise<DaemonResponse> => {
    const name = command.kind === 'status' ? null : command.kind
    try {
      const response = await run(command)
      if (name && !(command.kind === 'store' && !command.blocking)) metrics.finished(name, true)
      return response
    } catch (error) {
      if (name) metrics.finished(name, false)
      return { kind: 'error', message: (error as Error).message }
    }
  }
  const run = async (command: DaemonCommand): Promise<DaemonResponse> => {
    switch (command.kind) {
      case 'store':
        if (command.blocking)
          await client.store(command.file, command.keyPath ? { keyPath: command.keyPath } : {})
        else await queue.enqueue(command.file, { keyPath: command.keyPath, delete: command.delete })
        return { kind: 'success' }
      case 'retrieve':
        await client.retrieve(command.file)
        return { kind: 'success' }
      case 'rebuild':
        if (command.key) await client.rebuildKey(command.key)
        else if (command.file) await client.rebuild(command.file)
        else throw new DaemonError('ERR_DAEMON_PROTOCOL', 'rebuild needs a file or a key')
        return { kind: 'success' }
      case 'check': {
        const result = await client.check(command.path)
        return result.checksum
          ? { kind: 'checksum', checksum: Buffer.from(result.checksum, 'hex') }
          : { kind: 'success' }
      }
      case 'status':
        return {
          kind: 'json',
          json: JSON.stringify({
            queue: queue.stats(),
            lastSweep: repairer.lastSweep,
            counters: client.context.counters,
          }),
        }
    }
  }

  const loaded = await queue.start()
  if (loaded > 0) log(`resuming ${loaded} queued uploads from ${queueDirOf(config, socketPath)}`)
  const listener = await listenSocket(socketPath, handle)
  let metricsServer: Server | null = null
  if (config.prometheusPort !== null) metricsServer = await metrics.listen(config.prometheusPort)
  const metricsAddress = metricsServer?.address()
  if (config.pidFile) writeFileSync(config.pidFile, `${process.pid}\n`)
  repairer.start()
  void sweepStoreIntents(client, log)

  const reload = async (next?: ZstorConfig) => {
    const fresh = next ?? (options.configPath ? await loadConfig(options.configPath) : null)
    if (!fresh) return
    const before = new Set(allDataConfigs(client.config).map((b) => b.label))
    await client.reload(fresh)
    const removed = [...before].filter((label) => !allDataConfigs(fresh).some((b) => b.label === label))
    log(`config reloaded${removed.length ? `; backends removed: ${removed.join(', ')}` : ''}`)
    if (removed.length) void repairer.sweep(`removed from the config: ${removed.join(', ')}`)
  }
  let stopping: Promise<void> | null = null
  const stop = () => {
    stopping ??= (async () => {
      await listener.close()
      await repairer.stop()
      await queue.stop()
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()))
      await client.close()
      if (config.pidFile) rmSync(config.pidFile, { force: true })
    })()
    return stopping
  }
  if (options.signals) {
    const onReload = () =>
      void reload().catch((error: Error) =>
        log(`config reload failed, keeping the old one: ${error.message}`),
      )
    process.on('SIGHUP', onReload)
    process.on('SIGUSR1', onReload)
    const onStop = (signal: string) => {
      log(`${signal}: stopping`)
      void stop().then(() => process.exit(0))
    }
    process.once('SIGINT', onStop)
    process.once('SIGTERM', onStop)
  }
  return {
    client,
    queue,
    repairer,
    socket: socketPath,
    metricsPort: metricsAddress && typeof metricsAddress === 'object' ? metricsAddress.port : null,
    reload,
    stop,
  }
}
