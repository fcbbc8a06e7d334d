import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { crc32c } from '../src/crc32c.js'
import {
  COMPRESSIONS,
  DEFAULT_CHUNK_SIZE,
  decodeMetadata,
  decodeObject,
  encodeMetadata,
  encodeObject,
  formatHexKey,
  METADATA_VERSION,
  type Metadata,
  MetadataError,
  OBJECT_CIPHER,
  RONOMON_RS_ID,
  type ShardLocation,
  STANDARD_RS_ID,
  shardSizeFor,
} from '../src/index.js'
import { bytes } from './helpers.js'

const KEY = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 ^ i)
const SEED = 0x5eed_3e7a

/** The MetadataError `fn` throws; fails the test on anything else. */
function metadataError(fn: () => unknown): MetadataError {
  try {
    fn()
  } catch (error) {
    if (error instanceof MetadataError) return error
    throw error
  }
  throw new Error('expected a MetadataError, but nothing was thrown')
}

/** `bytes` with its trailing CRC-32C recomputed: a forged record that passes the checksum. */
function reseal(record: Uint8Array): Uint8Array {
  const out = record.slice()
  new DataView(out.buffer).setUint32(out.length - 4, crc32c(out.subarray(0, out.length - 4)), true)
  return out
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}

/** Locations for `n` shards of `shardSize` bytes in 2 MiB chunks, on made-up backends. */
function locationsFor(n: number, shardSize: number, chunkSize = DEFAULT_CHUNK_SIZE): ShardLocation[] {
  const count = Math.ceil(shardSize / chunkSize)
  return Array.from({ length: n }, (_, i) => ({
    address:
      i % 3 === 2
        ? { kind: 'unix' as const, path: `/run/zdb-${i}.sock` }
        : { kind: 'tcp' as const, host: i % 3 === 0 ? `10.0.0.${i}` : `2001:db8::${i}`, port: 9900 + i },
    namespace: i % 2 === 0 ? `ns-${i}` : null,
    keys: Array.from({ length: count }, (_, j) => {
      const key = new Uint8Array(8)
      new DataView(key.buffer).setBigUint64(0, BigInt(1000 * i + j), true)
      return key
    }),
  }))
}

async function realMetadata(
  object = bytes(5000, 7),
  k = 4,
  m = 2,
): Promise<{
  metadata: Metadata
  shards: Uint8Array[]
  object: Uint8Array
}> {
  const { shards, meta } = await encodeObject(object, { k, m, compression: 'snappy', key: KEY })
  const metadata: Metadata = {
    ...meta,
    chunkSize: 1024,
    locations: locationsFor(k + m, meta.shardSize, 1024),
  }
  return { metadata, shards, object }
}

const text = (max: number) => fc.string({ unit: 'grapheme', minLength: 1, maxLength: max })

/** Any valid `Metadata`, with sizes past 2^32 and 1..4 keys per shard. */
const arbMetadata: fc.Arbitrary<Metadata> = fc
  .record({
    k: fc.integer({ min: 1, max: 20 }),
    m: fc.integer({ min: 1, max: 12 }),
    compression: fc.constantFrom(...COMPRESSIONS),
    size: fc.integer({ min: 0, max: 2 ** 33 }),
    compressedSize: fc.integer({ min: 0, max: 2 ** 33 }),
    checksum: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  })
  .chain(({ k, m, compression, size, compressedSize, checksum }) => {
    const compressed = compression === 'none' ? size : compressedSize
    const shardSize = shardSizeFor(compressed, k)
    const n = k + m
    return fc.integer({ min: Math.max(1, Math.ceil(shardSize / 4)), max: 0xffffffff }).chain((chunkSize) => {
      const count = Math.ceil(shardSize / chunkSize)
      const address = fc.oneof(
        fc.record({
          kind: fc.constant('tcp' as const),
          host: fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain(), text(10)),
          port: fc.integer({ min: 1, max: 0xffff }),
        }),
        fc.record({ kind: fc.constant('unix' as const), path: text(30) }),
      )
      const location = fc.record({
        address,
        namespace: fc.option(text(10), { nil: null }),
        keys: fc.array(fc.uint8Array({ minLength: 1, maxLength: 12 }), {
          minLength: count,
          maxLength: count,
        }),
      })
      return fc
        .record({
          shardChecksums: fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), {
            minLength: n,
            maxLength: n,
          }),
          locations: fc.array(location, { minLength: n, maxLength: n }),
        })
        .map(
          ({ shardChecksums, locations }): Metadata => ({
            size,
            checksum,
            compression,
            compressedSize: compressed,
            cipher: OBJECT_CIPHER,
            erasureCode: STANDARD_RS_ID,
            k,
            m,
            shardSize,
            shardChecksums,
            chunkSize,
            locations,
          }),
        )
    })
  })

