/**
 * kill -9 at seeded random moments while a writer keeps creating and fsyncing files: after every
 * restart, each file whose fsync returned is there with all its bytes. Every other round the zdb
 * is killed too. Slow (about a minute): `pnpm --filter @qsfs/zdbfs test:slow`.
 */
import { createHash } from 'node:crypto'
import * as fsp from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { forceUnmount, type MountProcess, startMount, tempMountpoint } from '../helpers/mount-process.js'
import { startZdb, type ZdbProcess } from '../helpers/zdb-process.js'

/** A small seeded generator (no unseeded Math.random in tests). */
function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const content = (n: number): Buffer => {
  const out = Buffer.alloc(1000 + ((n * 7919) % 300_000))
  const h = createHash('sha256').update(String(n)).digest()
  for (let i = 0; i < out.length; i++) out[i] = h[i % 32]! ^ (i & 0xff)
  return out
}

let zdb: ZdbProcess | undefined
let m: MountProcess | undefined
const mnt = tempMountpoint()

afterAll(async () => {
  await m?.stop().catch(() => {})
  await forceUnmount(mnt)
  await fsp.rm(mnt, { recursive: true, force: true })
  await zdb?.stop()
  if (zdb) await fsp.rm(zdb.dir, { recursive: true, force: true })
}, 60_000)

describe('kill -9 while writing', () => {
  it('never loses a file whose fsync returned', async () => {
    const random = lcg(2024)
    zdb = await startZdb()
    const synced: number[] = []
    let next = 0
    for (let round = 0; round < 8; round++) {
      m = await startMount({ port: zdb.port, mountpoint: mnt })
      for (const n of synced) {
        const bytes = await fsp.readFile(join(mnt, `f${n}`))
        expect(bytes.equals(content(n)), `file f${n} after round ${round}`).toBe(true)
      }
      let stop = false
      const writer = (async () => {
        while (!stop) {
          const n = next++
          try {
            const fh = await fsp.open(join(mnt, `f${n}`), 'w')
            await fh.write(content(n))
            await fh.sync()
            await fh.close()
            synced.push(n)
          } catch {
            return
          }
        }
      })()
      await new Promise((r) => setTimeout(r, 300 + random() * 1500))
      await m.kill()
      stop = true
      if (round % 2 === 1) {
        await zdb.kill()
        zdb = await startZdb({ dir: zdb.dir, port: zdb.port })
      }
      await writer
    }
    m = await startMount({ port: zdb.port, mountpoint: mnt })
    for (const n of synced) expect((await fsp.readFile(join(mnt, `f${n}`))).equals(content(n))).toBe(true)
    expect(synced.length).toBeGreaterThan(8)
  }, 300_000)
})
