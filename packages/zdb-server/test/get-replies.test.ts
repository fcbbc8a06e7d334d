/**
 * GET replies are filled in place (a payload below 16 KiB is read straight into the reply
 * buffer, dataset.ts): whatever their sizes, the chunk boundaries they cross and the cache,
 * pipelined GETs and MGETs return every value byte for byte.
 */
import { Socket } from 'node:net'
import { encodeCommand, ReplyParser } from '@qsfs/zdb-protocol'
import { describe, expect, it } from 'vitest'
import { serverFixture } from './helpers/fixture.js'

const f = serverFixture()

/** Deterministic bytes of `length`, different for every key. */
function value(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length)
  for (let i = 0; i < length; i++) out[i] = (seed * 31 + i * 7) & 0xff
  return out
}

/** 0 B to 20 KiB, around the 16 KiB in-place limit and the writer's 64 KiB chunks. */
const SIZES = [0, 1, 100, 4095, 4096, 8192, 8193, 16383, 16384, 16385, 20000]

describe('GET replies', () => {
  for (const cacheSize of [undefined, 0]) {
    it(`pipelined GETs and MGETs return every value byte for byte (cache ${cacheSize ?? 'default'})`, async () => {
      await f.start(cacheSize === undefined ? {} : { cacheSize })
      const c = await f.connect()
      const keys = SIZES.flatMap((size, i) =>
        [0, 1, 2].map((copy) => ({ key: `k${i}-${copy}`, size, seed: i * 3 + copy })),
      )
      await c.pipeline(keys.map(({ key, size, seed }) => ['SET', key, value(seed, size)]))
      // Twice: the first pass may fill the cache, the second reads from it.
      for (let pass = 0; pass < 2; pass++) {
        const replies = await c.pipeline([...keys, ...keys].map(({ key }) => ['GET', key]))
        replies.forEach((reply, i) => {
          const { size, seed } = keys[i % keys.length]!
          expect(Buffer.isBuffer(reply) && reply.equals(value(seed, size))).toBe(true)
        })
        const mget = (await c.call('MGET', ...keys.map(({ key }) => key), 'missing')) as unknown[]
        expect(mget.at(-1)).toBeNull()
        keys.forEach(({ size, seed }, i) => {
          expect((mget[i] as Buffer).equals(value(seed, size))).toBe(true)
        })
      }
    })
  }

  it('a client that reads late gets every reply intact (reply memory is reused only once sent)', async () => {
    const server = await f.start({ cacheSize: 0 })
    const c = await f.connect()
    const keys = Array.from({ length: 64 }, (_, i) => `v${i}`)
    await c.pipeline(keys.map((key, i) => ['SET', key, value(i, 8000)]))
    const s = new Socket()
    await new Promise<void>((resolve) => s.connect(server.address.port, server.address.host, resolve))
    s.pause()
    // Batches sent apart, so the server writes each one separately while the earlier ones
    // still wait in its socket (the loopback buffer holds a few MB; this owes ~6 MB).
    const batches = 12
    for (let b = 0; b < batches; b++) {
      s.write(Buffer.concat(keys.map((key) => encodeCommand(['GET', key]))))
      await new Promise((r) => setTimeout(r, 20))
    }
    const replies: unknown[] = []
    const all = new Promise<void>((resolve, reject) => {
      const parser = new ReplyParser({ onReply: (r) => replies.push(r), onError: reject })
      s.on('data', (chunk: Buffer) => {
        parser.feed(chunk)
        if (replies.length >= batches * keys.length) resolve()
      })
    })
    s.resume()
    await all
    s.destroy()
    replies.forEach((reply, i) => {
      const k = i % keys.length
      expect(Buffer.isBuffer(reply) && reply.equals(value(k, 8000)), `reply ${i}`).toBe(true)
    })
  })
})
