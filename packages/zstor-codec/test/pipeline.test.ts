import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  blake2b128,
  COMPRESSIONS,
  type Compression,
  CryptoError,
  createCipher,
  decodeObject,
  ErasureCodeError,
  encodeObject,
  encodeStream,
  joinAndUnpad,
  type ObjectMeta,
  PipelineError,
  snappyFrameDecompress,
} from '../src/index.js'
import { bytes, hex } from './helpers.js'

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i)
const OTHER_KEY = Uint8Array.from({ length: 32 }, (_, i) => 255 - i)

/** The rejection of `promise`, which must be a `type` with `code`. */
async function rejection<E extends Error & { code: string }>(
  type: new (...args: never[]) => E,
  code: string,
  promise: Promise<unknown>,
): Promise<E> {
  const error = await promise.then(
    () => new Error(`expected ${type.name} ${code}, but it resolved`),
    (e: unknown) => e,
  )
  if (!(error instanceof type)) throw error
  expect(error.code).toBe(code)
  return error
}

/** Bytes that compress: a seeded run of a few words. */
function text(length: number, seed: number): Uint8Array {
  const words = ['zstor ', 'shard ', 'parity ', '0-db ', 'QSFS ', 'object ']
  const out = new Uint8Array(length)
  const noise = bytes(length, seed)
  for (let i = 0; i < length; ) {
    const word = words[noise[i]! % words.length]!
    for (let j = 0; j < word.length && i < length; j++) out[i++] = word.charCodeAt(j)
  }
  return out
}

const lose = (shards: readonly Uint8Array[], lost: readonly number[]) =>
  shards.map((s, i) => (lost.includes(i) ? null : s))

