/**
 * What each `zstor` subcommand does (spec zstor.md §4). With `socket` in the config and a live
 * daemon on it, store / retrieve / rebuild / check go to the daemon, as upstream; with no
 * daemon they run in this process (upstream fails instead, contrary to its README).
 * @module
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createZstorClient, type ZstorClient } from '../client.js'
import type { ZstorConfig } from '../config/index.js'
import { allDataConfigs, dataBackends } from '../context.js'
import { startDaemon } from '../daemon/monitor.js'
import type { DaemonCommand, DaemonResponse } from '../daemon/protocol.js'
import { sendCommand, socketIsLive } from '../daemon/socket.js'
import { usableBackends } from '../data/write-object.js'
import { DaemonError, StoreError } from '../errors.js'
import { place } from '../placement.js'
import type { GlobalArgs } from './args.js'
import { bytes, progressReporter, table } from './format.js'

export interface Io {
  out(line: string): void
  err(line: string): void
}

type Flags = Record<string, string | boolean | undefined>

/** Exit code of a command that ran: 0 success, 1 failure. */
export type ExitCode = 0 | 1

async function viaDaemon(config: ZstorConfig, command: DaemonCommand): Promise<DaemonResponse | null> {
  if (!config.socket || !(await socketIsLive(config.socket))) return null
  const response = await sendCommand(config.socket, command)
  if (response.kind === 'error') throw new DaemonError('ERR_DAEMON_REPLY', response.message)
  return response
}

function client(config: ZstorConfig, label: string): { client: ZstorClient; done(): void } {
  const progress = progressReporter(process.stderr, label)
  return { client: createZstorClient({ config, onProgress: progress.update }), done: progress.end }
}

async function filesOf(path: string): Promise<string[]> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new StoreError('ERR_STORE_PATH', `cannot read ${path}: ${error.code ?? error.message}`)
  })
  if (!info.isDirectory()) return [path]
  const entries = await readdir(path, { withFileTypes: true })
  // Upstream stores the regular files directly inside a directory, without recursing.
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(path, e.name))
    .sort()
}

