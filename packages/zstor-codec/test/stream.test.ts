import { Readable } from 'node:stream'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  COMPRESSIONS,
  CompressionError,
  CryptoError,
  DEFAULT_OBJECT_SIZE,
  decodeStream,
  type EncodedStreamObject,
  type EncodeStreamOptions,
  ErasureCodeError,
  encodeStream,
  MAX_OBJECT_SIZE,
  PipelineError,
  type StoredStreamObject,
  StreamError,
} from '../src/index.js'
import { bytes, hex } from './helpers.js'

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i)
const OTHER_KEY = Uint8Array.from({ length: 32 }, (_, i) => 255 - i)
const BASE = { k: 3, m: 2, compression: 'none', key: KEY } as const satisfies EncodeStreamOptions

/** `data` as chunks whose sizes cycle through `sizes`. */
function* chunked(data: Uint8Array, sizes: readonly number[]): Generator<Uint8Array> {
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = sizes[i % sizes.length]!
    yield data.subarray(at, at + size)
    at += size
  }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/** The chunks `decodeStream` yields before it throws, and the error, which must be a `type` with `code`. */
async function failure<E extends Error & { code: string }>(
  type: new (...args: never[]) => E,
  code: string,
  stream: AsyncIterable<Uint8Array>,
): Promise<{ error: E; chunks: Uint8Array[] }> {
  const chunks: Uint8Array[] = []
  try {
    for await (const chunk of stream) chunks.push(chunk)
  } catch (error) {
    if (!(error instanceof type)) throw error
    expect(error.code).toBe(code)
    return { error, chunks }
  }
  throw new Error(`expected ${type.name} ${code}, but the stream ended`)
}

function thrownBy<E extends Error & { code: string }>(
  type: new (...args: never[]) => E,
  code: string,
  fn: () => unknown,
): E {
  try {
    fn()
  } catch (error) {
    if (!(error instanceof type)) throw error
    expect(error.code).toBe(code)
    return error
  }
  throw new Error(`expected ${type.name} ${code} to be thrown`)
}

const encodeAll = (source: Parameters<typeof encodeStream>[0], options: EncodeStreamOptions) =>
  collect(encodeStream(source, options))

