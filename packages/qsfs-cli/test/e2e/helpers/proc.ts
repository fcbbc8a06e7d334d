/**
 * Processes for the end-to-end tests: commands run to completion, long-lived children whose
 * output goes to a log file, polling, and the process tree of a pid (read from /proc).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..')
export const PKG = join(REPO, 'packages', 'qsfs-cli')
/** The built `qsfs` command (the tests run what users run). */
export const QSFS = join(PKG, 'dist', 'cli', 'main.js')
/** The built zdb server, the backends. */
export const ZDB_SERVER = join(REPO, 'packages', 'zdb-server', 'dist', 'cli.js')

/** Fails early, with the command that fixes it, when the CLIs are not built. */
export function assertBuilt(): void {
  for (const file of [QSFS, ZDB_SERVER]) {
    if (!existsSync(file))
      throw new Error(
        `${file} is missing: build first (pnpm --filter @qsfs/zdb-server build && pnpm --filter @qsfs/zstor-client build && pnpm --filter @qsfs/zdbfs build && pnpm --filter @qsfs/qsfs-cli build)`,
      )
  }
  if (process.getuid?.() !== 0) throw new Error('the e2e tests mount FUSE filesystems and need root')
  if (!existsSync('/dev/fuse')) throw new Error('the e2e tests need /dev/fuse')
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export interface RunResult {
  readonly code: number
  readonly signal: string | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a command to completion; never throws (the caller looks at `code`). */
export function run(
  cmd: string,
  args: readonly string[],
  options: { timeout?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      [...args],
      {
        timeout: options.timeout ?? 120_000,
        maxBuffer: 256 * 1024 * 1024,
        env: options.env ?? process.env,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & { signal?: string | null }) | null
        const code = e ? (typeof e.code === 'number' ? e.code : 1) : 0
        resolve({ code, signal: e?.signal ?? null, stdout: String(stdout), stderr: String(stderr) })
      },
    )
  })
}

/** Runs a command and throws (with its output) unless it exits 0. */
export async function mustRun(
  cmd: string,
  args: readonly string[],
  options: { timeout?: number } = {},
): Promise<RunResult> {
  const result = await run(cmd, args, options)
  if (result.code !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${result.code}${result.signal ? ` (${result.signal})` : ''}\n${result.stdout}${result.stderr}`,
    )
  return result
}

/** `qsfs ARGS` with the built CLI. */
export function qsfs(args: readonly string[], options: { timeout?: number } = {}): Promise<RunResult> {
  return run(process.execPath, [QSFS, ...args], options)
}

/**
 * Polls `probe` until it returns something other than undefined/false/null; throws after
 * `timeout` ms with `what` and the last value or error seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: { timeout?: number; interval?: number } = {},
): Promise<T> {
  const timeout = options.timeout ?? 60_000
  const interval = options.interval ?? 500
  const until = Date.now() + timeout
  let last: unknown = 'nothing yet'
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined && value !== null && value !== false) return value as T
      last = value
    } catch (error) {
      last = error instanceof Error ? error.message : error
    }
    if (Date.now() > until)
      throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}; last: ${show(last)}`)
    await sleep(interval)
  }
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text && text.length > 2000 ? `${text.slice(0, 2000)}…` : String(text)
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  // A zombie (killed, not reaped yet) answers signal 0 too; it is dead for our purposes.
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).state !== 'Z'
  } catch {
    return false
  }
}

function parseStat(text: string): { state: string; ppid: number } {
  // pid (comm) state ppid …; comm may hold spaces and parentheses.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { state: rest[0]!, ppid: Number(rest[1]) }
}

/** Sends `signal` to `pid`; a process that is already gone is not an error. */
export function signal(pid: number | null | undefined, sig: NodeJS.Signals): boolean {
  if (!pid) return false
  try {
    process.kill(pid, sig)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw error
  }
}