describe('metadata record: round trips', () => {
  it('decoding an encoded record gives back the same metadata (fast-check)', () => {
    fc.assert(
      fc.property(arbMetadata, (meta) => {
        const record = encodeMetadata(meta)
        const back = decodeMetadata(record)
        expect(back).toEqual(meta)
        expect(encodeMetadata(back)).toEqual(record)
      }),
      { seed: SEED, numRuns: 200 },
    )
  })

  it('metadata from encodeObject, encoded and decoded, still decodes the object with one shard lost', async () => {
    const { metadata, shards, object } = await realMetadata(bytes(70_000, 3), 5, 3)
    const back = decodeMetadata(encodeMetadata(metadata))
    expect(back.locations[0]!.keys).toHaveLength(Math.ceil(metadata.shardSize / 1024))
    const fetched: (Uint8Array | null)[] = [...shards]
    fetched[1] = null
    expect(await decodeObject(fetched, back, KEY)).toEqual(object)
  })

  it('the record starts with "QSFM" and the version, and ends with the CRC-32C of the rest', async () => {
    const record = encodeMetadata((await realMetadata()).metadata)
    expect(new TextDecoder().decode(record.subarray(0, 4))).toBe('QSFM')
    expect(record[4]).toBe(METADATA_VERSION)
    const crc = new DataView(record.buffer).getUint32(record.length - 4, true)
    expect(crc).toBe(crc32c(record.subarray(0, record.length - 4)))
  })
})

describe('metadata record: the erasure code id', () => {
  it('records id 1 for the standard code and id 2 for rs-cauchy-ronomon, and decodes back to it', async () => {
    const standard = encodeMetadata((await realMetadata()).metadata)
    expect(standard[5]).toBe(1)
    const object = bytes(20_000, 11)
    const { shards, meta } = await encodeObject(object, {
      k: 5,
      m: 3,
      compression: 'zstd',
      key: KEY,
      erasure: 'ronomon',
    })
    const metadata: Metadata = { ...meta, chunkSize: 1024, locations: locationsFor(8, meta.shardSize, 1024) }
    const record = encodeMetadata(metadata)
    expect(record[5]).toBe(2)
    const back = decodeMetadata(record)
    expect(back).toEqual(metadata)
    expect(back.erasureCode).toBe(RONOMON_RS_ID)
    expect(encodeMetadata(back)).toEqual(record)
    expect(
      await decodeObject([null, shards[1]!, null, shards[3]!, null, ...shards.slice(5)], back, KEY),
    ).toEqual(object)
  })

  it('id 2 with k > 24 or m > 6 is refused: ERR_METADATA_ARGUMENT to encode, ERR_METADATA_CORRUPT to decode', async () => {
    const { metadata } = await realMetadata(bytes(3000, 2), 25, 2)
    const error = metadataError(() => encodeMetadata({ ...metadata, erasureCode: RONOMON_RS_ID }))
    expect(error.code).toBe('ERR_METADATA_ARGUMENT')
    expect(error.message).toContain('MAX_K = 24')
    const forged = encodeMetadata(metadata)
    forged[5] = 2
    const corrupt = metadataError(() => decodeMetadata(reseal(forged)))
    expect(corrupt.code).toBe('ERR_METADATA_CORRUPT')
    expect(corrupt.message).toContain('MAX_K = 24')
  })
})

