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
})
