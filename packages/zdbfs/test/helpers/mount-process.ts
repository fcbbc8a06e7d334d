/**
 * The `zdbfs` command (src/cli.ts through tsx) in its own process. A FUSE handler must never
 * share an event loop with code that blocks on the mount, so tests serve the mount from a child
 * and touch it only with async APIs and child processes.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const CLI = join(PACKAGE_DIR, 'src', 'cli.ts')

export interface MountProcess {
  mountpoint: string
  child: ChildProcess
  output: () => string
  /** SIGTERM: unmounts cleanly; waits for the exit. */
  stop(): Promise<void>
  /** SIGKILL: leaves a dead mount behind, as a crash would. */
  kill(): Promise<void>
}

export const run = (cmd: string, args: string[], options: { timeout?: number } = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      cmd,
      args,
      { timeout: options.timeout ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
        resolve({ code, stdout: String(stdout), stderr: String(stderr) })
      },
    )
  })

/** Lazily unmounts whatever is at `mountpoint` (a failed test must not leave a mount). */
export async function forceUnmount(mountpoint: string): Promise<void> {
  const r = await run('fusermount', ['-u', '-z', mountpoint])
  if (r.code !== 0) await run('umount', ['-l', mountpoint])
}

export function tempMountpoint(): string {
  return mkdtempSync(join(tmpdir(), 'zdbfs-mnt-'))
}

export async function startMount(options: {
  port: number
  mountpoint?: string
  /** Extra `-o` options. */
  opts?: string[]
  timeout?: number
}): Promise<MountProcess> {
  const mountpoint = options.mountpoint ?? tempMountpoint()
  const o = [`port=${options.port}`, 'autons', ...(options.opts ?? [])].join(',')
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '-o', o, mountpoint], {
    cwd: PACKAGE_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString()
  })
  child.stderr!.on('data', (c: Buffer) => {
    out += c.toString()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`zdbfs did not get ready: ${out}`)),
      options.timeout ?? 30_000,
    )
    const check = () => {
      if (out.includes('zdbfs: ready')) {
        clearTimeout(timer)
        child.stdout!.off('data', check)
        resolve()
      }
    }
    child.stdout!.on('data', check)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`zdbfs exited with ${code}: ${out}`))
    })
  })
  const alive = () => child.exitCode === null && child.signalCode === null
  return {
    mountpoint,
    child,
    output: () => out,
    async stop() {
      if (alive()) child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000)
      await exited
      clearTimeout(t)
      await stat(mountpoint).catch(() => forceUnmount(mountpoint))
    },
    async kill() {
      if (alive()) child.kill('SIGKILL')
      await exited
    },
  }
}

/** Stops a mount and its zdb, whatever state they are in, and removes their directories. */
export async function stopMountAndZdb(
  m: MountProcess | undefined,
  zdb: { stop(): Promise<void>; dir: string } | undefined,
): Promise<void> {
  await m?.stop().catch(() => {})
  if (m) {
    await forceUnmount(m.mountpoint)
    await rm(m.mountpoint, { recursive: true, force: true })
  }
  await zdb?.stop()
  if (zdb) await rm(zdb.dir, { recursive: true, force: true })
}