describe('metadata record: what it never holds', () => {
  it('the encryption key appears nowhere in a record of an object encoded with it', async () => {
    const { metadata } = await realMetadata()
    const careless = { ...metadata, key: KEY, password: 'hunter2' } as Metadata
    const record = encodeMetadata(careless)
    expect(indexOf(record, KEY)).toBe(-1)
    expect(indexOf(record, new TextEncoder().encode(formatHexKey(KEY)))).toBe(-1)
    expect(indexOf(record, new TextEncoder().encode('hunter2'))).toBe(-1)
    expect(record).toEqual(encodeMetadata(metadata))
  })
})

describe('metadata record: corrupt input', () => {
  it('every truncation of a record is ERR_METADATA_CORRUPT', async () => {
    const record = encodeMetadata((await realMetadata()).metadata)
    for (let length = 0; length < record.length; length++) {
      expect(metadataError(() => decodeMetadata(record.subarray(0, length))).code).toBe(
        'ERR_METADATA_CORRUPT',
      )
    }
  })

  it('a flipped bit anywhere after the version fails the CRC-32C', async () => {
    const record = encodeMetadata((await realMetadata()).metadata)
    for (let i = 5; i < record.length; i++) {
      const altered = record.slice()
      altered[i]! ^= 1 << (i % 8)
      const error = metadataError(() => decodeMetadata(altered))
      expect(error.code).toBe('ERR_METADATA_CORRUPT')
    }
  })

  it('a bumped version byte is ERR_METADATA_VERSION, naming the versions supported', async () => {
    const record = encodeMetadata((await realMetadata()).metadata)
    for (const version of [0, METADATA_VERSION + 1, 255]) {
      const bumped = record.slice()
      bumped[4] = version
      const error = metadataError(() => decodeMetadata(bumped))
      expect(error.code).toBe('ERR_METADATA_VERSION')
      expect(error.message).toContain(`version ${version} is not supported`)
      expect(error.message).toContain(`reads version ${METADATA_VERSION}`)
    }
  })

  it('random bytes never throw anything but a MetadataError (fuzz, 2000 runs)', () => {
    const magic = Uint8Array.of(0x51, 0x53, 0x46, 0x4d, METADATA_VERSION)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (random, withMagic) => {
        const input = withMagic ? Uint8Array.from([...magic, ...random]) : random
        const error = metadataError(() => decodeMetadata(input))
        expect(['ERR_METADATA_CORRUPT', 'ERR_METADATA_VERSION']).toContain(error.code)
      }),
      { seed: SEED, numRuns: 2000 },
    )
  })

  it('a forged record with a valid CRC either decodes to metadata that re-encodes to it, or is a MetadataError', async () => {
    const record = encodeMetadata((await realMetadata(bytes(3000, 9), 3, 2)).metadata)
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(record.length - 10), value: fc.integer({ min: 0, max: 255 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.oneof(fc.constant(0), fc.nat(record.length - 5)),
        (edits, cut) => {
          const forged = record.slice(0, Math.max(60, record.length - cut))
          for (const { at, value } of edits) if (at + 5 < forged.length - 4) forged[at + 5] = value
          const input = reseal(forged)
          try {
            expect(encodeMetadata(decodeMetadata(input))).toEqual(input)
          } catch (error) {
            if (!(error instanceof MetadataError)) throw error
          }
        },
      ),
      { seed: SEED, numRuns: 2000 },
    )
  })

  it('a forged key count is refused before anything is allocated for it', async () => {
    const { metadata } = await realMetadata(bytes(100, 1), 1, 1)
    const one = { ...metadata, chunkSize: 1, locations: locationsFor(2, metadata.shardSize, 1) }
    const record = encodeMetadata(one)
    // chunkSize 1 → one key per shard byte; claim 2^32 - 1 keys with a matching huge chunk count.
    const view = new DataView(record.buffer)
    const countAt = 48 + 1 + 16 + 1 + 2 + 1 + '10.0.0.0'.length + 1 + 'ns-0'.length
    expect(view.getUint32(countAt, true)).toBe(metadata.shardSize)
    view.setUint32(countAt, 0xffffffff, true)
    const error = metadataError(() => decodeMetadata(reseal(record)))
    expect(error.code).toBe('ERR_METADATA_CORRUPT')
    expect(error.message).toContain(`has 4294967295 keys`)
  })

  it('a size over 2^53 - 1 is ERR_METADATA_CORRUPT, not a rounded number', async () => {
    const record = encodeMetadata((await realMetadata()).metadata)
    new DataView(record.buffer).setBigUint64(12, 2n ** 53n, true)
    const error = metadataError(() => decodeMetadata(reseal(record)))
    expect(error.code).toBe('ERR_METADATA_CORRUPT')
    expect(error.message).toContain('size is 9007199254740992')
  })

  it('an unknown erasure code, compression, cipher or checksum id is ERR_METADATA_UNSUPPORTED', async () => {
    const record = encodeMetadata((await realMetadata()).metadata)
    for (const [at, what] of [
      [5, 'erasure code id 9'],
      [8, 'compression id 9'],
      [9, 'cipher id 9'],
      [10, 'checksum id 9'],
    ] as const) {
      const forged = record.slice()
      forged[at] = 9
      const error = metadataError(() => decodeMetadata(reseal(forged)))
      expect(error.code).toBe('ERR_METADATA_UNSUPPORTED')
      expect(error.message).toContain(what)
    }
  })

  it('bytes that do not start with the magic are refused as not a record', () => {
    const error = metadataError(() =>
      decodeMetadata(new TextEncoder().encode('{"k":4,"m":2}........................................')),
    )
    expect(error.code).toBe('ERR_METADATA_CORRUPT')
    expect(error.message).toContain('not a metadata record')
  })
})