describe('encodeObject and decodeObject', () => {
  it('hands out shards and objects that later calls do not overwrite (scratch memory is reused)', async () => {
    const objects = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const data = bytes(200_000 + i * 1000, i + 40)
        return { data, ...(await encodeObject(data, { key: KEY, k: 4, m: 2, compression: 'snappy' })) }
      }),
    )
    // Two at once, then one more: each decode takes the reused memory, or new memory when busy.
    const decoded = await Promise.all(objects.slice(0, 2).map((o) => decodeObject(o.shards, o.meta, KEY)))
    decoded.push(await decodeObject(objects[2]!.shards, objects[2]!.meta, KEY))
    decoded.push(await decodeObject(objects[0]!.shards, objects[0]!.meta, KEY))
    expect(decoded.map(hex)).toEqual([0, 1, 2, 0].map((i) => hex(objects[i]!.data)))
  })

  for (const compression of COMPRESSIONS) {
    it(`round-trip an empty object and a 1-byte object with ${compression} compression`, async () => {
      for (const data of [new Uint8Array(0), Uint8Array.of(0x2a)]) {
        const { shards, meta } = await encodeObject(data, { k: 4, m: 2, compression, key: KEY })
        expect(shards.length).toBe(6)
        expect(meta.size).toBe(data.length)
        expect(hex(await decodeObject(shards, meta, KEY))).toBe(hex(data))
        expect(hex(await decodeObject(lose(shards, [0, 3]), meta, KEY))).toBe(hex(data))
      }
    })
  }

  it('round-trips objects of any size up to 1 MiB, any compression and k/m, with any m shards lost', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 1 << 20 })),
        fc.integer(),
        fc.boolean(),
        fc.constantFrom(...COMPRESSIONS),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.nat(), { maxLength: 26 }),
        async (size, seed, compressible, compression, k, m, order) => {
          const data = compressible ? text(size, seed) : bytes(size, seed)
          const { shards, meta } = await encodeObject(data, { k, m, compression, key: KEY })
          expect(meta).toMatchObject({
            size,
            k,
            m,
            compression,
            erasureCode: 'rs-vandermonde-gf256',
            cipher: 'aes-256-gcm',
          })
          expect(shards.every((s) => s.length === meta.shardSize)).toBe(true)
          // Any m distinct shards, picked by the order fast-check drew.
          const indices = [...Array(k + m).keys()]
          const lost: number[] = []
          for (const pick of order) {
            if (lost.length === m) break
            lost.push(indices.splice(pick % indices.length, 1)[0]!)
          }
          while (lost.length < m) lost.push(indices.shift()!)
          expect(hex(await decodeObject(lose(shards, lost), meta, KEY))).toBe(hex(data))
        },
      ),
      {
        numRuns: 30,
        // Always include whole-MiB objects, random and compressible, under every compression.
        examples: COMPRESSIONS.flatMap((c, i) => [
          [1 << 20, i, false, c, 16, 4, [0, 0, 0, 0]] as [
            number,
            number,
            boolean,
            Compression,
            number,
            number,
            number[],
          ],
          [(1 << 20) - 1, i, true, c, 16, 4, [3, 7, 11, 15]] as [
            number,
            number,
            boolean,
            Compression,
            number,
            number,
            number[],
          ],
        ]),
      },
    )
  })

  it('records the checksums upstream records: BLAKE2b-128 of the original and of every shard', async () => {
    const data = text(5000, 1)
    const { shards, meta } = await encodeObject(data, { k: 3, m: 2, compression: 'snappy', key: KEY })
    expect(hex(meta.checksum)).toBe(hex(blake2b128(data, { engine: 'noble' })))
    expect(meta.shardChecksums.map(hex)).toEqual(shards.map((s) => hex(blake2b128(s, { engine: 'noble' }))))
  })

  it('seals the snappy-framed object as nonce || ciphertext || tag, padded over k, as spec §2 lays out', async () => {
    const data = text(200_000, 2)
    const { shards, meta } = await encodeObject(data, { k: 5, m: 2, compression: 'snappy', key: KEY })
    const sealed = joinAndUnpad(shards.slice(0, 5))
    expect(sealed.length).toBe(meta.compressedSize + 28)
    const cipher = createCipher({ key: KEY })
    expect(hex(snappyFrameDecompress(cipher.decrypt(sealed)))).toBe(hex(data))
    cipher.destroy()
  })

  it('decodes with either cipher engine what the other encoded', async () => {
    const data = bytes(10_000, 3)
    for (const [a, b] of [
      ['node', 'noble'],
      ['noble', 'node'],
    ] as const) {
      const { shards, meta } = await encodeObject(data, {
        k: 4,
        m: 2,
        compression: 'zstd',
        key: KEY,
        engine: a,
      })
      expect(hex(await decodeObject(shards, meta, KEY, { engine: b }))).toBe(hex(data))
    }
  })

  it('gives ERR_TOO_FEW_SHARDS saying how many were found and needed when m + 1 shards are lost', async () => {
    const { shards, meta } = await encodeObject(bytes(3000, 4), { k: 4, m: 2, compression: 'none', key: KEY })
    const error = await rejection(
      PipelineError,
      'ERR_TOO_FEW_SHARDS',
      decodeObject(lose(shards, [1, 4, 5]), meta, KEY),
    )
    expect(error.message).toContain(
      'found 3 valid shards of 6 (3 missing, 0 of wrong size or failing their checksum) and k = 4 are needed',
    )
  })

  it('skips a shard with any flipped byte as missing and still decodes', async () => {
    const data = text(50_000, 5)
    const { shards, meta } = await encodeObject(data, { k: 4, m: 2, compression: 'snappy', key: KEY })
    await fc.assert(
      fc.asyncProperty(
        fc.nat(5),
        fc.nat(meta.shardSize - 1),
        fc.integer({ min: 1, max: 255 }),
        async (i, at, mask) => {
          const copy = shards.map((s) => s.slice())
          copy[i]![at]! ^= mask
          expect(hex(await decodeObject(copy, meta, KEY))).toBe(hex(data))
        },
      ),
      { numRuns: 40 },
    )
  })

  it('counts a shard of the wrong size as missing', async () => {
    const data = bytes(999, 6)
    const { shards, meta } = await encodeObject(data, { k: 3, m: 1, compression: 'none', key: KEY })
    const copy: Uint8Array[] = [...shards]
    copy[0] = shards[0]!.subarray(1)
    expect(hex(await decodeObject(copy, meta, KEY))).toBe(hex(data))
  })

  it('gives ERR_TOO_FEW_SHARDS when bytes are flipped in m + 1 shards', async () => {
    const { shards, meta } = await encodeObject(bytes(7000, 7), { k: 4, m: 2, compression: 'zstd', key: KEY })
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray([0, 1, 2, 3, 4, 5], { minLength: 3, maxLength: 3 }),
        fc.nat(meta.shardSize - 1),
        async (bad, at) => {
          const copy = shards.map((s) => s.slice())
          for (const i of bad) copy[i]![at]! ^= 0x80
          const error = await rejection(PipelineError, 'ERR_TOO_FEW_SHARDS', decodeObject(copy, meta, KEY))
          expect(error.message).toContain('3 of wrong size or failing their checksum')
        },
      ),
      { numRuns: 20 },
    )
  })

  it('gives ERR_DECRYPT_AUTH for the wrong key', async () => {
    const { shards, meta } = await encodeObject(bytes(4000, 8), {
      k: 2,
      m: 2,
      compression: 'snappy',
      key: KEY,
    })
    await rejection(CryptoError, 'ERR_DECRYPT_AUTH', decodeObject(shards, meta, OTHER_KEY))
  })

  it('gives ERR_DECRYPT_AUTH when shards are altered and their recorded checksums with them', async () => {
    const { shards, meta } = await encodeObject(bytes(4000, 9), { k: 2, m: 2, compression: 'none', key: KEY })
    const copy = shards.map((s) => s.slice())
    copy[0]![20]! ^= 1
    const forged: ObjectMeta = { ...meta, shardChecksums: copy.map((s) => blake2b128(s)) }
    await rejection(
      CryptoError,
      'ERR_DECRYPT_AUTH',
      decodeObject(copy.slice(0, 2).concat([null, null] as never[]), forged, KEY),
    )
  })

  it('gives ERR_OBJECT_CHECKSUM when the decoded object is not the one the metadata describes', async () => {
    const { shards, meta } = await encodeObject(bytes(4000, 10), {
      k: 2,
      m: 2,
      compression: 'zstd',
      key: KEY,
    })
    const checksum = meta.checksum.slice()
    checksum[0]! ^= 1
    await rejection(PipelineError, 'ERR_OBJECT_CHECKSUM', decodeObject(shards, { ...meta, checksum }, KEY))
    // Another object's shards, sealed under the same key, with this object's checksum.
    const other = await encodeObject(bytes(4000, 22), { k: 2, m: 2, compression: 'zstd', key: KEY })
    await rejection(
      PipelineError,
      'ERR_OBJECT_CHECKSUM',
      decodeObject(other.shards, { ...other.meta, checksum: meta.checksum }, KEY),
    )
  })

  it('refuses metadata that is incomplete, inconsistent or names what this package lacks, with ERR_OBJECT_META', async () => {
    const { shards, meta } = await encodeObject(bytes(100, 12), {
      k: 2,
      m: 1,
      compression: 'snappy',
      key: KEY,
    })
    const cases: [Partial<Record<keyof ObjectMeta, unknown>>, string][] = [
      [{ erasureCode: 'cauchy' }, 'erasure code "cauchy" is not supported'],
      [{ cipher: 'chacha20' }, 'cipher "chacha20" is not supported'],
      [{ compression: 'lz4' }, 'compression "lz4"'],
      [{ k: 0 }, '`k` (data shards) must be an integer'],
      [{ shardSize: meta.shardSize + 1 }, 'shardSize is'],
      [{ shardChecksums: meta.shardChecksums.slice(1) }, 'must hold k + m = 3 checksums, got 2'],
      [{ checksum: new Uint8Array(32) }, 'checksum must be 16 bytes'],
      [{ size: -1 }, 'non-negative integers'],
    ]
    for (const [change, message] of cases) {
      const error = await rejection(
        PipelineError,
        'ERR_OBJECT_META',
        decodeObject(shards, { ...meta, ...change } as ObjectMeta, KEY),
      )
      expect(error.message).toContain(message)
    }
    await rejection(PipelineError, 'ERR_PIPELINE_ARGUMENT', decodeObject(shards.slice(1), meta, KEY))
  })

  it('refuses bad arguments to encodeObject at the stage that checks them', async () => {
    await rejection(
      PipelineError,
      'ERR_PIPELINE_ARGUMENT',
      encodeObject('x' as never, { k: 1, m: 1, compression: 'none', key: KEY }),
    )
    await rejection(
      CryptoError,
      'ERR_KEY_LENGTH',
      encodeObject(new Uint8Array(1), { k: 1, m: 1, compression: 'none', key: new Uint8Array(16) }),
    )
    const error = await encodeObject(new Uint8Array(1), { k: 1, m: 0, compression: 'none', key: KEY }).catch(
      (e: unknown) => e,
    )
    expect((error as { code: string }).code).toBe('ERR_RS_PARAMS')
    const unknown = await encodeObject(new Uint8Array(1), {
      k: 1,
      m: 1,
      compression: 'lz4' as Compression,
      key: KEY,
    }).catch((e: unknown) => e)
    expect((unknown as { code: string }).code).toBe('ERR_COMPRESSION_ARGUMENT')
  })
})