export async function run(
  command: string,
  flags: Flags,
  config: ZstorConfig,
  global: GlobalArgs,
  io: Io,
): Promise<ExitCode> {
  const file = flags.file as string | undefined
  switch (command) {
    case 'store': {
      const keyPath = (flags['key-path'] as string | undefined) ?? null
      const results: unknown[] = []
      for (const path of await filesOf(file!)) {
        const daemon = await viaDaemon(config, {
          kind: 'store',
          file: path,
          keyPath,
          saveFailure: Boolean(flags['save-failure']),
          delete: Boolean(flags.delete),
          blocking: !flags.notblocking,
        })
        if (daemon) {
          results.push({ path, queued: Boolean(flags.notblocking) })
          continue
        }
        const c = client(config, `store ${path}`)
        try {
          const stored = await c.client.store(path, keyPath ? { keyPath } : {})
          if (flags.delete) await import('node:fs/promises').then((fs) => fs.rm(path, { force: true }))
          results.push({ ...stored, checksum: Buffer.from(stored.checksum).toString('hex') })
          if (stored.metaMissing.length)
            io.err(
              `warning: metadata shard not written to ${stored.metaMissing.join(', ')}; run zstor rebuild -f ${path} once it is back`,
            )
        } finally {
          c.done()
          await c.client.close()
        }
      }
      if (global.json) io.out(JSON.stringify(results.length === 1 ? results[0] : results))
      return 0
    }
    case 'retrieve': {
      const output = flags.output as string | undefined
      if (!output && (await viaDaemon(config, { kind: 'retrieve', file: file! }))) return 0
      const c = client(config, `retrieve ${file}`)
      try {
        const got = await c.client.retrieve(file!, output ? { output } : {})
        if (global.json) io.out(JSON.stringify(got))
      } finally {
        c.done()
        await c.client.close()
      }
      return 0
    }
    case 'check': {
      if (!flags.deep && !global.json) {
        const daemon = await viaDaemon(config, { kind: 'check', path: file! })
        if (daemon) {
          if (daemon.kind === 'checksum') io.out(Buffer.from(daemon.checksum).toString('hex'))
          return 0
        }
      }
      const c = createZstorClient({ config })
      try {
        const result = await c.check(file!, { deep: Boolean(flags.deep) })
        if (global.json) io.out(JSON.stringify(result))
        else {
          if (result.checksum) io.out(result.checksum)
          for (const b of result.shards?.bad ?? [])
            io.err(`object ${b.object} shard ${b.index} on ${b.backend}: ${b.reason}`)
          for (const b of result.metaShards?.bad ?? []) io.err(`metadata shard on ${b.backend}: ${b.reason}`)
        }
        return result.found && !result.healthy ? 1 : 0
      } finally {
        await c.close()
      }
    }
    case 'rebuild': {
      const key = flags.key as string | undefined
      if (
        await viaDaemon(config, { kind: 'rebuild', file: file ?? null, key: key ?? null, hasMetadata: false })
      )
        return 0
      const c = createZstorClient({ config })
      try {
        const result = key ? await c.rebuildKey(key) : await c.rebuild(file!)
        if (global.json) io.out(JSON.stringify(result))
        else
          for (const p of result.problems)
            io.err(`object ${p.object} shard ${p.index} on ${p.backend}: ${p.reason} (rebuilt)`)
      } finally {
        await c.close()
      }
      return 0
    }
    case 'status': {
      const c = createZstorClient({ config })
      try {
        const reports = await c.status()
        let daemon: unknown = null
        if (config.socket && (await socketIsLive(config.socket))) {
          const reply = await sendCommand(config.socket, { kind: 'status' }, 5_000).catch(() => null)
          if (reply?.kind === 'json') daemon = JSON.parse(reply.json)
        }
        if (global.json) {
          io.out(JSON.stringify({ backends: reports, daemon }))
        } else {
          io.out(
            table(
              ['backend', 'type', 'state', 'objects', 'used', 'free', 'usage'],
              reports.map((r) => [
                r.label,
                r.role,
                r.state,
                r.entries === null ? '-' : String(r.entries),
                bytes(r.usedBytes),
                bytes(r.freeBytes),
                r.usagePercent === null ? '-' : `${r.usagePercent}%`,
              ]),
            ),
          )
          for (const r of reports) if (r.reason && r.state !== 'healthy') io.err(`${r.label}: ${r.reason}`)
        }
        return 0
      } finally {
        await c.close()
      }
    }
    case 'test': {
      const c = createZstorClient({ config })
      try {
        const { candidates, excluded } = await usableBackends(c.context, 1)
        const rules = {
          k: config.minimalShards,
          n: config.expectedShards,
          redundantGroups: config.redundantGroups,
          redundantNodes: config.redundantNodes,
        }
        const ok = place(candidates, rules) !== null
        const result = {
          backends: dataBackends(config).length,
          usable: candidates.length,
          excluded: Object.fromEntries(excluded),
          placement: ok,
        }
        if (global.json) io.out(JSON.stringify(result))
        else {
          for (const [label, reason] of excluded) io.err(`${label}: ${reason}`)
          io.out(
            `${candidates.length} of ${allDataConfigs(config).length} data backends usable; ${ok ? 'shards can be placed' : 'shards CANNOT be placed'}`,
          )
        }
        return ok ? 0 : 1
      } finally {
        await c.close()
      }
    }
    case 'monitor': {
      const { appendFileSync } = await import('node:fs')
      const log = global.logFile
        ? (line: string) => appendFileSync(global.logFile!, `${new Date().toISOString()} ${line}\n`)
        : (line: string) => io.err(`${new Date().toISOString()} ${line}`)
      const daemon = await startDaemon({ config, configPath: global.config, log, signals: true })
      log(
        `zstor monitor listening on ${daemon.socket}${daemon.metricsPort ? `, metrics on :${daemon.metricsPort}` : ''}`,
      )
      await new Promise(() => undefined)
      return 0
    }
    default:
      return 1
  }
}
