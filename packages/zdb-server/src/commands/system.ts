/**
 * PING, TIME, INFO, STOP and HOOKS (upstream zdbd/commands_system.c).
 * @module
 */
import type { CommandContext } from './context.js'

export function ping(ctx: CommandContext): void {
  ctx.out.simple('PONG')
}

/** `*2 $sec $usec`, both as strings as upstream sends them. */
export function time(ctx: CommandContext): void {
  const micros = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000))
  ctx.out
    .array(2)
    .bulk(String(micros / 1_000_000n))
    .bulk(String(micros % 1_000_000n))
}

/**
 * `HOOKS` (admin; the table checks the rights): every hook run of the last 300 s and every one
 * still running, oldest first, as `*6 $name *N($arg..) :pid :created :finished :exitcode`
 * (upstream zdbd/commands_system.c; `finished` is 0 while it runs). `*0` without `--hook`.
 */
export function hooks(ctx: CommandContext): void {
  const runs = ctx.server.hooks?.list() ?? []
  ctx.out.array(runs.length)
  for (const run of runs) {
    ctx.out.array(6).bulk(run.name).array(run.args.length)
    for (const arg of run.args) ctx.out.bulk(arg)
    ctx.out.integer(run.pid).integer(run.created).integer(run.finished).integer(run.status)
  }
}

/** Release builds refuse STOP; so does this server (stop it with a signal). */
export function stop(ctx: CommandContext): void {
  ctx.out.error('Unauthorized')
}

const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(2)

/** The INFO text: upstream's sections and field names, in upstream's order. */
export function info(ctx: CommandContext): void {
  const { stats, now, instanceId, revision } = ctx.server
  const cache = ctx.server.cache?.stats()
  const lines = [
    '# server',
    'server_name: 0-db (zdb)',
    `server_revision: ${revision}`,
    `engine_revision: ${revision}`,
    `instance_id: ${instanceId}`,
    `boot_time: ${stats.bootTime}`,
    `uptime: ${now() - stats.bootTime}`,
    '',
    '# clients',
    `clients_lifetime: ${stats.clientsLifetime}`,
    '',
    '# internals',
    'sequential_key_size: 8',
    '',
    '# stats',
    `commands_executed: ${stats.commandsExecuted}`,
    `commands_failed: ${stats.commandsFailed}`,
    `commands_unauthorized: ${stats.commandsUnauthorized}`,
    `index_disk_read_failed: ${stats.indexReadFailed}`,
    `index_disk_write_failed: ${stats.indexWriteFailed}`,
    `data_disk_read_failed: ${stats.dataReadFailed}`,
    `data_disk_write_failed: ${stats.dataWriteFailed}`,
    `index_disk_read_bytes: ${stats.indexReadBytes}`,
    `index_disk_read_mb: ${mb(stats.indexReadBytes)}`,
    `index_disk_write_bytes: ${stats.indexWriteBytes}`,
    `index_disk_write_mb: ${mb(stats.indexWriteBytes)}`,
    `data_disk_read_bytes: ${stats.dataReadBytes}`,
    `data_disk_read_mb: ${mb(stats.dataReadBytes)}`,
    `data_disk_write_bytes: ${stats.dataWriteBytes}`,
    `data_disk_write_mb: ${mb(stats.dataWriteBytes)}`,
    `network_rx_bytes: ${stats.networkRxBytes}`,
    `network_rx_mb: ${mb(stats.networkRxBytes)}`,
    `network_tx_bytes: ${stats.networkTxBytes}`,
    `network_tx_mb: ${mb(stats.networkTxBytes)}`,
    // Not upstream's: the payload cache (value-cache.ts), after upstream's fields.
    `value_cache_limit_bytes: ${cache?.limit ?? 0}`,
    `value_cache_entries: ${cache?.entries ?? 0}`,
    `value_cache_bytes: ${cache?.bytes ?? 0}`,
    `value_cache_hits: ${cache?.hits ?? 0}`,
    `value_cache_misses: ${cache?.misses ?? 0}`,
  ]
  ctx.out.bulk(`${lines.join('\n')}\n`)
}
