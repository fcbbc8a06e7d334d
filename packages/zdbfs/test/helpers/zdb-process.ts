/**
 * A zdb-server in its own process (its CLI from packages/zdb-server/dist), so that tests can
 * kill -9 it, and so that it never shares an event loop with code that touches a mount.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
export const ZDB_CLI = join(dirname(require.resolve('@qsfs/zdb-server/package.json')), 'dist', 'cli.js')

export interface ZdbProcess {
  port: number
  dir: string
  child: ChildProcess
  /** SIGTERM and wait. */
  stop(): Promise<void>
  /** SIGKILL and wait. */
  kill(): Promise<void>
}

export async function startZdb(
  options: { dir?: string; port?: number; args?: string[] } = {},
): Promise<ZdbProcess> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'zdbfs-zdb-'))
  const child = spawn(
    process.execPath,
    [
      ZDB_CLI,
      '--port',
      String(options.port ?? 0),
      '--mode',
      'seq',
      '--data',
      join(dir, 'data'),
      '--index',
      join(dir, 'index'),
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`zdb-server did not start: ${out}`)), 15_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /listening on [^:]+:(\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    child.stderr!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`zdb-server exited with ${code}: ${out}`))
    })
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await exited
  }
  return { port, dir, child, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') }
}
