import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_CHUNK_SIZE,
  decodeMetadata,
  decodeObject,
  decodeUpstreamMetadata,
  encodeMetadata,
  encodeObject,
  formatHexKey,
  MetadataError,
  toMetadata,
  type UpstreamMetadata,
} from '../src/index.js'
import { bytes } from './helpers.js'

const SEED = 0xb1_4c0de

interface Segment {
  field: string
  hex?: string
  ascii?: string
}

const fromHex = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'))
const ascii = (text: string) => new TextEncoder().encode(text)

function assemble(segments: readonly Segment[]): Uint8Array {
  return Uint8Array.from(
    segments.flatMap((s) => [...(s.hex !== undefined ? fromHex(s.hex) : ascii(s.ascii!))]),
  )
}

interface Expected {
  dataShards: number
  disposableShards: number
  checksum: string
  shards: {
    shardIdx: number
    checksum: string
    keys: { version: 1 | 2; value: number | string }[]
    ci: {
      address: { family: string; ip: string; port: number }
      namespace: string | null
      hasPassword: boolean
    }
  }[]
}

const vectors = JSON.parse(
  readFileSync(new URL('./vectors/upstream-metadata.json', import.meta.url), 'utf8'),
) as { fixtures: { name: string; segments: Segment[]; secrets: string[]; expected: Expected }[] }

/** The fixture's expected object in the decoder's types: checksums as bytes, V2 keys as bigint. */
function expectedOf(e: Expected): UpstreamMetadata {
  return {
    ...e,
    encryption: { algorithm: 'AES' },
    compression: { algorithm: 'snappy' },
    checksum: fromHex(e.checksum),
    shards: e.shards.map((s) => ({
      ...s,
      checksum: fromHex(s.checksum),
      keys: s.keys.map((k) =>
        k.version === 1 ? { version: 1, value: Number(k.value) } : { version: 2, value: BigInt(k.value) },
      ),
      ci: { ...s.ci, address: { ...s.ci.address, family: s.ci.address.family as 'ipv4' | 'ipv6' } },
    })),
  }
}

function metadataError(fn: () => unknown): MetadataError {
  try {
    fn()
  } catch (error) {
    if (error instanceof MetadataError) return error
    throw error
  }
  throw new Error('expected a MetadataError, but nothing was thrown')
}

/** Every string and byte array reachable from `value`, as text, for looking for secrets. */
function everything(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => {
    if (typeof v === 'bigint') return v.toString()
    if (v instanceof Uint8Array)
      return `${Buffer.from(v).toString('hex')}|${Buffer.from(v).toString('latin1')}`
    return v
  })
}

const fixtures = vectors.fixtures.map((f) => ({
  ...f,
  bytes: assemble(f.segments),
  expected: expectedOf(f.expected),
}))
const first = fixtures[0]!

/** A copy of `b` with `replace` put in place of `count` bytes at `at`. */
function splice(b: Uint8Array, at: number, count: number, replace: Uint8Array): Uint8Array {
  return Uint8Array.from([...b.subarray(0, at), ...replace, ...b.subarray(at + count)])
}

/** Offset of the first byte of the segment whose `field` starts with `field`. */
function offsetOf(segments: readonly Segment[], field: string): number {
  let at = 0
  for (const s of segments) {
    if (s.field.startsWith(field)) return at
    at += s.hex !== undefined ? fromHex(s.hex).length : ascii(s.ascii!).length
  }
  throw new Error(`no segment ${field}`)
}

describe('upstream bincode MetaData: hand-built fixtures', () => {
  for (const fixture of fixtures) {
    it(`the fixture "${fixture.name}" decodes to the expected object`, () => {
      expect(decodeUpstreamMetadata(fixture.bytes)).toEqual(fixture.expected)
    })

    it(`the fixture "${fixture.name}" comes back without its key or passwords`, () => {
      const text = everything(decodeUpstreamMetadata(fixture.bytes))
      expect(fixture.secrets.length).toBeGreaterThan(0)
      for (const secret of fixture.secrets) {
        expect(text).not.toContain(secret)
        expect(text).not.toContain(Buffer.from(secret).toString('hex'))
      }
    })

    it(`every truncation of the fixture "${fixture.name}" is ERR_METADATA_CORRUPT`, () => {
      for (let length = 0; length < fixture.bytes.length; length++) {
        const error = metadataError(() => decodeUpstreamMetadata(fixture.bytes.subarray(0, length)))
        expect(error.code).toBe('ERR_METADATA_CORRUPT')
      }
    })
  }
})

