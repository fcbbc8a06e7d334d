import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { crc32c } from '../src/crc32c.js'
import vectors from './vectors/crc32c.json' with { type: 'json' }

/** Bit-at-a-time reference, independent of the table code. */
function reference(bytes: Uint8Array): number {
  let c = 0
  for (const b of bytes) {
    c ^= b
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
  }
  return c >>> 0
}

/** {@link reference} continuing from `crc`. */
function referenceFrom(crc: number, bytes: Uint8Array): number {
  let c = crc >>> 0
  for (const b of bytes) {
    c ^= b
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
  }
  return c >>> 0
}

describe('crc32c', () => {
  it('matches the 0-db vectors (init 0, no final xor)', () => {
    for (const v of vectors.zdb) expect(crc32c(v.input).toString(16)).toBe(v.crc)
    expect(crc32c(Buffer.from('XYZ'))).toBe(0xfb355d37)
  })

  it('gives the published CRC-32C check value when run with the iSCSI init and xorout', () => {
    for (const v of vectors.iscsi) expect((~crc32c(v.input, 0xffffffff) >>> 0).toString(16)).toBe(v.crc)
  })

  it('is 0 for empty input', () => {
    expect(crc32c(Buffer.alloc(0))).toBe(0)
  })

  it('agrees with a bitwise reference at every length and alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (bytes, skip) => {
        const view = bytes.subarray(Math.min(skip, bytes.length))
        expect(crc32c(view)).toBe(reference(view))
      }),
      { seed: 0x2db, numRuns: 300 },
    )
  })

  it('agrees with the reference on long inputs at every alignment (the 32-bit word path)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 60, maxLength: 3000 }),
        fc.nat(7),
        fc.nat(0xffffffff),
        (bytes, skip, seed) => {
          const view = bytes.subarray(skip)
          expect(crc32c(view, seed)).toBe(referenceFrom(seed, view))
        },
      ),
      { seed: 0x2dc, numRuns: 200 },
    )
  })

  it('continues a previous result like one pass over the concatenation', () => {
    const a = Buffer.from('hello ')
    const b = Buffer.from('world, with more than eight bytes')
    expect(crc32c(b, crc32c(a))).toBe(crc32c(Buffer.concat([a, b])))
  })
})
