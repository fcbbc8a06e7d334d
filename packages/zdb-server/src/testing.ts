/**
 * A zdb-server in a process of its own, for the tests and benchmarks of what is built on it
 * (`@qsfs/zdb-server/testing`): a process can be killed with SIGKILL, and it never shares an
 * event loop with the code under test (a FUSE mount's handlers, a client being profiled).
 *
 * It listens on port 0 unless told otherwise and reports the port it got in its startup line,
 * so there is no window in which another process takes a port picked in advance.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The built CLI. From the built package it sits beside this module; from the sources (this
 * package's own tests run them) it is in `dist`.
 */
export const ZDB_SERVER_CLI = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? '../dist/cli.js' : './cli.js', import.meta.url),
)

export interface SpawnZdbServerOptions {
  /** Data in `dir/data`, index in `dir/index` (created if missing; kept across restarts). */
  readonly dir: string
  /** Default 0: any free port. */
  readonly port?: number
  /** Default `127.0.0.1`. */
  readonly host?: string
  /** More flags, e.g. `['--mode', 'seq']`. */
  readonly args?: readonly string[]
  /** Another build's `cli.js` (to compare versions side by side). */
  readonly cli?: string
  /** Milliseconds to wait for the server to listen (default 15 s). */
  readonly timeout?: number
}

export interface ZdbServerProcess {
  readonly port: number
  readonly dir: string
  readonly child: ChildProcess
  /** What it printed so far (the last 8 KiB). */
  output(): string
  /** SIGTERM (a clean close, its hooks run), and its exit; SIGKILL after 10 s. */
  stop(): Promise<void>
  /** SIGKILL, as a crash, and its exit. */
  kill(): Promise<void>
}

/** Starts the server and resolves once it listens; rejects with its output if it exits first. */
export async function spawnZdbServer(options: SpawnZdbServerOptions): Promise<ZdbServerProcess> {
  const { dir } = options
  mkdirSync(dir, { recursive: true })
  const child = spawn(
    process.execPath,
    [
      options.cli ?? ZDB_SERVER_CLI,
      '--listen',
      options.host ?? '127.0.0.1',
      '--port',
      String(options.port ?? 0),
      '--data',
      join(dir, 'data'),
      '--index',
      join(dir, 'index'),
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  const collect = (chunk: Buffer): void => {
    out = (out + chunk.toString()).slice(-8192)
  }
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const port = await new Promise<number>((resolve, reject) => {
    const timeout = options.timeout ?? 15_000
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`zdb-server did not listen within ${timeout} ms: ${out}`))
    }, timeout)
    const onData = (): void => {
      const m = /listening on \S*:(\d+)/.exec(out)
      if (!m) return
      clearTimeout(timer)
      child.stdout!.off('data', onData)
      child.stderr!.off('data', onData)
      resolve(Number(m[1]))
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`zdb-server exited (${code ?? signal}) before it listened: ${out}`))
    })
  })
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill(signal)
    const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
  return { port, dir, child, output: () => out, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') }
}
