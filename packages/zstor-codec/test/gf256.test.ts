import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { GaloisFieldError } from '../src/errors.js'
import { GF_EXP, GF_LOG, gfDiv, gfInv, gfMul, gfPow } from '../src/gf256.js'
import { mulRef, thrown } from './helpers.js'

const byte = fc.integer({ min: 0, max: 255 })
const nonzero = fc.integer({ min: 1, max: 255 })

describe('GF(2^8) with polynomial 0x11D', () => {
  it('has the exp and log tables of Backblaze and reed-solomon-erasure (generator 2)', () => {
    expect([...GF_EXP.subarray(0, 16)]).toEqual([
      1, 2, 4, 8, 16, 32, 64, 128, 29, 58, 116, 232, 205, 135, 19, 38,
    ])
    expect([...GF_LOG.subarray(1, 16)]).toEqual([0, 1, 25, 2, 50, 26, 198, 3, 223, 51, 238, 27, 104, 199, 75])
    expect(GF_EXP[254]).toBe(142)
  })

  it('generator 2 reaches every nonzero element exactly once', () => {
    expect(new Set(GF_EXP.subarray(0, 255)).size).toBe(255)
    expect(GF_EXP.subarray(0, 255).includes(0)).toBe(false)
  })

  it('multiplies every pair of bytes as shift-and-add over 0x11D does', () => {
    const wrong: number[][] = []
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) if (gfMul(a, b) !== mulRef(a, b)) wrong.push([a, b, gfMul(a, b)])
    }
    expect(wrong).toEqual([])
  })

  it('multiplication is commutative, associative and distributes over XOR', () => {
    fc.assert(
      fc.property(byte, byte, byte, (a, b, c) => {
        expect(gfMul(a, b)).toBe(gfMul(b, a))
        expect(gfMul(gfMul(a, b), c)).toBe(gfMul(a, gfMul(b, c)))
        expect(gfMul(a, b ^ c)).toBe(gfMul(a, b) ^ gfMul(a, c))
      }),
      { numRuns: 2000 },
    )
  })

  it('1 is the identity and 0 absorbs', () => {
    for (let a = 0; a < 256; a++) {
      expect(gfMul(a, 1)).toBe(a)
      expect(gfMul(a, 0)).toBe(0)
    }
  })

  it('every nonzero element has an inverse, and division undoes multiplication', () => {
    for (let a = 1; a < 256; a++) expect(gfMul(a, gfInv(a))).toBe(1)
    fc.assert(
      fc.property(byte, nonzero, (a, b) => {
        expect(gfDiv(gfMul(a, b), b)).toBe(a)
      }),
    )
  })

  it('refuses to divide by zero or invert zero, with ERR_GF_DIVISION_BY_ZERO', () => {
    expect(thrown(GaloisFieldError, () => gfDiv(7, 0)).code).toBe('ERR_GF_DIVISION_BY_ZERO')
    expect(thrown(GaloisFieldError, () => gfInv(0)).code).toBe('ERR_GF_DIVISION_BY_ZERO')
  })

  it('raises to powers with 0^0 = 1, as the Vandermonde construction needs', () => {
    expect(gfPow(0, 0)).toBe(1)
    expect(gfPow(0, 5)).toBe(0)
    expect(gfPow(2, 8)).toBe(0x1d)
    fc.assert(
      fc.property(byte, fc.integer({ min: 0, max: 20 }), (a, n) => {
        let expected = 1
        for (let i = 0; i < n; i++) expected = mulRef(expected, a)
        expect(gfPow(a, n)).toBe(expected)
      }),
    )
  })
})
