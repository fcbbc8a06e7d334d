import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { GaloisFieldError } from '../src/errors.js'
import {
  type GfMatrix,
  matrixIdentity,
  matrixInvert,
  matrixMultiply,
  matrixSelectRows,
  matrixVandermonde,
  matrixZero,
} from '../src/matrix.js'
import { standardRsMatrix } from '../src/standard-rs.js'
import { mulRef, thrown } from './helpers.js'

function fromRows(rows: number[][]): GfMatrix {
  const m = matrixZero(rows.length, rows[0]?.length ?? 0)
  rows.forEach((row, r) => {
    m.data.set(row, r * m.cols)
  })
  return m
}

function combinations(n: number, k: number): number[][] {
  if (k === 0) return [[]]
  if (n < k) return []
  return [...combinations(n - 1, k - 1).map((c) => [...c, n - 1]), ...combinations(n - 1, k)]
}

describe('GF(2^8) matrices', () => {
  it('builds the Vandermonde matrix with entry r^c and 0^0 = 1', () => {
    const v = matrixVandermonde(4, 3)
    expect([...v.data]).toEqual([1, 0, 0, 1, 1, 1, 1, 2, 4, 1, 3, 5])
  })

  it('multiplies as the sum of products', () => {
    const a = fromRows([
      [1, 2],
      [3, 4],
    ])
    const b = fromRows([[5], [6]])
    expect([...matrixMultiply(a, b).data]).toEqual([mulRef(1, 5) ^ mulRef(2, 6), mulRef(3, 5) ^ mulRef(4, 6)])
  })

  it('inverts every invertible matrix: a × a⁻¹ is the identity', () => {
    const square = fc
      .integer({ min: 1, max: 8 })
      .chain((n) =>
        fc.uint8Array({ minLength: n * n, maxLength: n * n }).map((data) => ({ rows: n, cols: n, data })),
      )
    let inverted = 0
    fc.assert(
      fc.property(square, (a) => {
        let inverse: GfMatrix
        try {
          inverse = matrixInvert(a)
        } catch (error) {
          expect((error as GaloisFieldError).code).toBe('ERR_GF_SINGULAR_MATRIX')
          return
        }
        inverted++
        expect(matrixMultiply(a, inverse).data).toEqual(matrixIdentity(a.rows).data)
        expect(matrixMultiply(inverse, a).data).toEqual(matrixIdentity(a.rows).data)
      }),
      { numRuns: 300 },
    )
    expect(inverted).toBeGreaterThan(100)
  })

  it('does not modify the matrix it inverts', () => {
    const a = matrixVandermonde(3, 3)
    const before = a.data.slice()
    matrixInvert(a)
    expect(a.data).toEqual(before)
  })

  it('reports a singular matrix with ERR_GF_SINGULAR_MATRIX', () => {
    const singular = [
      [
        [1, 2],
        [0, 0],
      ],
      [
        [3, 7, 9],
        [1, 1, 1],
        [3, 7, 9],
      ],
      // row 2 = row 0 + row 1 (XOR)
      [
        [1, 2, 3],
        [4, 5, 6],
        [5, 7, 5],
      ],
    ]
    for (const rows of singular) {
      const error = thrown(GaloisFieldError, () => matrixInvert(fromRows(rows)))
      expect(error.code).toBe('ERR_GF_SINGULAR_MATRIX')
      expect(error.name).toBe('GaloisFieldError')
    }
  })

  it('reports shapes that do not fit with ERR_GF_MATRIX_SHAPE', () => {
    expect(thrown(GaloisFieldError, () => matrixInvert(matrixZero(2, 3))).code).toBe('ERR_GF_MATRIX_SHAPE')
    expect(thrown(GaloisFieldError, () => matrixMultiply(matrixZero(2, 3), matrixZero(2, 3))).code).toBe(
      'ERR_GF_MATRIX_SHAPE',
    )
    expect(thrown(GaloisFieldError, () => matrixSelectRows(matrixZero(2, 3), [2])).code).toBe(
      'ERR_GF_MATRIX_SHAPE',
    )
  })

  it('selects rows in the order asked', () => {
    const v = matrixVandermonde(4, 2)
    expect([...matrixSelectRows(v, [3, 0, 3]).data]).toEqual([1, 3, 1, 0, 1, 3])
  })
})

describe('the standard coding matrix', () => {
  for (const [k, m] of [
    [3, 3],
    [4, 4],
    [5, 3],
  ] as const) {
    it(`has every ${k}-row sub-matrix invertible for k = ${k}, m = ${m} (any k shards decode)`, () => {
      const rows = standardRsMatrix(k, m)
      const matrix = fromRows(rows.map((r) => [...r]))
      const subsets = combinations(k + m, k)
      for (const subset of subsets) {
        const sub = matrixSelectRows(matrix, subset)
        expect(matrixMultiply(sub, matrixInvert(sub)).data).toEqual(matrixIdentity(k).data)
      }
    })
  }

  it('is the largest code GF(2^8) allows at k + m = 256', () => {
    const rows = standardRsMatrix(200, 56)
    expect(rows).toHaveLength(256)
    expect(rows.every((r) => r.length === 200)).toBe(true)
  })
})
