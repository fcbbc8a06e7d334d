import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  availableChecksumEngines,
  blake2b128,
  CHECKSUM_LENGTH,
  type ChecksumEngine,
  CryptoError,
  createBlake2b128,
  loadWasmChecksum,
} from '../src/index.js'
import { bytes, hex, thrown } from './helpers.js'

interface Vectors {
  source: string
  cases: ({ utf8: string; digest: string } | { pattern: number; digest: string })[]
}

const vectors = JSON.parse(
  readFileSync(new URL('./vectors/blake2b-128.json', import.meta.url), 'utf8'),
) as Vectors

/** The message of a `pattern` case: byte i is i % 251. */
function pattern(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => i % 251)
}

const message = (c: Vectors['cases'][number]) =>
  'utf8' in c ? new TextEncoder().encode(c.utf8) : pattern(c.pattern)
const label = (c: Vectors['cases'][number]) =>
  'utf8' in c ? JSON.stringify(c.utf8) : `${c.pattern} pattern bytes`

const engines: ChecksumEngine[] = ['wasm', 'noble']

beforeAll(async () => {
  await loadWasmChecksum()
})

describe('BLAKE2b-128 against Python hashlib and b2sum -l 128 (test/vectors/blake2b-128.json)', () => {
  it('has every case present, so none is skipped silently', () => {
    expect(vectors.cases.length).toBeGreaterThanOrEqual(20)
  })

  for (const engine of engines) {
    for (const c of vectors.cases) {
      it(`gives the published digest of ${label(c)} on the ${engine} engine, whole and one byte at a time`, () => {
        const data = message(c)
        expect(hex(blake2b128(data, { engine }))).toBe(c.digest)
        if (data.length <= 4096) {
          const hash = createBlake2b128({ engine })
          for (let i = 0; i < data.length; i++) hash.update(data.subarray(i, i + 1))
          expect(hex(hash.digest())).toBe(c.digest)
        }
      })
    }
  }
})

describe('BLAKE2b-128 engines', () => {
  it('offers wasm first once loadWasmChecksum() resolved, and loads it only once', async () => {
    expect(availableChecksumEngines()).toEqual(['wasm', 'noble'])
    expect(loadWasmChecksum()).toBe(loadWasmChecksum())
    await loadWasmChecksum()
  })

  it('gives identical digests on wasm and noble for any input, whole and split at any points', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70000 }), fc.array(fc.nat(), { maxLength: 6 }), (data, cuts) => {
        const expected = hex(blake2b128(data, { engine: 'noble' }))
        expect(hex(blake2b128(data, { engine: 'wasm' }))).toBe(expected)
        expect(hex(blake2b128(data))).toBe(expected)
        const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b)
        const hash = createBlake2b128({ engine: 'wasm' })
        let from = 0
        for (const to of [...points, data.length]) {
          hash.update(data.subarray(from, to))
          from = to
        }
        expect(hex(hash.digest())).toBe(expected)
      }),
      { numRuns: 60 },
    )
  })

  it('keeps interleaved incremental wasm hashes apart, and one-shot calls between them too', () => {
    const a = createBlake2b128({ engine: 'wasm' })
    const b = createBlake2b128({ engine: 'wasm' })
    const x = bytes(5000, 1)
    const y = bytes(7000, 2)
    a.update(x.subarray(0, 1000))
    b.update(y.subarray(0, 3000))
    expect(hex(blake2b128(bytes(100, 3)))).toBe(hex(blake2b128(bytes(100, 3), { engine: 'noble' })))
    a.update(x.subarray(1000))
    b.update(y.subarray(3000))
    expect(hex(b.digest())).toBe(hex(blake2b128(y, { engine: 'noble' })))
    expect(hex(a.digest())).toBe(hex(blake2b128(x, { engine: 'noble' })))
  })

  it('refuses an unknown engine with ERR_CHECKSUM_ENGINE', () => {
    const error = thrown(CryptoError, () =>
      blake2b128(new Uint8Array(1), { engine: 'openssl' as unknown as ChecksumEngine }),
    )
    expect(error.code).toBe('ERR_CHECKSUM_ENGINE')
    expect(error.message).toContain("'wasm' or 'noble'")
  })
})

describe('BLAKE2b-128', () => {
  it('outputs 16 bytes, which are not the first 16 bytes of BLAKE2b-512', () => {
    const data = new TextEncoder().encode('abc')
    const digest = blake2b128(data)
    expect(digest.length).toBe(CHECKSUM_LENGTH)
    const truncated = createHash('blake2b512').update(data).digest().subarray(0, 16)
    expect(hex(digest)).not.toBe(hex(truncated))
  })

  it('gives the one-shot digest for any split of the input into update() calls', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65536 }),
        fc.integer(),
        fc.array(fc.integer({ min: 0, max: 65536 }), { maxLength: 8 }),
        (length, seed, cuts) => {
          const data = bytes(length, seed)
          const points = [...new Set(cuts.map((c) => c % (length + 1)))].sort((a, b) => a - b)
          const hash = createBlake2b128()
          let from = 0
          for (const to of [...points, length]) {
            hash.update(data.subarray(from, to))
            from = to
          }
          expect(hex(hash.digest())).toBe(hex(blake2b128(data)))
        },
      ),
      { numRuns: 100 },
    )
  })

  it('refuses update() and digest() after the digest was taken, with ERR_CHECKSUM_FINISHED', () => {
    for (const engine of engines) {
      const hash = createBlake2b128({ engine }).update(new Uint8Array(3))
      hash.digest()
      expect(thrown(CryptoError, () => hash.update(new Uint8Array(1))).code).toBe('ERR_CHECKSUM_FINISHED')
      expect(thrown(CryptoError, () => hash.digest()).code).toBe('ERR_CHECKSUM_FINISHED')
    }
  })

  it('refuses input that is not bytes with ERR_CRYPTO_ARGUMENT naming the parameter', () => {
    const error = thrown(CryptoError, () => blake2b128('abc' as unknown as Uint8Array))
    expect(error.code).toBe('ERR_CRYPTO_ARGUMENT')
    expect(error.message).toContain('`data` must be a Uint8Array, got string')
    expect(thrown(CryptoError, () => createBlake2b128().update([1] as unknown as Uint8Array)).code).toBe(
      'ERR_CRYPTO_ARGUMENT',
    )
  })
})
