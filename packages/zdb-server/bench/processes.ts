/** Child server processes for the benchmarks: start on a free port, wait for PING, stop. */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer, Socket } from 'node:net'
import { spawnZdbServer } from '../src/testing.js'

export interface Started {
  port: number
  child: ChildProcess
  stop(): void
}

export async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const { port } = srv.address() as { port: number }
  await new Promise((resolve) => srv.close(resolve))
  return port
}

export async function startProcess(command: string, args: (port: number) => string[]): Promise<Started> {
  const port = await freePort()
  const child = spawn(command, args(port), { stdio: ['ignore', 'ignore', 'inherit'] })
  return { port, child, stop: () => child.kill('SIGTERM') }
}

/** Resolves once the server on `port` answers PING; gives up after 10 s. */
export async function waitForPing(port: number): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket()
      s.once('error', () => resolve(false))
      s.connect(port, '127.0.0.1', () => s.write('*1\r\n$4\r\nPING\r\n'))
      s.once('data', (d) => {
        s.destroy()
        resolve(d.toString().startsWith('+PONG'))
      })
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`no server answered PING on port ${port} within 10 s`)
}

/**
 * Our built server (`dist/cli.js`) as a child process on `dir`, answering PING. Environment:
 * `BENCH_ZDB_ARGS`, more flags (space-separated, e.g. `--cache 0`); `BENCH_ZDB_CLI`, another
 * build's `cli.js` (to measure an earlier version side by side); `cli` overrides both.
 */
export async function startZdbServer(dir: string, cli?: string): Promise<Started> {
  const extra = (process.env.BENCH_ZDB_ARGS ?? '').split(' ').filter((a) => a !== '')
  const server = await spawnZdbServer({
    dir,
    args: extra,
    ...((cli ?? process.env.BENCH_ZDB_CLI) ? { cli: cli ?? process.env.BENCH_ZDB_CLI } : {}),
  })
  return { port: server.port, child: server.child, stop: () => void server.stop() }
}