describe('encodeStream and decodeStream', () => {
  for (const compression of COMPRESSIONS) {
    it(`round-trip random streams in random chunks, 1 byte to many objects, with ${compression} compression`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 200_000 }),
          fc.integer(),
          fc.integer({ min: 1, max: 70_000 }),
          fc.array(fc.integer({ min: 1, max: 50_000 }), { minLength: 1, maxLength: 8 }),
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 3 }),
          async (length, seed, size, sizes, k, m, concurrency) => {
            const objectSize = Math.max(size, Math.ceil(length / 40)) // at most ~40 objects per run
            const data = bytes(length, seed)
            const options = { k, m, compression, key: KEY, objectSize, concurrency }
            const objects = await encodeAll(chunked(data, sizes), options)
            expect(objects.length).toBe(Math.max(1, Math.ceil(length / objectSize)))
            objects.forEach((o, i) => {
              expect(o).toMatchObject({ index: i, offset: i * objectSize, last: i === objects.length - 1 })
              expect(o.shards.length).toBe(k + m)
            })
            const back = await collect(decodeStream(objects, { key: KEY, concurrency }))
            expect(hex(concat(back))).toBe(hex(data))
          },
        ),
        { numRuns: 25 },
      )
    })
  }

  it('cuts a stream fed whole, one byte at a time, from a Node Readable or a sync iterable into the same objects', async () => {
    const data = bytes(2_500, 7)
    const sources = [
      () => data,
      () => [data],
      () => chunked(data, [1]),
      () => Readable.from(chunked(data, [333, 1, 4096])),
      () => Readable.from(Buffer.from(data), { objectMode: false }),
    ]
    for (const source of sources) {
      const objects = await encodeAll(source(), { ...BASE, objectSize: 1_000 })
      expect(objects.map((o) => [o.index, o.offset, o.meta.size, o.last])).toEqual([
        [0, 0, 1_000, false],
        [1, 1_000, 1_000, false],
        [2, 2_000, 500, true],
      ])
      expect(hex(concat(await collect(decodeStream(objects, { key: KEY }))))).toBe(hex(data))
      expect(hex(concat(await collect(Readable.from(decodeStream(objects, { key: KEY })))))).toBe(hex(data))
    }
  })

  it('ends an input whose length is a multiple of objectSize with a full object flagged last, and no empty one', async () => {
    for (const count of [1, 2, 3]) {
      const data = bytes(count * 4_096, count)
      for (const sizes of [[4_096], [1_000], [count * 4_096], [4_095, 2]]) {
        const objects = await encodeAll(chunked(data, sizes), { ...BASE, objectSize: 4_096 })
        expect(objects.map((o) => [o.meta.size, o.last])).toEqual(
          Array.from({ length: count }, (_, i) => [4_096, i === count - 1]),
        )
        expect(hex(concat(await collect(decodeStream(objects, { key: KEY }))))).toBe(hex(data))
      }
      const plusOne = await encodeAll([data, Uint8Array.of(1)], { ...BASE, objectSize: 4_096 })
      expect(plusOne.map((o) => [o.meta.size, o.last]).at(-1)).toEqual([1, true])
      expect(plusOne.length).toBe(count + 1)
    }
  })

  for (const compression of COMPRESSIONS) {
    it(`encodes an empty input as one empty object flagged last, which decodes to no bytes, with ${compression} compression`, async () => {
      for (const source of [[], [new Uint8Array(0), new Uint8Array(0)], new Uint8Array(0)]) {
        const objects = await encodeAll(source, { ...BASE, compression, objectSize: 64 })
        expect(objects.length).toBe(1)
        expect(objects[0]).toMatchObject({ index: 0, offset: 0, last: true, meta: { size: 0 } })
        expect(await collect(decodeStream(objects, { key: KEY }))).toEqual([])
      }
    })
  }

  it('decodes every object with any m of its shards lost, a different set per object', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer(),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(...COMPRESSIONS),
        fc.array(fc.array(fc.nat(), { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 12 }),
        async (length, seed, k, m, compression, losses) => {
          const data = bytes(length, seed)
          const objectSize = Math.max(1_000, Math.ceil(length / 10))
          const objects = await encodeAll(chunked(data, [7_777]), { k, m, compression, key: KEY, objectSize })
          const fetched = objects.map((o, i): StoredStreamObject => {
            const picks = losses[i % losses.length]!.slice(0, m)
            const shards: (Uint8Array | null)[] = [...o.shards]
            let lost = 0
            for (const pick of picks) {
              // Lose the `pick`-th shard still present, so exactly `m` distinct shards go.
              const present = shards.flatMap((s, j) => (s ? [j] : []))
              shards[present[pick % present.length]!] = null
              lost++
            }
            expect(lost).toBe(m)
            return { ...o, shards }
          })
          expect(hex(concat(await collect(decodeStream(fetched, { key: KEY }))))).toBe(hex(data))
        },
      ),
      { numRuns: 30 },
    )
  })

  it('reads the source only as the consumer takes objects, so an endless source is never read to its end', async () => {
    for (const concurrency of [1, 3]) {
      let pulled = 0
      let returned = false
      async function* endless() {
        try {
          for (;;) {
            pulled += 1_000
            yield new Uint8Array(1_000)
          }
        } finally {
          returned = true
        }
      }
      const objectSize = 10_000
      let taken = 0
      for await (const object of encodeStream(endless(), { ...BASE, objectSize, concurrency })) {
        expect(object.index).toBe(taken)
        taken++
        // Taken objects, the ones in flight, the full one held back to learn if it is the last.
        expect(pulled).toBeLessThanOrEqual((taken + concurrency + 1) * objectSize)
        if (taken === 5) break
      }
      expect(returned).toBe(true)
    }
  })

  it('keeps its own copy of the key, so the caller may wipe its key once the stream has started', async () => {
    const key = new Uint8Array(KEY)
    const data = bytes(5_000, 3)
    const objects: EncodedStreamObject[] = []
    for await (const object of encodeStream([data], { ...BASE, key, objectSize: 1_000 })) {
      objects.push(object)
      key.fill(0)
    }
    expect(objects.length).toBe(5)
    expect(hex(concat(await collect(decodeStream(objects, { key: KEY }))))).toBe(hex(data))
  })
})

