/**
 * Two mounts in one process share fuse-native's binding, and so the place where the patched
 * binding keeps a directory's attributes after a creation (patch level 2). Paths are relative
 * to a mount: the same path on the other mount must never be answered from that copy.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import * as fsp from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { forceUnmount, PACKAGE_DIR, tempMountpoint } from './helpers/mount-process.js'
import { startZdb, type ZdbProcess } from './helpers/zdb-process.js'

let zdb: ZdbProcess
let child: ChildProcess
const a = tempMountpoint()
const b = tempMountpoint()

beforeAll(async () => {
  zdb = await startZdb()
  child = spawn(
    process.execPath,
    ['--import', 'tsx', join(PACKAGE_DIR, 'test', 'helpers', 'two-mounts.ts'), String(zdb.port), a, b],
    { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the mounts did not get ready: ${out}`)), 30_000)
    const seen = (c: Buffer) => {
      out += c.toString()
      if (out.includes('ready')) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout!.on('data', seen)
    child.stderr!.on('data', seen)
    child.once('exit', (code) => reject(new Error(`the mounts exited with ${code}: ${out}`)))
  })
}, 60_000)

afterAll(async () => {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
  child.kill('SIGKILL')
  for (const m of [a, b]) {
    await forceUnmount(m)
    rmSync(m, { recursive: true, force: true })
  }
  await zdb.stop()
  rmSync(zdb.dir, { recursive: true, force: true })
}, 60_000)

describe('two mounts in one process', () => {
  it("never answer one mount's directory with the other's attributes", async () => {
    await fsp.mkdir(join(b, 'd'), 0o700)
    // A creation in b/d makes the kernel ask for b/d's attributes again at the next stat.
    await (await fsp.open(join(b, 'd', 'x'), 'wx')).close()
    // The same path on a, changed and then created in last: the copy the binding holds is a's.
    await fsp.mkdir(join(a, 'd'), 0o755)
    await (await fsp.open(join(a, 'd', 'f'), 'wx')).close()
    const [sa, sb] = [await fsp.stat(join(a, 'd')), await fsp.stat(join(b, 'd'))]
    expect(sa.mode & 0o777).toBe(0o755)
    expect(sb.mode & 0o777).toBe(0o700)
    expect(await fsp.readdir(join(b, 'd'))).toEqual(['x'])
  })
})