describe('upstream bincode MetaData: what upstream would refuse', () => {
  const segments = first.segments
  const keyAt = offsetOf(segments, 'SymmetricKey hex text')
  const cases: [string, Uint8Array, string][] = [
    [
      'a key of 63 characters',
      splice(splice(first.bytes, keyAt - 8, 8, fromHex('3f00000000000000')), keyAt, 1, new Uint8Array(0)),
      'exactly 64',
    ],
    [
      'a key with a character that is not hex',
      splice(first.bytes, keyAt + 5, 1, ascii('g')),
      'not 64 hex digits',
    ],
    [
      'an encryption variant other than Aes',
      splice(first.bytes, offsetOf(segments, 'encryption:'), 4, fromHex('01000000')),
      'encryption: variant 1',
    ],
    [
      'a compression variant other than Snappy',
      splice(first.bytes, offsetOf(segments, 'compression:'), 4, fromHex('02000000')),
      'compression: variant 2',
    ],
    [
      'a Key variant other than V1 and V2',
      splice(first.bytes, offsetOf(segments, 'Key::V1 (variant 0)'), 4, fromHex('02000000')),
      'keys[0]: variant 2',
    ],
    [
      'a SocketAddr variant other than V4 and V6',
      splice(first.bytes, offsetOf(segments, 'ci.address: SocketAddr::V4'), 4, fromHex('07000000')),
      'ci.address: variant 7',
    ],
    [
      'an option tag other than 0 and 1',
      splice(first.bytes, offsetOf(segments, 'ci.namespace: Some, length 5'), 1, fromHex('02')),
      'option tag 2',
    ],
    [
      'a password that is not UTF-8',
      splice(first.bytes, offsetOf(segments, 'password text'), 1, fromHex('ff')),
      'password is not valid UTF-8',
    ],
    [
      'a namespace that is not UTF-8',
      splice(first.bytes, offsetOf(segments, 'namespace text'), 1, fromHex('c0')),
      'namespace is not valid UTF-8',
    ],
    ['a byte after the record', Uint8Array.from([...first.bytes, 0]), '1 bytes after the end'],
    [
      'a shard count that the bytes left cannot hold',
      splice(first.bytes, offsetOf(segments, 'shards: Vec'), 8, fromHex('ffffffff00000000')),
      'truncated: 4294967295 shards',
    ],
    [
      'a usize over 2^53 - 1',
      splice(first.bytes, 0, 8, fromHex('0000000000002000')),
      'data_shards is 9007199254740992',
    ],
  ]
  for (const [what, input, message] of cases) {
    it(`${what} is ERR_METADATA_CORRUPT`, () => {
      const error = metadataError(() => decodeUpstreamMetadata(input))
      expect(error.code).toBe('ERR_METADATA_CORRUPT')
      expect(error.message).toContain(message)
    })
  }

  it('random bytes never throw anything but ERR_METADATA_CORRUPT (fuzz, 2000 runs)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (random) => {
        expect(metadataError(() => decodeUpstreamMetadata(random)).code).toBe('ERR_METADATA_CORRUPT')
      }),
      { seed: SEED, numRuns: 2000 },
    )
  })

  it('a fixture with random bytes changed decodes or is ERR_METADATA_CORRUPT, never anything else', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...fixtures),
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }),
        (fixture, edits) => {
          const input = fixture.bytes.slice()
          for (const { at, value } of edits) input[at % input.length] = value
          try {
            decodeUpstreamMetadata(input)
          } catch (error) {
            if (!(error instanceof MetadataError) || error.code !== 'ERR_METADATA_CORRUPT') throw error
          }
        },
      ),
      { seed: SEED, numRuns: 2000 },
    )
  })
})

/**
 * Upstream's bincode `MetaData`, written field by field from meta.rs and zdb.rs as the fixtures
 * are, for shards our pipeline produced.
 */
function upstreamRecord(
  k: number,
  m: number,
  checksum: Uint8Array,
  hexKey: string,
  shardChecksums: readonly Uint8Array[],
): Uint8Array {
  const out: number[] = []
  const u32 = (v: number) => out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24)
  const u64 = (v: number) => {
    u32(v % 2 ** 32)
    u32(Math.floor(v / 2 ** 32))
  }
  const str = (s: string) => {
    u64(ascii(s).length)
    out.push(...ascii(s))
  }
  u64(k)
  u64(m)
  out.push(...checksum)
  u32(0) // EncryptionMeta::Aes
  str(hexKey)
  u32(0) // CompressionMeta::Snappy
  u64(k + m)
  shardChecksums.forEach((sum, i) => {
    u64(i)
    out.push(...sum)
    u64(1) // one key: every shard here is under 2 MiB
    u32(1) // Key::V2
    u64(7 + i)
    if (i % 2 === 0) {
      u32(0) // SocketAddr::V4 10.0.0.i:9900
      out.push(10, 0, 0, i, 0xac, 0x26)
    } else {
      u32(1) // SocketAddr::V6 2001:db8::i, port 9900
      out.push(0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), i, 0xac, 0x26)
    }
    out.push(1)
    str(`data${i}`)
    out.push(1)
    str('namespace-password')
  })
  return Uint8Array.from(out)
}