describe('stream order and completeness', () => {
  const data = bytes(5_000, 11)
  const encoded = () => encodeAll([data], { ...BASE, objectSize: 1_000 })
  const prefix = (objects: number) => hex(data.subarray(0, objects * 1_000))

  it('an object out of order is ERR_STREAM_ORDER naming the expected index, after the objects before it', async () => {
    const objects = await encoded()
    const swapped = [objects[0]!, objects[2]!, objects[1]!, objects[3]!, objects[4]!]
    const { error, chunks } = await failure(
      StreamError,
      'ERR_STREAM_ORDER',
      decodeStream(swapped, { key: KEY }),
    )
    expect(error.name).toBe('StreamError')
    expect(error.message).toContain('expected object 1, got object 2')
    expect(hex(concat(chunks))).toBe(prefix(1))
  })

  it('a missing object in the middle is ERR_STREAM_ORDER saying which are missing', async () => {
    const objects = await encoded()
    const gap = objects.filter((o) => o.index !== 2 && o.index !== 3)
    for (const concurrency of [1, 4]) {
      const { error, chunks } = await failure(
        StreamError,
        'ERR_STREAM_ORDER',
        decodeStream(gap, { key: KEY, concurrency }),
      )
      expect(error.message).toContain('objects 2..3 missing')
      expect(hex(concat(chunks))).toBe(prefix(2))
    }
  })

  it('a repeated object, or one after the last, is ERR_STREAM_ORDER', async () => {
    const objects = await encoded()
    const repeated = [objects[0]!, objects[1]!, objects[1]!]
    expect(
      (await failure(StreamError, 'ERR_STREAM_ORDER', decodeStream(repeated, { key: KEY }))).error.message,
    ).toContain('repeated or out of order')
    const extra = [...objects, { ...objects[4]!, index: 5, last: false }]
    const { error, chunks } = await failure(
      StreamError,
      'ERR_STREAM_ORDER',
      decodeStream(extra, { key: KEY }),
    )
    expect(error.message).toContain('flagged last')
    expect(hex(concat(chunks))).toBe(prefix(5))
  })

  it('an object whose offset does not follow the sizes before it is ERR_STREAM_ORDER', async () => {
    const objects = await encoded()
    const shifted = objects.map((o) => (o.index === 3 ? { ...o, offset: 2_999 } : o))
    const { error } = await failure(StreamError, 'ERR_STREAM_ORDER', decodeStream(shifted, { key: KEY }))
    expect(error.message).toContain('byte 2999')
  })

  it('objects that end before the one flagged last are ERR_STREAM_TRUNCATED, and no objects at all too', async () => {
    const objects = await encoded()
    const { error, chunks } = await failure(
      StreamError,
      'ERR_STREAM_TRUNCATED',
      decodeStream(objects.slice(0, 4), { key: KEY }),
    )
    expect(error.message).toContain('expected object 4')
    expect(hex(concat(chunks))).toBe(prefix(4))
    await failure(StreamError, 'ERR_STREAM_TRUNCATED', decodeStream([], { key: KEY }))
  })

  it('an object with too few valid shards or the wrong key fails with the object pipeline error, in its place', async () => {
    const objects = await encoded()
    const broken = objects.map((o) =>
      o.index === 3 ? { ...o, shards: o.shards.map((s, i) => (i < 3 ? null : s)) } : o,
    )
    const { chunks } = await failure(
      PipelineError,
      'ERR_TOO_FEW_SHARDS',
      decodeStream(broken, { key: KEY, concurrency: 2 }),
    )
    expect(hex(concat(chunks))).toBe(prefix(3))
    await failure(CryptoError, 'ERR_DECRYPT_AUTH', decodeStream(objects, { key: OTHER_KEY }))
  })
})