describe('encodeObject and decodeObject with the ronomon erasure profile', () => {
  it('round-trips with erasure: ronomon, recording rs-cauchy-ronomon, for any k ≤ 24, m ≤ 6 and loss of up to m shards', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer(),
        async (k, m, length, seed) => {
          const data = bytes(length, seed)
          const { shards, meta } = await encodeObject(data, {
            k,
            m,
            compression: 'zstd',
            key: KEY,
            erasure: 'ronomon',
          })
          expect(meta.erasureCode).toBe('rs-cauchy-ronomon')
          // the first m shards lost: as many data shards as can be
          const lost = Array.from({ length: m }, (_, i) => i)
          expect(hex(await decodeObject(lose(shards, lost), meta, KEY))).toBe(hex(data))
        },
      ),
      { numRuns: 40 },
    )
  })

  it('the default is the standard code, and erasure: standard is the same', async () => {
    const data = text(5000, 4)
    const byDefault = await encodeObject(data, { k: 4, m: 2, compression: 'none', key: KEY })
    const standard = await encodeObject(data, {
      k: 4,
      m: 2,
      compression: 'none',
      key: KEY,
      erasure: 'standard',
    })
    expect(byDefault.meta.erasureCode).toBe('rs-vandermonde-gf256')
    expect(standard.meta.erasureCode).toBe('rs-vandermonde-gf256')
  })

  it('refuses an unknown profile (ERR_PIPELINE_ARGUMENT) and k or m past the addon limits (ERR_RS_PARAMS)', async () => {
    const error = await rejection(
      PipelineError,
      'ERR_PIPELINE_ARGUMENT',
      encodeObject(bytes(10, 1), { k: 2, m: 1, compression: 'none', key: KEY, erasure: 'cauchy' as never }),
    )
    expect(error.message).toContain('`erasure` must be one of standard, ronomon, got "cauchy"')
    for (const [k, m, limit] of [
      [25, 2, 'MAX_K = 24'],
      [4, 7, 'MAX_M = 6'],
    ] as const) {
      const e = await rejection(
        ErasureCodeError,
        'ERR_RS_PARAMS',
        encodeObject(bytes(10, 1), { k, m, compression: 'none', key: KEY, erasure: 'ronomon' }),
      )
      expect(e.message).toContain(limit)
    }
    // the standard code still takes them
    await encodeObject(bytes(10, 1), { k: 25, m: 7, compression: 'none', key: KEY })
  })

  it('refuses metadata naming ronomon with k or m past its limits, with ERR_OBJECT_META', async () => {
    const { shards, meta } = await encodeObject(bytes(500, 2), { k: 25, m: 2, compression: 'none', key: KEY })
    const error = await rejection(
      PipelineError,
      'ERR_OBJECT_META',
      decodeObject(shards, { ...meta, erasureCode: 'rs-cauchy-ronomon' }, KEY),
    )
    expect(error.message).toContain('MAX_K = 24')
  })

  it('shards decoded with another code than the one that made them fail with ERR_OBJECT_CHECKSUM, never wrong bytes', async () => {
    for (const [made, recorded] of [
      ['ronomon', 'rs-vandermonde-gf256'],
      ['standard', 'rs-cauchy-ronomon'],
    ] as const) {
      for (const length of [0, 1, 100, 4321, 70_000]) {
        const data = bytes(length, length + 5)
        const { shards, meta } = await encodeObject(data, {
          k: 4,
          m: 2,
          compression: 'snappy',
          key: KEY,
          erasure: made,
        })
        const mislabelled: ObjectMeta = { ...meta, erasureCode: recorded }
        // the code is systematic: with every data shard present no decoding is needed, and the
        // bytes are right whatever the code
        expect(hex(await decodeObject(shards, mislabelled, KEY))).toBe(hex(data))
        // every lost data shard is rebuilt with the wrong code and caught by its shard checksum
        // (without that check: GCM's ERR_DECRYPT_AUTH, or ERR_RS_PADDING when the last data
        // shard is rebuilt, so never wrong bytes, but no error saying why)
        for (const lost of [[0], [3], [1, 2], [0, 4], [2, 5]]) {
          const error = await rejection(
            PipelineError,
            'ERR_OBJECT_CHECKSUM',
            decodeObject(lose(shards, lost), mislabelled, KEY),
          )
          expect(error.message).toContain(`not made with the erasure code the metadata records (${recorded}`)
        }
      }
    }
  })

  it('encodeStream passes erasure: ronomon on to every object', async () => {
    const input = bytes(10_000, 8)
    const objects = []
    for await (const object of encodeStream([input], {
      k: 3,
      m: 2,
      compression: 'none',
      key: KEY,
      erasure: 'ronomon',
      objectSize: 4096,
    })) {
      objects.push(object)
    }
    expect(objects).toHaveLength(3)
    const parts = []
    for (const { shards, meta } of objects) {
      expect(meta.erasureCode).toBe('rs-cauchy-ronomon')
      parts.push(await decodeObject(lose(shards, [0, 1]), meta, KEY))
    }
    expect(hex(Buffer.concat(parts))).toBe(hex(input))
    expect(() =>
      encodeStream([input], { k: 30, m: 2, compression: 'none', key: KEY, erasure: 'ronomon' }),
    ).toThrow(ErasureCodeError)
  })
})
