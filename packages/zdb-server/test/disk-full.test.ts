/**
 * A real full disk (a 256 KiB tmpfs for the data files, mounted by the test; needs root):
 * writes that cannot reach the files are never acknowledged, nothing acknowledged is lost,
 * and the server keeps serving.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ZdbServer } from '../src/index.js'
import { TestClient, text } from './helpers/client.js'
import { startServer, type TempDirs, tempDirs } from './helpers/server.js'

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false
  try {
    execFileSync('mount', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

let dirs: TempDirs
let mountpoint: string
let server: ZdbServer | undefined

beforeEach(() => {
  dirs = tempDirs()
  mountpoint = join(dirs.root, 'small')
  mkdirSync(mountpoint)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountpoint])
})
afterEach(async () => {
  await server?.close()
  server = undefined
  execFileSync('umount', [mountpoint])
  dirs.remove()
})

const start = async () => {
  server = await startServer({ ...dirs, dataDir: join(mountpoint, 'data') })
  return TestClient.connect('127.0.0.1', server.address.port)
}

describe.runIf(canMount())('a full disk', () => {
  it('acknowledges only writes that reached the files, loses none of them, and keeps serving', async () => {
    const c = await start()
    const value = Buffer.alloc(16 * 1024, 0x61)
    const acked: string[] = []
    let refused = 0
    for (let i = 0; i < 40; i++) {
      const key = `big${i}`
      // A write that cannot reach the disk closes its connection instead of replying.
      const reply = await c.call('SET', key, value).catch(() => undefined)
      if (reply === undefined) {
        refused++
        break
      }
      expect(text(reply)).toBe(key)
      acked.push(key)
    }
    expect(refused).toBe(1)
    expect(acked.length).toBeGreaterThan(0)

    const d = await TestClient.connect('127.0.0.1', server!.address.port)
    for (const key of acked) expect((await d.call('GET', key)) as Buffer).toEqual(value)
    expect(await d.call('GET', `big${acked.length}`)).toBeNull()
    // The failed write was cut off the file, so a small one fits again.
    expect(text(await d.call('SET', 'small', 'x'))).toBe('small')
    await d.close()

    await server!.close()
    const e = await start()
    for (const key of acked) expect((await e.call('GET', key)) as Buffer).toEqual(value)
    expect(text(await e.call('GET', 'small'))).toBe('x')
    await e.close()
  })
  it('drops only the connections whose writes failed: a reader served in the same turn stays', async () => {
    const writer = await start()
    const reader = await TestClient.connect('127.0.0.1', server!.address.port)
    expect(text(await writer.call('SET', 'seen', 'x'))).toBe('seen')
    const value = Buffer.alloc(16 * 1024, 0x61)
    let failed = false
    for (let i = 0; i < 40 && !failed; i++) {
      const set = writer.call('SET', `big${i}`, value).catch(() => undefined)
      const get = reader.call('GET', 'seen')
      // The server runs in this process: blocking it while both requests arrive makes it read
      // both sockets in one event-loop turn, whose commit then fails for the writer.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30)
      failed = (await set) === undefined
      expect(text(await get)).toBe('x')
    }
    expect(failed).toBe(true)
    expect(text(await reader.call('GET', 'seen'))).toBe('x')
    await reader.close()
  })
})
