/**
 * What each `qsfs` command does.
 * @module
 */
import { get } from 'node:http'
import { resolve } from 'node:path'
import { setupBackends } from '../backend-setup.js'
import { checkNode, repairNode } from '../check.js'
import { nodeLayout } from '../config/layout.js'
import { loadNodeConfig, type NodeConfig, parseListen } from '../config/node-config.js'
import { parseSize } from '../config/sizes.js'
import { QsfsError } from '../errors.js'
import { initNode } from '../init.js'
import { runDaemonProcess } from '../node/daemon-process.js'
import { runMountProcess } from '../node/mount-process.js'
import { startNode } from '../node/node.js'
import { offlineStatus } from '../node/offline-status.js'
import { isAlive, runningPid } from '../node/pid-lock.js'
import { recoverNode } from '../recover.js'
import type { NodeStatus } from '../status/types.js'
import { type Invocation, seconds } from './args.js'
import { formatCheck, formatRepair, formatStatus } from './format.js'

type Run = Extract<Invocation, { kind: 'run' }>
const out = (text: string) => process.stdout.write(`${text}\n`)
const err = (text: string) => process.stderr.write(`${text}\n`)

function size(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined
  const bytes = parseSize(String(value))
  if (bytes === null)
    throw new QsfsError('ERR_USAGE', `--${name} must be a size like 4GiB or 512MiB, got '${String(value)}'`)
  return bytes
}

function count(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0)
    throw new QsfsError('ERR_USAGE', `--${name} must be a whole number, got '${String(value)}'`)
  return n
}

function listen(value: unknown): NodeConfig['status'] | undefined {
  if (value === undefined) return undefined
  const parsed = parseListen(String(value))
  if (parsed === undefined)
    throw new QsfsError('ERR_USAGE', `--status-listen must be host:port or off, got '${String(value)}'`)
  return parsed
}

function overrides(v: Run['values']): Partial<Pick<NodeConfig, 'mountpoint' | 'status'>> {
  const status = listen(v['status-listen'])
  return {
    ...(v.mountpoint ? { mountpoint: resolve(String(v.mountpoint)) } : {}),
    ...(status !== undefined ? { status } : {}),
  }
}

/** Runs the node in the foreground until SIGINT/SIGTERM. */
async function up(dir: string, v: Run['values']): Promise<number> {
  const drainTimeout = seconds(v['drain-timeout'], 'drain-timeout', 120) * 1000
  const node = await startNode({ dir, overrides: overrides(v), drainTimeout })
  out(`qsfs: node up on ${node.config.dir}`)
  out(`  filesystem  ${node.config.mountpoint}`)
  out(`  status page ${node.statusUrl ?? '(off)'}   (or: qsfs status --dir ${dir})`)
  out(`  stop with Ctrl-C or: qsfs down --dir ${dir}`)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    err(`qsfs: ${signal}: unmounting and uploading what is pending…`)
    node.stop().then(
      () => {
        err('qsfs: stopped')
        process.exit(0)
      },
      (error: Error) => {
        err(`qsfs: stop failed: ${error.message}`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
  return -1
}

async function down(dir: string, v: Run['values']): Promise<number> {
  const layout = nodeLayout(loadNodeConfig(dir).dir)
  const pid = runningPid(layout.pidFile)
  if (pid === null) throw new QsfsError('ERR_NODE_NOT_RUNNING', `no node runs on ${dir}`)
  const timeout = seconds(v.timeout, 'timeout', 300) * 1000
  process.kill(pid, 'SIGTERM')
  err(`qsfs: asked node ${pid} to stop; waiting for its uploads…`)
  const until = Date.now() + timeout
  while (isAlive(pid)) {
    if (Date.now() > until)
      throw new QsfsError('ERR_NODE_RUNNING', `node ${pid} still runs after ${timeout / 1000} s`)
    await new Promise((r) => setTimeout(r, 200))
  }
  out('qsfs: node stopped')
  return 0
}

/** GET /api/status from the running node's Unix socket. */
function fetchStatus(socketPath: string): Promise<NodeStatus> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) =>
      reject(new QsfsError('ERR_NODE_NOT_RUNNING', `the node's status socket ${socketPath}: ${why}`))
    const req = get({ socketPath, path: '/api/status', timeout: 10_000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => {
        if (res.statusCode !== 200) return fail(`answered ${res.statusCode}: ${body.trim()}`)
        resolve(JSON.parse(body) as NodeStatus)
      })
    })
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')))
    req.on('error', (error) => fail(error.message))
  })
}

