/**
 * A QSFS node driven through the built `qsfs` command: `init`, `up` (or `recover`) in the
 * foreground as a child of the test, `status`, `check`, `repair`, and the ways to stop or kill
 * it. Every pid the node ever reported is remembered, so cleanup can kill what is left.
 */
import { existsSync, readFileSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { get } from 'node:http'
import { join } from 'node:path'
import {
  descendants,
  isAlive,
  LoggedProcess,
  QSFS,
  qsfs,
  type RunResult,
  signal,
  waitFor,
  waitGone,
} from './proc.js'

/** `run/node.json` of a running node. */
export interface RuntimeInfo {
  readonly pid: number
  readonly mountpoint: string
  readonly statusUrl: string | null
  readonly statusSocket: string
  readonly daemonPid: number | null
  readonly mountPid: number | null
}

/** What the tests read of `qsfs status --json`. */
export interface StatusJson {
  readonly running: boolean
  readonly mounted: boolean
  readonly backends: readonly { role: string; address: string; state: string; reason: string | null }[]
  readonly queue: { depth: number; running: number; failing: number; lastError: string | null }
  readonly cache: {
    usedBytes: number
    limitBytes: number
    localSegments: number
    evictedSegments: number
    fetches: number
  }
  readonly lastUpload: number | null
  readonly lossWindowSeconds: number
  readonly lossWindowLimit: number
  readonly uploadedBytes: number
  readonly fetchedBytes: number
}

export type FileState = 'healthy' | 'degraded' | 'pending' | 'lost'

export interface CheckJson {
  readonly files: readonly { path: string; state: FileState; detail: string | null }[]
  readonly counts: Record<FileState, number>
  readonly deep: boolean
}

export interface RepairJson {
  readonly repaired: readonly { path: string; shards: number }[]
  readonly failed: readonly { path: string; error: string }[]
  readonly after: CheckJson
}

export interface InitOptions {
  readonly backends: readonly string[]
  readonly dataShards?: number
  readonly parityShards?: number
  readonly segmentSize?: string
  readonly cacheSize?: string
  readonly lossWindow?: number
  readonly mountpoint?: string
}

/** One line with the counts, then one per file that is not healthy (with why). */
export function describeCheck(what: string, result: { code: number; report: CheckJson }): string[] {
  return [
    `${what}: ${JSON.stringify(result.report.counts)} (exit ${result.code})`,
    ...result.report.files
      .filter((f) => f.state !== 'healthy')
      .slice(0, 40)
      .map((f) => `  ${f.state} ${f.path}${f.detail ? `: ${f.detail}` : ''}`),
  ]
}

function parseJson<T>(what: string, result: RunResult): T {
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`${what} printed no JSON (exit ${result.code}):\n${result.stdout}${result.stderr}`)
  }
}

export class QsfsNode {
  readonly dir: string
  mountpoint: string
  /** The running `qsfs up` / `qsfs recover`, if any. */
  proc: LoggedProcess | null = null
  /** Every pid of this node seen (supervisor, daemons, mounts), for cleanup. */
  readonly pids = new Set<number>()

  constructor(dir: string, mountpoint = join(dir, 'mnt')) {
    this.dir = dir
    this.mountpoint = mountpoint
  }

  /** `qsfs init` with remote backends; throws unless it succeeds. */
  static async init(dir: string, options: InitOptions): Promise<QsfsNode> {
    const args = ['init', '--dir', dir, ...options.backends.flatMap((b) => ['--backend', b])]
    if (options.dataShards !== undefined) args.push('--data-shards', String(options.dataShards))
    if (options.parityShards !== undefined) args.push('--parity-shards', String(options.parityShards))
    args.push('--segment-size', options.segmentSize ?? '16MiB')
    args.push('--cache-size', options.cacheSize ?? '64MiB')
    args.push('--loss-window', String(options.lossWindow ?? 4))
    args.push('--status-listen', '127.0.0.1:0')
    if (options.mountpoint) args.push('--mountpoint', options.mountpoint)
    const result = await qsfs(args)
    if (result.code !== 0)
      throw new Error(`qsfs init failed (${result.code}):\n${result.stdout}${result.stderr}`)
    return new QsfsNode(dir, options.mountpoint ?? join(dir, 'mnt'))
  }

  get logFile(): string {
    return join(this.dir, '..', `${this.dir.split('/').pop()}.up.log`)
  }

  /** `qsfs up` in the foreground; resolves once it printed "node up". */
  async up(extra: readonly string[] = []): Promise<RuntimeInfo> {
    return this.#start(['up', '--dir', this.dir, ...extra])
  }

  /** `qsfs recover --dir DIR --mountpoint M` (then up); resolves once the node is up. */
  async recover(extra: readonly string[] = []): Promise<RuntimeInfo> {
    return this.#start(['recover', '--dir', this.dir, '--mountpoint', this.mountpoint, ...extra], 180_000)
  }