describe('upstream bincode MetaData: converting to our Metadata', () => {
  it('an upstream record of shards from our pipeline converts to Metadata that decodes them, two shards lost', async () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i)
    const object = bytes(40_000, 11)
    const { shards, meta } = await encodeObject(object, { k: 3, m: 2, compression: 'snappy', key })
    const record = upstreamRecord(3, 2, meta.checksum, formatHexKey(key), meta.shardChecksums)
    const upstream = decodeUpstreamMetadata(record)
    const metadata = toMetadata(upstream, { size: meta.size, compressedSize: meta.compressedSize })
    expect(metadata.chunkSize).toBe(DEFAULT_CHUNK_SIZE)
    expect(metadata.locations[1]).toEqual({
      address: { kind: 'tcp', host: '2001:db8::1', port: 9900 },
      namespace: 'data1',
      keys: [Uint8Array.of(8, 0, 0, 0, 0, 0, 0, 0)],
    })
    const fetched: (Uint8Array | null)[] = [...shards]
    fetched[0] = null
    fetched[3] = null
    expect(await decodeObject(fetched, metadata, key)).toEqual(object)
    const ours = encodeMetadata(metadata)
    expect(decodeMetadata(ours)).toEqual(metadata)
    expect(everything(metadata)).not.toContain('namespace-password')
    expect(everything(metadata)).not.toContain(formatHexKey(key))
  })

  it('shards out of order in the upstream record are put in shard order', () => {
    const up = decodeUpstreamMetadata(first.bytes)
    const oneKey = up.shards.map((s) => ({ ...s, keys: s.keys.slice(0, 1) }))
    const shuffled = { ...up, shards: [oneKey[2]!, oneKey[0]!, oneKey[1]!] }
    const metadata = toMetadata(shuffled, { size: 10, compressedSize: 10 })
    expect(metadata.locations.map((l) => l.address)).toEqual([
      { kind: 'tcp', host: '10.0.0.1', port: 9900 },
      { kind: 'tcp', host: '192.168.1.20', port: 9901 },
      { kind: 'tcp', host: '127.0.0.1', port: 65535 },
    ])
    expect(metadata.shardChecksums).toEqual(up.shards.map((s) => s.checksum))
    expect(metadata.locations[2]!.keys).toEqual([Uint8Array.of(0xef, 0xbe, 0xad, 0xde)])
  })

  it('what our pipeline cannot read is ERR_METADATA_UNSUPPORTED saying what', () => {
    const up = decodeUpstreamMetadata(first.bytes)
    const v6 = decodeUpstreamMetadata(fixtures[1]!.bytes)
    const sizes = { size: 100, compressedSize: 120 }
    const cases: [UpstreamMetadata, string][] = [
      [{ ...up, disposableShards: 0 }, '`m`'],
      [{ ...up, dataShards: 300 }, '`k`'],
      [{ ...up, shards: up.shards.slice(1) }, '2 shards, k + m = 3 expected'],
      [{ ...up, shards: [up.shards[0]!, up.shards[0]!, up.shards[2]!] }, 'shard index 0'],
      [{ ...up, shards: [up.shards[0]!, up.shards[2]!, up.shards[2]!] }, 'shard index 2'],
      [
        { ...v6, shards: v6.shards.map((s) => ({ ...s, keys: s.keys.slice(0, 1) })) },
        'shard 2 has an empty namespace',
      ],
      [up, 'shard 1 has 2 keys, but a 75-byte shard in 2 MiB chunks has 1'],
    ]
    for (const [upstream, message] of cases) {
      const error = metadataError(() => toMetadata(upstream, sizes))
      expect(error.code).toBe('ERR_METADATA_UNSUPPORTED')
      expect(error.message).toContain(message)
    }
    expect(metadataError(() => toMetadata(up, { size: -1, compressedSize: 0 })).code).toBe(
      'ERR_METADATA_ARGUMENT',
    )
  })
})