async function status(dir: string, v: Run['values']): Promise<number> {
  const layout = nodeLayout(loadNodeConfig(dir).dir)
  let report: NodeStatus
  let running = false
  if (runningPid(layout.pidFile) !== null) {
    report = await fetchStatus(layout.statusSocket)
    running = true
  } else {
    report = await offlineStatus(dir)
  }
  out(v.json ? JSON.stringify({ running, ...report }, null, 2) : formatStatus(report, running))
  return 0
}

export async function runCommand(inv: Run): Promise<number> {
  const { dir, values: v } = inv
  switch (inv.command) {
    case 'init': {
      const result = initNode({
        dir,
        ...(v.local !== undefined ? { local: count(v.local, 'local')! } : {}),
        ...(v.backend ? { backends: v.backend as string[] } : {}),
        ...(v.meta ? { metaBackends: v.meta as string[] } : {}),
        ...(v['backend-password'] ? { backendPassword: String(v['backend-password']) } : {}),
        ...(v['data-namespace'] ? { dataNamespace: String(v['data-namespace']) } : {}),
        ...(v['meta-namespace'] ? { metaNamespace: String(v['meta-namespace']) } : {}),
        ...(v['data-shards'] !== undefined ? { dataShards: count(v['data-shards'], 'data-shards')! } : {}),
        ...(v['parity-shards'] !== undefined
          ? { parityShards: count(v['parity-shards'], 'parity-shards')! }
          : {}),
        ...(v.mountpoint ? { mountpoint: String(v.mountpoint) } : {}),
        ...(v['cache-size'] !== undefined ? { cacheSize: size(v['cache-size'], 'cache-size')! } : {}),
        ...(v['segment-size'] !== undefined ? { segmentSize: size(v['segment-size'], 'segment-size')! } : {}),
        ...(v['loss-window'] !== undefined
          ? { lossWindow: seconds(v['loss-window'], 'loss-window', 60) }
          : {}),
        ...(v['status-listen'] ? { statusListen: String(v['status-listen']) } : {}),
        ...(v['passphrase-env'] ? { passphraseEnv: String(v['passphrase-env']) } : {}),
        force: Boolean(v.force),
      })
      out(`qsfs: node created in ${result.dir}`)
      out(
        `  ${result.backends} backends, ${result.k} data + ${result.m} parity shards (${Math.round((result.m / result.k) * 100)} % overhead)`,
      )
      out(`  files: ${result.files.join(', ')}`)
      out(
        '  keep a copy of zstor.toml and the key (or passphrase) off this machine: `qsfs recover` needs them',
      )
      if (v.backend) {
        const setups = await setupBackends({
          data: v.backend as string[],
          meta: (v.meta as string[] | undefined) ?? (v.backend as string[]),
          dataNamespace: String(v['data-namespace'] ?? 'qsfs-data'),
          metaNamespace: String(v['meta-namespace'] ?? 'qsfs-meta'),
          ...(v['backend-password'] ? { password: String(v['backend-password']) } : {}),
          ...(v['backend-admin'] ? { admin: String(v['backend-admin']) } : {}),
        })
        for (const s of setups) {
          if (s.error)
            err(
              `  backend ${s.address}: not prepared (${s.error}); create its namespaces by hand (see the README, "Deploying on several machines")`,
            )
          else if (s.created.length) out(`  backend ${s.address}: created ${s.created.join(', ')}`)
          else out(`  backend ${s.address}: ready`)
        }
      }
      out(`  next: qsfs up --dir ${dir}`)
      return 0
    }
    case 'up':
      return up(dir, v)
    case 'down':
      return down(dir, v)
    case 'status':
      return status(dir, v)
    case 'check': {
      const report = await checkNode({ dir, deep: Boolean(v.deep) })
      out(v.json ? JSON.stringify(report, null, 2) : formatCheck(report))
      return report.counts.degraded + report.counts.lost > 0 ? 1 : 0
    }
    case 'repair': {
      const report = await repairNode({ dir })
      out(v.json ? JSON.stringify(report, null, 2) : formatRepair(report))
      return report.failed.length + report.after.counts.degraded + report.after.counts.lost > 0 ? 1 : 0
    }
    case 'recover': {
      const result = await recoverNode({ dir, log: (line) => err(`qsfs: ${line}`) })
      err(
        `qsfs: restored ${result.namespaces.length} namespaces in ${result.seconds.toFixed(1)} s; older segments come back when read`,
      )
      if (v['no-up']) return 0
      return up(dir, v)
    }
    case '_daemon':
      await runDaemonProcess(dir)
      return -1
    case '_mount':
      await runMountProcess(dir, v.mountpoint as string | undefined)
      return -1
  }
}