/** Every descendant of `pid` (children, their children, …), from /proc. */
export async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>()
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const { ppid } = parseStat(await readFile(`/proc/${name}/stat`, 'utf8'))
      const list = parents.get(ppid) ?? []
      list.push(Number(name))
      parents.set(ppid, list)
    } catch {
      // Exited while we looked.
    }
  }
  const out: number[] = []
  const queue = [pid]
  while (queue.length > 0) {
    for (const child of parents.get(queue.shift()!) ?? []) {
      out.push(child)
      queue.push(child)
    }
  }
  return out
}

/** Waits until `pid` is gone; false if it still runs after `timeout` ms. */
export async function waitGone(pid: number, timeout: number): Promise<boolean> {
  const until = Date.now() + timeout
  while (isAlive(pid)) {
    if (Date.now() > until) return false
    await sleep(50)
  }
  return true
}

/** A long-lived child: output appended to a log file and kept (the tail) in memory. */
export class LoggedProcess {
  readonly child: ChildProcess
  readonly logFile: string
  readonly exited: Promise<{ code: number | null; signal: string | null }>
  #tail = ''
  #ended = false
  readonly #log: WriteStream
  readonly #listeners = new Set<() => void>()

  constructor(cmd: string, args: readonly string[], logFile: string, env?: NodeJS.ProcessEnv) {
    this.logFile = logFile
    this.#log = createWriteStream(logFile, { flags: 'a' })
    this.#log.write(`\n$ ${`${cmd} ${args.join(' ')}`.slice(0, 300)}\n`)
    this.child = spawn(cmd, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env })
    const take = (chunk: Buffer) => {
      this.#log.write(chunk)
      this.#tail = (this.#tail + chunk.toString()).slice(-200_000)
      for (const listener of this.#listeners) listener()
    }
    this.child.stdout!.on('data', take)
    this.child.stderr!.on('data', take)
    this.exited = new Promise((resolve) => {
      let done = false
      const finish = (code: number | null, sig: string | null) => {
        if (done) return
        done = true
        this.#ended = true
        // Let the pipes drain into the log before it closes.
        setTimeout(() => {
          this.#log.end()
          for (const listener of this.#listeners) listener()
          resolve({ code, signal: sig })
        }, 50)
      }
      this.child.once('exit', finish)
      // A process that could not be started may emit no 'exit'.
      this.child.once('error', (error) => {
        take(Buffer.from(`spawn failed: ${error.message}\n`))
        if (this.child.pid === undefined) finish(null, 'spawn-error')
      })
    })
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.logFile}: the process did not start`)
    return this.child.pid
  }

  get running(): boolean {
    return !this.#ended && this.child.exitCode === null && this.child.signalCode === null
  }

  output(): string {
    return this.#tail
  }

  /** Resolves once the output matches `pattern`; rejects if the process exits first or on timeout. */
  waitForOutput(pattern: RegExp, timeout: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const finish = (error: Error | null, match?: RegExpMatchArray) => {
        clearTimeout(timer)
        this.#listeners.delete(check)
        if (error) reject(error)
        else resolve(match!)
      }
      const check = () => {
        const match = this.#tail.match(pattern)
        if (match) return finish(null, match)
        if (!this.running)
          finish(
            new Error(
              `process ${this.pid} exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${pattern}:\n${this.#tail.slice(-4000)}`,
            ),
          )
      }
      const timer = setTimeout(
        () =>
          finish(
            new Error(
              `no ${pattern} from process ${this.pid} within ${timeout / 1000} s:\n${this.#tail.slice(-4000)}`,
            ),
          ),
        timeout,
      )
      this.#listeners.add(check)
      check()
    })
  }

  /** SIGTERM, then SIGKILL after `grace` ms; resolves once it exited. */
  async stop(grace = 30_000): Promise<void> {
    if (!this.running) return void (await this.exited)
    signal(this.pid, 'SIGTERM')
    const timer = setTimeout(() => signal(this.pid, 'SIGKILL'), grace)
    await this.exited
    clearTimeout(timer)
  }

  async kill(): Promise<void> {
    if (this.running) signal(this.pid, 'SIGKILL')
    await this.exited
  }
}
