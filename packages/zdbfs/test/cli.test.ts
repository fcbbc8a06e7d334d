import { execFile } from 'node:child_process'
import * as fsp from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CLI, forceUnmount, PACKAGE_DIR, tempMountpoint } from './helpers/mount-process.js'
import { startZdb } from './helpers/zdb-process.js'

const zdbfs = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { cwd: PACKAGE_DIR, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    )
  })

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
}, 60_000)

describe('the zdbfs command', () => {
  it('prints its usage with -h and exits 0', async () => {
    const r = await zdbfs(['-h'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/usage: zdbfs \[options\] <mountpoint>/)
  })

  it('exits 1 with one line for a bad option or a missing mountpoint', async () => {
    const bad = await zdbfs(['-o', 'port=0', '/mnt'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toBe("zdbfs: ERR_ZDBFS_OPTION: port must be a port 1..65535, got '0'\n")
    expect((await zdbfs([])).code).toBe(1)
  })

  it('with -o background, exits 0 once mounted and leaves the mount served until SIGTERM', async () => {
    const zdb = await startZdb()
    const mnt = tempMountpoint()
    cleanups.push(
      () => zdb.stop(),
      () => fsp.rm(zdb.dir, { recursive: true, force: true }),
    )
    cleanups.push(
      () => fsp.rm(mnt, { recursive: true, force: true }),
      () => forceUnmount(mnt),
    )
    const r = await zdbfs(['-o', `port=${zdb.port},autons,background`, mnt])
    expect(r.code).toBe(0)
    const pid = Number(/pid (\d+)/.exec(r.stdout)?.[1])
    expect(pid).toBeGreaterThan(0)
    await fsp.writeFile(join(mnt, 'bg'), 'served by the detached process')
    expect(await fsp.readFile(join(mnt, 'bg'), 'utf8')).toBe('served by the detached process')
    process.kill(pid, 'SIGTERM')
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0)
      } catch {
        break
      }
      await new Promise((res) => setTimeout(res, 100))
    }
    expect(await fsp.readdir(mnt)).toEqual([]) // unmounted: the empty directory underneath
  }, 60_000)
})
