/**
 * Read-ahead and the block cache over real namespaces (in-process zdb-server, no FUSE): blocks
 * fetched ahead of a sequential reader, reused buffers, and what happens to them when the file
 * changes while a fetch is still in flight.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Filesystem } from '../src/filesystem.js'
import { BLOCK_SIZE } from '../src/node.js'
import { readAll } from './helpers/fs-calls.js'
import { useZdbServer } from './helpers/zdb-volume.js'

const zdb = useZdbServer()

const pattern = (length: number, seed: number): Buffer => {
  const b = Buffer.alloc(length)
  for (let i = 0; i < length; i++) b[i] = (seed + i * 31 + (i >> 17)) % 256
  return b
}

/** A file of `blocks` full blocks, stored, in a volume reopened with a cold cache. */
async function storedFile(blocks: number, storeOptions = {}) {
  const v = await zdb.openVolume()
  const model = pattern(blocks * BLOCK_SIZE, 3)
  const fh = await v.fs.create('/f', 0o644)
  await v.fs.write(fh, model, 0)
  await v.fs.release(fh)
  await v.fs.fsync()
  const again = await zdb.openVolume(v.names, undefined, storeOptions)
  return { v: again, model }
}

async function readAt(fs: Filesystem, fh: number, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len)
  const n = await fs.read(fh, buf, pos)
  return buf.subarray(0, n)
}

describe('read-ahead', () => {
  it('fetches the blocks after a sequential read before they are asked for', async () => {
    const { v, model } = await storedFile(40)
    const node = await v.fs.resolve('/f')
    const fh = await v.fs.open('/f', 0)
    expect((await readAt(v.fs, fh, 0, BLOCK_SIZE)).equals(model.subarray(0, BLOCK_SIZE))).toBe(true)
    expect(node.readAhead).toBe(Math.min(39, v.store.blocks.readAheadBlocks))
    // The fetches are in flight or done: the next blocks need no further request.
    await new Promise((r) => setTimeout(r, 200))
    expect(node.blocks.size).toBeGreaterThan(10)
    expect(
      (await readAt(v.fs, fh, BLOCK_SIZE, 3 * BLOCK_SIZE)).equals(model.subarray(BLOCK_SIZE, 4 * BLOCK_SIZE)),
    ).toBe(true)
    await v.fs.release(fh)
  })

  it('does not fetch ahead of random reads', async () => {
    const { v } = await storedFile(40)
    const node = await v.fs.resolve('/f')
    const fh = await v.fs.open('/f', 0)
    await readAt(v.fs, fh, 20 * BLOCK_SIZE + 4096, 4096)
    await readAt(v.fs, fh, 7 * BLOCK_SIZE, 4096)
    await new Promise((r) => setTimeout(r, 100))
    expect([...node.blocks.keys()].sort((a, b) => a - b)).toEqual([7, 20])
    await v.fs.release(fh)
  })

  it('reads the new bytes after an overwrite, a truncate and a regrow made while fetches are in flight', async () => {
    const { v, model } = await storedFile(24)
    const fh = await v.fs.open('/f', 0)
    let expected = Buffer.from(model)
    // Each change right after a sequential read, without waiting for its read-ahead.
    await readAt(v.fs, fh, 0, BLOCK_SIZE)
    const patch = pattern(5000, 99)
    await v.fs.write(fh, patch, 5 * BLOCK_SIZE + 100)
    patch.copy(expected, 5 * BLOCK_SIZE + 100)
    await readAt(v.fs, fh, BLOCK_SIZE, BLOCK_SIZE)
    await v.fs.ftruncate(fh, 10 * BLOCK_SIZE + 777)
    expected = expected.subarray(0, 10 * BLOCK_SIZE + 777)
    await readAt(v.fs, fh, 2 * BLOCK_SIZE, BLOCK_SIZE)
    await v.fs.ftruncate(fh, 16 * BLOCK_SIZE)
    expected = Buffer.concat([expected, Buffer.alloc(16 * BLOCK_SIZE - expected.length)])
    const whole = pattern(BLOCK_SIZE, 7)
    await readAt(v.fs, fh, 3 * BLOCK_SIZE, BLOCK_SIZE)
    await v.fs.write(fh, whole, 12 * BLOCK_SIZE)
    whole.copy(expected, 12 * BLOCK_SIZE)
    expect((await readAll(v.fs, '/f')).equals(expected)).toBe(true)
    await v.fs.fsync()
    const again = await zdb.openVolume(v.names)
    expect((await readAll(again.fs, '/f')).equals(expected)).toBe(true)
    await v.fs.release(fh)
  })
})