describe('metadata record: encoding checks its argument', () => {
  it('inconsistent or incomplete metadata is ERR_METADATA_ARGUMENT naming the field', async () => {
    const { metadata } = await realMetadata()
    const cases: [Partial<Metadata> & Record<string, unknown>, string][] = [
      [{ shardSize: metadata.shardSize + 1 }, 'shardSize'],
      [{ k: 0 }, '`k`'],
      [{ chunkSize: 0 }, 'chunkSize'],
      [{ locations: metadata.locations.slice(1) }, 'locations must hold'],
      [{ shardChecksums: metadata.shardChecksums.slice(1) }, 'shardChecksums'],
      [{ compression: 'lz4' as never }, 'compression'],
      [{ checksum: new Uint8Array(15) }, 'checksum'],
      [
        { locations: [{ ...metadata.locations[0]!, namespace: '' }, ...metadata.locations.slice(1)] },
        'locations[0].namespace',
      ],
      [
        { locations: [{ ...metadata.locations[0]!, keys: [] }, ...metadata.locations.slice(1)] },
        'locations[0].keys',
      ],
      [
        {
          locations: [
            { ...metadata.locations[0]!, address: { kind: 'tcp', host: 'a', port: 70000 } },
            ...metadata.locations.slice(1),
          ],
        },
        'locations[0].address.port',
      ],
    ]
    for (const [change, field] of cases) {
      const error = metadataError(() => encodeMetadata({ ...metadata, ...change } as Metadata))
      expect(error.code).toBe('ERR_METADATA_ARGUMENT')
      expect(error.message).toContain(field)
    }
  })
})
