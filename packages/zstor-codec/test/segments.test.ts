import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type CipherEngine, CryptoError, createCipher, padAndSplit } from '../src/index.js'
import { padSegments, unpaddedLength } from '../src/padding.js'
import { copySegmentRange, SegmentWriter } from '../src/segments.js'
import { bytes, thrown } from './helpers.js'

const ENGINES: CipherEngine[] = ['node', 'noble']
const KEY = Uint8Array.from({ length: 32 }, (_, i) => 200 - i)
const join = (parts: readonly Uint8Array[]) => Buffer.concat(parts)

describe('sealing into segments (the data shards, in place)', () => {
  it('cuts exactly the bytes encrypt gives, into whole segments, for either engine', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 700 }),
        fc.constantFrom(...ENGINES),
        (length, segment, engine) => {
          const plain = bytes(length, length + segment)
          const cipher = createCipher({ key: KEY, engine })
          const segments = cipher.encryptSegments(plain, segment)
          expect(segments.slice(0, -1).every((s) => s.length === segment)).toBe(true)
          expect(segments.at(-1)!.length).toBeLessThanOrEqual(segment)
          const sealed = join(segments)
          expect(sealed.length).toBe(length + 28)
          // Whichever engine sealed, both open it whole and in place.
          for (const other of ENGINES) {
            const opener = createCipher({ key: KEY, engine: other })
            expect(Buffer.compare(opener.decrypt(sealed), plain)).toBe(0)
            expect(Buffer.compare(opener.decryptSegments(segments, sealed.length), plain)).toBe(0)
          }
        },
      ),
      { numRuns: 150 },
    )
  })

  it('hands back plain Uint8Arrays, so slice() copies as callers expect', () => {
    const segments = createCipher({ key: KEY, engine: 'node' }).encryptSegments(bytes(100_000, 1), 25_000)
    for (const s of segments) expect(Object.getPrototypeOf(s)).toBe(Uint8Array.prototype)
  })

  it('opens segments with trailing padding past `length`, and refuses a flipped bit anywhere', () => {
    for (const engine of ENGINES) {
      const cipher = createCipher({ key: KEY, engine })
      const plain = bytes(10_000, 9)
      const shards = padSegments(cipher.encryptSegments(plain, 2508), 4, 2508)
      expect(Buffer.compare(cipher.decryptSegments(shards, unpaddedLength(shards)), plain)).toBe(0)
      for (const [shard, at] of [
        [0, 3], // nonce
        [2, 100], // ciphertext
        [3, 2508 - 6], // tag, just before the padding
      ] as const) {
        const copy = shards.map((s) => s.slice())
        copy[shard]![at]! ^= 1
        const error = thrown(CryptoError, () => cipher.decryptSegments(copy, 10_028))
        expect(error.code).toBe('ERR_DECRYPT_AUTH')
      }
    }
  })

  it('opens into a caller buffer when given one (node), with the same bytes either way', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300_000 }), fc.constantFrom(...ENGINES), (length, engine) => {
        const cipher = createCipher({ key: KEY, engine })
        const plain = bytes(length, length + 7)
        const segments = cipher.encryptSegments(plain, 70_001)
        const into = new Uint8Array(length + 1000).fill(0xee)
        const opened = cipher.decryptSegments(segments, length + 28, into)
        expect(Buffer.compare(opened, plain)).toBe(0)
        if (engine === 'node') expect(opened.buffer).toBe(into.buffer)
      }),
      { numRuns: 40 },
    )
    const cipher = createCipher({ key: KEY })
    const segments = cipher.encryptSegments(bytes(100, 2), 50)
    const error = thrown(CryptoError, () => cipher.decryptSegments(segments, 128, new Uint8Array(99)))
    expect(error.code).toBe('ERR_CRYPTO_ARGUMENT')
    // A failed tag leaves nothing of the plaintext in the caller's buffer.
    const tampered = segments.map((s) => s.slice())
    tampered[1]![5]! ^= 1
    const into = new Uint8Array(100)
    expect(thrown(CryptoError, () => cipher.decryptSegments(tampered, 128, into)).code).toBe(
      'ERR_DECRYPT_AUTH',
    )
    expect(into.every((b) => b === 0)).toBe(true)
  })

  it('refuses a length the segments do not hold, or too short to be sealed', () => {
    const cipher = createCipher({ key: KEY })
    const segments = cipher.encryptSegments(bytes(100, 2), 50)
    expect(thrown(CryptoError, () => cipher.decryptSegments(segments, 129)).code).toBe('ERR_CRYPTO_ARGUMENT')
    expect(thrown(CryptoError, () => cipher.decryptSegments(segments, 27)).code).toBe(
      'ERR_CIPHERTEXT_TOO_SHORT',
    )
    expect(thrown(CryptoError, () => cipher.encryptSegments(bytes(10, 1), 0)).code).toBe(
      'ERR_CRYPTO_ARGUMENT',
    )
  })
})

describe('padSegments', () => {
  it('gives the shards padAndSplit gives, for any length and k', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 40 }), (length, k) => {
        const sealed = bytes(length, k)
        const expected = padAndSplit(sealed, k)
        const shardLength = expected[0]!.length
        const cut = Array.from({ length: Math.ceil(length / shardLength) }, (_, i) =>
          sealed.slice(i * shardLength, (i + 1) * shardLength),
        )
        const shards = padSegments(cut, k, shardLength)
        expect(shards.map((s) => Buffer.from(s).toString('hex'))).toEqual(
          expected.map((s) => Buffer.from(s).toString('hex')),
        )
        expect(unpaddedLength(shards)).toBe(length)
      }),
      { numRuns: 200 },
    )
  })
})

describe('SegmentWriter and copySegmentRange', () => {
  it('cut and read back any byte range of pushed chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 90 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 40 }),
        fc.nat(),
        fc.nat(),
        (sizes, segment, a, b) => {
          const chunks = sizes.map((n, i) => bytes(n, i))
          const whole = join(chunks)
          const writer = new SegmentWriter(segment, whole.length)
          for (const c of chunks) writer.push(c)
          const segments = writer.finish()
          expect(Buffer.compare(join(segments), whole)).toBe(0)
          const from = whole.length === 0 ? 0 : a % whole.length
          const to = from + (whole.length === 0 ? 0 : b % (whole.length - from + 1))
          expect(Buffer.compare(copySegmentRange(segments, from, to), whole.subarray(from, to))).toBe(0)
        },
      ),
    )
  })
})
