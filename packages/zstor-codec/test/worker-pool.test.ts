import { afterAll, describe, expect, it } from 'vitest'
import {
  CryptoError,
  createCodecPool,
  decodeObject,
  decodeStream,
  encodeObject,
  encodeStream,
  PipelineError,
} from '../src/index.js'
import { bytes } from './helpers.js'

const pool = createCodecPool({ threads: 2 })
const key = Uint8Array.from({ length: 32 }, (_, i) => i + 1)

afterAll(() => pool.close())

describe('codec worker pool', () => {
  it('encodes on a worker what decodes on this thread, and the reverse', async () => {
    const data = bytes(300_000, 3)
    const encoded = await pool.encode(data, { k: 4, m: 2, compression: 'snappy', key })
    expect(data.length).toBe(300_000) // not transferred unless asked
    encoded.shards[1] = null as unknown as Uint8Array
    expect(Buffer.compare(await decodeObject(encoded.shards, encoded.meta, key), data)).toBe(0)
    const local = await encodeObject(data, { k: 3, m: 2, compression: 'zstd', key })
    local.shards[0] = null as unknown as Uint8Array
    expect(Buffer.compare(await pool.decode(local.shards, local.meta, key), data)).toBe(0)
  })

  it('leaves a Buffer view given without transfer usable (Buffer#slice is not a copy)', async () => {
    const whole = Buffer.from(bytes(200_000, 6))
    const view = whole.subarray(50_000, 150_000)
    const encoded = await pool.encode(view, { k: 4, m: 2, compression: 'none', key })
    expect(whole.buffer.byteLength).toBe(whole.length) // not detached
    expect(Buffer.compare(await decodeObject(encoded.shards, encoded.meta, key), view)).toBe(0)
  })

  it('decode with transfer moves shards that own their buffer and copies the others', async () => {
    const data = bytes(100_000, 8)
    const { shards, meta } = await encodeObject(data, { k: 4, m: 2, compression: 'none', key })
    const whole = Buffer.concat([Buffer.alloc(3), shards[1]!])
    const given = [
      new Uint8Array(shards[0]!),
      whole.subarray(3),
      null,
      new Uint8Array(shards[3]!),
      shards[4]!,
      null,
    ]
    const back = await pool.decode(given, meta, key, {}, true)
    expect(Buffer.compare(back, data)).toBe(0)
    expect(given[0]!.byteLength).toBe(0) // moved
    expect(given[3]!.byteLength).toBe(0)
    expect(whole.byteLength).toBe(whole.length) // a view: copied, its buffer left alone
    expect(Buffer.compare(given[1]!, shards[1]!)).toBe(0)
  })

  it('errors keep their class and code across the thread', async () => {
    const { shards, meta } = await encodeObject(bytes(1000, 4), { k: 2, m: 1, compression: 'none', key })
    const wrongKey = new Uint8Array(32).fill(9)
    const error = await pool.decode(shards, meta, wrongKey).catch((e: Error) => e)
    expect(error).toBeInstanceOf(CryptoError)
    expect(error).toMatchObject({ code: 'ERR_DECRYPT_AUTH' })
    const tooFew = await pool.decode([shards[0]!, null, null], meta, key).catch((e: Error) => e)
    expect(tooFew).toBeInstanceOf(PipelineError)
    expect(tooFew).toMatchObject({ code: 'ERR_TOO_FEW_SHARDS' })
  })

  it('streams encoded and decoded on the pool give back the input', async () => {
    const input = bytes(5 * 65536 + 17, 5)
    const objects = []
    for await (const o of encodeStream(input, {
      k: 4,
      m: 2,
      compression: 'snappy',
      key,
      objectSize: 65536,
      concurrency: 2,
      pool,
    })) {
      objects.push(o)
    }
    expect(objects).toHaveLength(6)
    const out: Uint8Array[] = []
    for await (const chunk of decodeStream(objects, { key, concurrency: 2, pool })) out.push(chunk)
    expect(Buffer.compare(Buffer.concat(out), input)).toBe(0)
  })

  it('buffers the workers hand back are reused, and what they held never leaks into results', async () => {
    const options = { k: 4, m: 2, compression: 'none', key } as const
    for (let round = 0; round < 4; round++) {
      const data = bytes(200_000 - round * 1000, 20 + round)
      const { shards, meta } = await pool.encode(data, options)
      expect(Buffer.compare(await pool.decode(shards, meta, key), data)).toBe(0)
      const given = pool.buffer(data.length)
      expect(given.length).toBe(data.length)
      given.set(data)
      const again = await pool.encode(given, options, true)
      // Moved, unless it is a view of a larger spare buffer (then copied: stale bytes stay here).
      expect(given.byteLength === 0 || given.buffer.byteLength > data.length).toBe(true)
      expect(Buffer.compare(await decodeObject(again.shards, again.meta, key), data)).toBe(0)
    }
  })

  it('with transferChunks, whole-object chunks become the objects; others are copied', async () => {
    const objectSize = 65536
    const input = bytes(3 * objectSize + 100, 9)
    const whole = Uint8Array.from(input.subarray(0, objectSize))
    const view = Buffer.from(input.subarray(objectSize, 2 * objectSize + 50))
    const rest = Uint8Array.from(input.subarray(2 * objectSize + 50))
    const objects = []
    for await (const o of encodeStream([whole, view, rest], {
      k: 4,
      m: 2,
      compression: 'none',
      key,
      objectSize,
      pool,
      transferChunks: true,
    })) {
      objects.push(o)
    }
    expect(whole.byteLength).toBe(0) // moved to a worker
    expect(view.length).toBe(objectSize + 50) // copied: not a whole buffer of its own
    expect(rest.length).toBe(objectSize + 50)
    const out: Uint8Array[] = []
    for await (const chunk of decodeStream(objects, { key, pool })) out.push(chunk)
    expect(Buffer.compare(Buffer.concat(out), input)).toBe(0)
    // Without the option, the same chunks stay the caller's.
    const kept = Uint8Array.from(input.subarray(0, objectSize))
    for await (const _ of encodeStream([kept], { k: 4, m: 2, compression: 'none', key, objectSize, pool })) {
      // consumed
    }
    expect(kept.byteLength).toBe(objectSize)
  })
})