describe('a tiny block cache (buffers reused all the time)', () => {
  it('keeps reads equal to a plain buffer model through reads, writes, truncates and syncs (property)', async () => {
    type Op =
      | { kind: 'read'; pos: number; len: number }
      | { kind: 'reads'; at: number[] }
      | { kind: 'write'; pos: number; len: number; seed: number }
      | { kind: 'truncate'; size: number }
      | { kind: 'fsync' }
    const max = 9 * BLOCK_SIZE
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('read' as const),
          pos: fc.integer({ min: 0, max }),
          len: fc.integer({ min: 1, max: 3 * BLOCK_SIZE }),
        }),
      },
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('write' as const),
          pos: fc.integer({ min: 0, max }),
          len: fc.integer({ min: 1, max: BLOCK_SIZE + 1000 }),
          seed: fc.integer({ min: 0, max: 255 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant('reads' as const),
          at: fc.array(fc.integer({ min: 0, max }), { minLength: 2, maxLength: 4 }),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant('truncate' as const), size: fc.integer({ min: 0, max }) }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: 'fsync' as const }) },
    )
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 20 }), async (ops) => {
        try {
          // Three blocks of cache: every read evicts, and evicted buffers are reused at once.
          const { v, model: start } = await storedFile(8, { cacheBytes: 3 * BLOCK_SIZE })
          let model = Buffer.from(start)
          const fh = await v.fs.open('/f', 0)
          // Reads run sequentially from where the previous one ended half of the time.
          let next = 0
          for (const o of ops) {
            if (o.kind === 'read') {
              const pos = o.pos % 2 === 0 ? next : o.pos
              const got = await readAt(v.fs, fh, pos, o.len)
              const want = model.subarray(Math.min(pos, model.length), Math.min(pos + o.len, model.length))
              expect(got.equals(want)).toBe(true)
              next = pos + got.length
            } else if (o.kind === 'reads') {
              // Readers at once, each with its blocks pinned while the others evict.
              const got = await Promise.all(o.at.map((pos) => readAt(v.fs, fh, pos, 2 * BLOCK_SIZE)))
              o.at.forEach((pos, i) => {
                const want = model.subarray(
                  Math.min(pos, model.length),
                  Math.min(pos + 2 * BLOCK_SIZE, model.length),
                )
                expect(got[i]!.equals(want)).toBe(true)
              })
            } else if (o.kind === 'write') {
              const bytes = pattern(o.len, o.seed)
              await v.fs.write(fh, bytes, o.pos)
              if (model.length < o.pos + o.len) {
                model = Buffer.concat([model, Buffer.alloc(o.pos + o.len - model.length)])
              }
              bytes.copy(model, o.pos)
            } else if (o.kind === 'truncate') {
              await v.fs.ftruncate(fh, o.size)
              model =
                o.size <= model.length
                  ? Buffer.from(model.subarray(0, o.size))
                  : Buffer.concat([model, Buffer.alloc(o.size - model.length)])
            } else {
              await v.fs.fsync()
            }
          }
          expect((await readAll(v.fs, '/f')).equals(model)).toBe(true)
          await v.fs.fsync()
          const again = await zdb.openVolume(v.names, undefined, { cacheBytes: 3 * BLOCK_SIZE })
          expect((await readAll(again.fs, '/f')).equals(model)).toBe(true)
          await v.fs.release(fh)
        } finally {
          await zdb.cleanup()
        }
      }),
      { seed: 7, numRuns: 40 },
    )
  }, 60_000)
})