  async #start(args: string[], timeout = 90_000): Promise<RuntimeInfo> {
    if (this.proc?.running) throw new Error(`a node already runs on ${this.dir}`)
    const proc = new LoggedProcess(process.execPath, [QSFS, ...args], this.logFile)
    this.proc = proc
    this.pids.add(proc.pid)
    await proc.waitForOutput(/qsfs: node up on /, timeout)
    const info = this.runtime()
    if (info.pid !== proc.pid) throw new Error(`node.json names pid ${info.pid}, the node is ${proc.pid}`)
    return info
  }

  /** `run/node.json`; its pids are remembered for cleanup. */
  runtime(): RuntimeInfo {
    const file = join(this.dir, 'run', 'node.json')
    // The node rewrites it when it restarts a child: a read may meet it half written.
    for (let attempt = 1; ; attempt++) {
      try {
        const info = JSON.parse(readFileSync(file, 'utf8')) as RuntimeInfo
        for (const pid of [info.pid, info.daemonPid, info.mountPid]) if (pid) this.pids.add(pid)
        return info
      } catch (error) {
        if (!(error instanceof SyntaxError) || attempt >= 20) throw error
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10)
      }
    }
  }

  /** `qsfs status --dir DIR --json`. */
  async status(): Promise<StatusJson> {
    const result = await qsfs(['status', '--dir', this.dir, '--json'], { timeout: 30_000 })
    if (result.code !== 0) throw new Error(`qsfs status failed (${result.code}): ${result.stderr}`)
    return parseJson('qsfs status', result)
  }

  /**
   * The same report straight from the node's status socket (what `qsfs status` asks), without
   * starting a process: for polls that must be quick.
   */
  statusNow(): Promise<StatusJson> {
    const socketPath = join(this.dir, 'run', 'status.sock')
    return new Promise((resolve, reject) => {
      const req = get({ socketPath, path: '/api/status', timeout: 10_000 }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`status socket answered ${res.statusCode}: ${body}`))
          else resolve({ running: true, ...(JSON.parse(body) as Omit<StatusJson, 'running'>) })
        })
      })
      req.on('timeout', () => req.destroy(new Error('no answer in 10 s')))
      req.on('error', reject)
    })
  }

  /** `qsfs check [--deep] --json`: its exit code and report. */
  async check(deep: boolean): Promise<{ code: number; report: CheckJson }> {
    const result = await qsfs(['check', '--dir', this.dir, ...(deep ? ['--deep'] : []), '--json'], {
      timeout: 300_000,
    })
    return { code: result.code, report: parseJson('qsfs check', result) }
  }

  /** `qsfs repair --json`: its exit code and report. */
  async repair(): Promise<{ code: number; report: RepairJson }> {
    const result = await qsfs(['repair', '--dir', this.dir, '--json'], { timeout: 300_000 })
    return { code: result.code, report: parseJson('qsfs repair', result) }
  }

  /**
   * Waits until everything written is uploaded: the queue is empty and the loss window is 0
   * (as long as `also` holds too); returns the last status.
   */
  async waitUploaded(
    timeout = 120_000,
    also: (s: StatusJson) => boolean = () => true,
    what = 'the upload queue to drain and the loss window to reach 0',
  ): Promise<StatusJson> {
    // The loss window only counts writes the node's 1 s tick has seen: let it look first.
    await new Promise((r) => setTimeout(r, 1_500))
    return waitFor(
      what,
      async () => {
        const s = await this.status()
        return s.queue.depth === 0 && s.queue.running === 0 && s.lossWindowSeconds === 0 && also(s)
          ? s
          : undefined
      },
      { timeout, interval: 1_000 },
    )
  }

  /** Waits until the node restarted its child `which` (a new pid in node.json, alive). */
  async waitRestarted(which: 'daemonPid' | 'mountPid', old: number, timeout = 60_000): Promise<number> {
    return waitFor(
      `the node to restart its ${which === 'daemonPid' ? 'zstor daemon' : 'mount'} (old pid ${old})`,
      () => {
        const pid = this.runtime()[which]
        return pid && pid !== old && isAlive(pid) ? pid : undefined
      },
      { timeout, interval: 200 },
    )
  }

  /** Waits until the mountpoint answers (a live FUSE mount, not ENOTCONN). */
  async waitMounted(timeout = 60_000): Promise<void> {
    await waitFor(
      `${this.mountpoint} to be mounted`,
      async () => {
        const s = await this.status()
        if (!s.mounted) return false
        await stat(this.mountpoint)
        return mountedAt(this.mountpoint)
      },
      { timeout, interval: 300 },
    )
  }

  /** Stops the node as `qsfs down` would (SIGTERM, it unmounts and drains), killing it if it hangs. */
  async stop(grace = 60_000): Promise<{ code: number | null; signal: string | null } | null> {
    const proc = this.proc
    let exit: { code: number | null; signal: string | null } | null = null
    if (proc?.running) {
      signal(proc.pid, 'SIGTERM')
      const gone = await waitGone(proc.pid, grace)
      if (!gone) signal(proc.pid, 'SIGKILL')
      exit = await proc.exited
    }
    await this.killAll()
    return exit
  }

  /** `kill -9` of the node and every process of it (supervisor, daemon, mount, their children). */
  async killAll(): Promise<number[]> {
    if (existsSync(join(this.dir, 'run', 'node.json'))) {
      try {
        this.runtime()
      } catch {
        // Torn or gone: the pids seen before will do.
      }
    }
    const all = new Set<number>()
    for (const pid of this.pids) {
      // A pid seen long ago may belong to another process by now: only this node's are killed.
      if (!isAlive(pid) || !this.#owns(pid)) continue
      all.add(pid)
      for (const child of await descendants(pid)) all.add(child)
    }
    for (const pid of all) signal(pid, 'SIGKILL')
    for (const pid of all) await waitGone(pid, 10_000)
    await this.proc?.exited
    this.pids.clear()
    return [...all]
  }

  /** Whether `pid` runs the qsfs command on this node's directory. */
  #owns(pid: number): boolean {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
      return argv.includes(QSFS) && argv.includes(this.dir)
    } catch {
      return false
    }
  }
}

/** Whether a filesystem is mounted exactly at `path` (from /proc/self/mountinfo). */
export function mountedAt(path: string): boolean {
  return mountsUnder(path).includes(path)
}

/** Mount points at or below `root`, deepest first. */
export function mountsUnder(root: string): string[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8')
  const points = text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))))
    .filter((p) => p === root || p.startsWith(`${root}/`))
  return [...new Set(points)].sort((a, b) => b.length - a.length)
}
