/**
 * Prometheus metrics with upstream's names (spec zstor.md §4 "Prometheus metrics", no prefix,
 * including the "zstore" spelling, so existing dashboards keep working), plus ours: upload
 * queue depth, bytes stored and retrieved, shards repaired, backend health. Upstream's quirks
 * (rebuild success counted from retrieves, `data_faults` from `data_io_errors`) are not copied.
 * Served by `prom-client`, the registry most Node services use.
 * @module
 */
import { createServer, type Server } from 'node:http'
import { Counter, Gauge, Registry } from 'prom-client'
import type { ClientCounters } from '../context.js'
import type { BackendReport } from '../status.js'
import type { QueueStats } from './upload-queue.js'

export type CommandName = 'store' | 'retrieve' | 'rebuild' | 'check'

export interface MetricsSources {
  backends(): Promise<BackendReport[]>
  counters(): ClientCounters
  queue(): QueueStats
}

export class DaemonMetrics {
  readonly registry = new Registry()
  readonly #commands: Record<CommandName, Counter<'success'>>

  constructor(sources: MetricsSources) {
    const registers = [this.registry]
    const labelNames = ['address', 'namespace', 'backend_type'] as const
    const backendGauges = {
      connection_status: (r: BackendReport) => (r.state === 'unreachable' ? 0 : 1),
      entries: (r: BackendReport) => r.entries,
      data_size_bytes: (r: BackendReport) => r.usedBytes,
      data_limit_bytes: (r: BackendReport) =>
        r.limitBytes ?? (r.freeBytes !== null && r.usedBytes !== null ? r.usedBytes + r.freeBytes : null),
      backend_healthy: (r: BackendReport) => (r.state === 'healthy' ? 1 : 0),
      backend_free_bytes: (r: BackendReport) => r.freeBytes,
    }
    // One probe per scrape feeds every backend gauge: prom-client collects metrics in
    // parallel, so each gauge awaits the same probe.
    let probe: { at: number; reports: Promise<BackendReport[]> } | null = null
    const reports = () => {
      if (!probe || Date.now() - probe.at > 1_000) probe = { at: Date.now(), reports: sources.backends() }
      return probe.reports
    }
    for (const [name, pick] of Object.entries(backendGauges)) {
      new Gauge({
        name,
        help: `zdb backend ${name.replace(/_/g, ' ')}`,
        labelNames,
        registers,
        async collect() {
          this.reset()
          for (const r of await reports()) {
            const value = pick(r)
            if (value !== null)
              this.set({ address: r.address, namespace: r.namespace, backend_type: r.role }, value)
          }
        },
      })
    }
    this.#commands = {
      store: this.#counter('zstore_store_commands_finished'),
      retrieve: this.#counter('zstore_retrieve_commands_finished'),
      rebuild: this.#counter('zstore_rebuild_commands_finished'),
      check: this.#counter('zstore_check_commands_finished'),
    }
    const fromCounters = (name: string, help: string, pick: (c: ClientCounters) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(pick(sources.counters()))
        },
      })
    fromCounters('zstor_bytes_stored_total', 'bytes stored since start', (c) => c.bytesStored)
    fromCounters('zstor_bytes_retrieved_total', 'bytes retrieved since start', (c) => c.bytesRetrieved)
    fromCounters('zstor_shards_repaired_total', 'data shards rebuilt since start', (c) => c.shardsRepaired)
    fromCounters(
      'zstor_meta_shards_repaired_total',
      'metadata shards rewritten since start',
      (c) => c.metaShardsRepaired,
    )
    new Gauge({
      name: 'zstor_upload_queue_depth',
      help: 'uploads waiting in the durable queue',
      registers,
      collect() {
        this.set(sources.queue().depth)
      },
    })
    new Gauge({
      name: 'zstor_upload_queue_failing',
      help: 'queued uploads whose last attempt failed',
      registers,
      collect() {
        this.set(sources.queue().failing)
      },
    })
  }

  #counter(name: string): Counter<'success'> {
    return new Counter({
      name,
      help: `${name.replace(/_/g, ' ')}`,
      labelNames: ['success'],
      registers: [this.registry],
    })
  }

  /** Counts a finished command (upstream's `success` label: `true` / `false`). */
  finished(command: CommandName, success: boolean): void {
    this.#commands[command].inc({ success: String(success) })
  }

  /** Serves `/metrics` on `port` (all interfaces, as upstream's `[::]:port`). */
  async listen(port: number, host = '::'): Promise<Server> {
    const server = createServer(async (req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('not found: try /metrics\n')
        return
      }
      try {
        const body = await this.registry.metrics()
        res.writeHead(200, { 'content-type': this.registry.contentType }).end(body)
      } catch (error) {
        res.writeHead(500).end(`${(error as Error).message}\n`)
      }
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve())
    })
    return server
  }
}
