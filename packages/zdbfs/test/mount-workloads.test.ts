/**
 * Whole workloads on a real mount: a source tree copied and compared byte for byte, before and
 * after a remount, and random pwrite/truncate sequences checked against a local file.
 */
import { existsSync } from 'node:fs'
import * as fsp from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MountProcess, run, startMount, stopMountAndZdb } from './helpers/mount-process.js'
import { startZdb, type ZdbProcess } from './helpers/zdb-process.js'

const TREE = '/usr/include/node'
let zdb: ZdbProcess
let m: MountProcess

beforeAll(async () => {
  zdb = await startZdb()
  m = await startMount({ port: zdb.port })
}, 60_000)

afterAll(() => stopMountAndZdb(m, zdb), 60_000)

describe('a real source tree', () => {
  it.skipIf(!existsSync(TREE))(
    `copies ${TREE} and compares equal with diff -r, before and after a remount`,
    async () => {
      const dest = join(m.mountpoint, 'node')
      const cp = await run('cp', ['-r', TREE, dest], { timeout: 120_000 })
      expect(cp.stderr).toBe('')
      const diff = await run('diff', ['-r', TREE, dest], { timeout: 120_000 })
      expect(diff.stdout + diff.stderr).toBe('')
      expect(diff.code).toBe(0)
      await m.stop()
      m = await startMount({ port: zdb.port, mountpoint: m.mountpoint })
      const again = await run('diff', ['-r', TREE, dest], { timeout: 120_000 })
      expect(again.stdout + again.stderr).toBe('')
      expect(again.code).toBe(0)
    },
    180_000,
  )
})

describe('random pwrite and truncate sequences', () => {
  it('leave the mounted file equal to a local file given the same sequence (property)', async () => {
    const localDir = await fsp.mkdtemp(join(tmpdir(), 'zdbfs-model-'))
    type Op =
      | { kind: 'write'; pos: number; len: number; seed: number }
      | { kind: 'truncate'; size: number }
      | { kind: 'fsync' }
    const max = 4 * 131072 + 5000
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          kind: fc.constant('write' as const),
          pos: fc.integer({ min: 0, max }),
          len: fc.integer({ min: 1, max: 300_000 }),
          seed: fc.integer({ min: 0, max: 255 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant('truncate' as const), size: fc.integer({ min: 0, max }) }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: 'fsync' as const }) },
    )
    let run = 0
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 15 }), async (ops) => {
        run++
        const paths = [join(m.mountpoint, `prop-${run}`), join(localDir, `prop-${run}`)]
        const handles = await Promise.all(paths.map((f) => fsp.open(f, 'w+')))
        for (const o of ops) {
          for (const h of handles) {
            if (o.kind === 'write') {
              const bytes = Buffer.alloc(o.len)
              for (let i = 0; i < o.len; i++) bytes[i] = (o.seed + i * 13) % 256
              await h.write(bytes, 0, o.len, o.pos)
            } else if (o.kind === 'truncate') {
              await h.truncate(o.size)
            } else {
              await h.sync()
            }
          }
        }
        await Promise.all(handles.map((h) => h.close()))
        const [mounted, local] = await Promise.all(paths.map((f) => fsp.readFile(f)))
        expect(mounted!.length).toBe(local!.length)
        expect(mounted!.equals(local!)).toBe(true)
        await Promise.all(paths.map((f) => fsp.unlink(f)))
      }),
      { seed: 20240611, numRuns: 25 },
    )
    await fsp.rm(localDir, { recursive: true, force: true })
  }, 120_000)
})