describe('stream arguments', () => {
  it('the default object size is 32 MiB and the largest 1 GiB', () => {
    expect(DEFAULT_OBJECT_SIZE).toBe(32 * 2 ** 20)
    expect(MAX_OBJECT_SIZE).toBe(2 ** 30)
  })

  it('a bad objectSize, concurrency, source or options object is ERR_STREAM_ARGUMENT when encodeStream is called', () => {
    for (const objectSize of [0, -1, 1.5, MAX_OBJECT_SIZE + 1, Number.NaN, '32']) {
      const error = thrownBy(StreamError, 'ERR_STREAM_ARGUMENT', () =>
        encodeStream([], { ...BASE, objectSize: objectSize as number }),
      )
      expect(error.message).toContain('`objectSize`')
    }
    for (const concurrency of [0, 17, 2.5, '2']) {
      const error = thrownBy(StreamError, 'ERR_STREAM_ARGUMENT', () =>
        encodeStream([], { ...BASE, concurrency: concurrency as number }),
      )
      expect(error.message).toContain('`concurrency`')
    }
    for (const source of [null, 42, 'text', {}]) {
      const error = thrownBy(StreamError, 'ERR_STREAM_ARGUMENT', () => encodeStream(source as never, BASE))
      expect(error.message).toContain('`source`')
    }
    thrownBy(StreamError, 'ERR_STREAM_ARGUMENT', () => encodeStream([], null as never))
  })

  it('bad k, m, compression or key fail when encodeStream is called, with the object pipeline errors', () => {
    thrownBy(ErasureCodeError, 'ERR_RS_PARAMS', () => encodeStream([], { ...BASE, k: 0 }))
    thrownBy(ErasureCodeError, 'ERR_RS_PARAMS', () => encodeStream([], { ...BASE, m: 0 }))
    thrownBy(CompressionError, 'ERR_COMPRESSION_ARGUMENT', () =>
      encodeStream([], { ...BASE, compression: 'lz4' as never }),
    )
    thrownBy(CryptoError, 'ERR_KEY_LENGTH', () => encodeStream([], { ...BASE, key: new Uint8Array(16) }))
  })

  it('a source chunk that is not bytes rejects the iteration with ERR_STREAM_ARGUMENT', async () => {
    const text = Readable.from(['not bytes'])
    const error = await collect(encodeStream(text, BASE)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StreamError)
    expect((error as StreamError).code).toBe('ERR_STREAM_ARGUMENT')
    expect((error as StreamError).message).toContain('source chunk 0')
  })

  it('bad decodeStream options or objects are ERR_STREAM_ARGUMENT, a bad key ERR_KEY_LENGTH', async () => {
    thrownBy(CryptoError, 'ERR_KEY_LENGTH', () => decodeStream([], { key: new Uint8Array(31) }))
    thrownBy(StreamError, 'ERR_STREAM_ARGUMENT', () => decodeStream([], { key: KEY, concurrency: 0 }))
    thrownBy(StreamError, 'ERR_STREAM_ARGUMENT', () => decodeStream(42 as never, { key: KEY }))
    thrownBy(StreamError, 'ERR_STREAM_ARGUMENT', () => decodeStream([], null as never))
    for (const bad of [
      null,
      { index: -1, last: true, meta: {} },
      { index: 0, last: 'yes', meta: {} },
      { index: 0, last: true },
    ]) {
      await failure(StreamError, 'ERR_STREAM_ARGUMENT', decodeStream([bad as never], { key: KEY }))
    }
  })
})
