/**
 * Small dense matrices over GF(2^8), just what building and inverting a Reed-Solomon coding
 * matrix needs (shared/specs/zstor.md §2, step 4). Sizes are at most 256 × 256, so plain
 * O(n^3) loops are fast enough; the bulk work on shard bytes lives in `gf-kernel.ts`.
 * @module
 */
import { GaloisFieldError } from './errors.js'
import { GF_MUL_TABLE, gfInv, gfPow } from './gf256.js'

/** A `rows × cols` matrix stored row-major in `data` (`data[r * cols + c]`). */
export interface GfMatrix {
  readonly rows: number
  readonly cols: number
  readonly data: Uint8Array
}

export function matrixZero(rows: number, cols: number): GfMatrix {
  return { rows, cols, data: new Uint8Array(rows * cols) }
}

export function matrixIdentity(n: number): GfMatrix {
  const m = matrixZero(n, n)
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1
  return m
}

/**
 * The `rows × cols` Vandermonde matrix with entry `r^c` (field element r, `0^0 = 1`). Its rows
 * are distinct field elements, so any `cols` of them are linearly independent: this is what
 * makes every k-row sub-matrix of the coding matrix invertible. `rows` must be ≤ 256.
 */
export function matrixVandermonde(rows: number, cols: number): GfMatrix {
  const m = matrixZero(rows, cols)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) m.data[r * cols + c] = gfPow(r, c)
  return m
}

/** `a × b`; throws `ERR_GF_MATRIX_SHAPE` unless `a.cols === b.rows`. */
export function matrixMultiply(a: GfMatrix, b: GfMatrix): GfMatrix {
  if (a.cols !== b.rows) {
    throw new GaloisFieldError(
      'ERR_GF_MATRIX_SHAPE',
      `cannot multiply a ${a.rows}×${a.cols} matrix by a ${b.rows}×${b.cols} one: inner sizes differ`,
    )
  }
  const out = matrixZero(a.rows, b.cols)
  const { data: ad } = a
  const { data: bd } = b
  const od = out.data
  const n = b.cols
  const mul = GF_MUL_TABLE // a local: module bindings may be getters under test transforms
  for (let r = 0; r < a.rows; r++) {
    const out = r * n
    for (let i = 0; i < a.cols; i++) {
      const x = ad[r * a.cols + i]!
      if (x === 0) continue
      const product = x << 8
      const row = i * n
      for (let c = 0; c < n; c++) od[out + c]! ^= mul[product | bd[row + c]!]!
    }
  }
  return out
}

/** The rows of `a` at `indices`, in that order (indices may repeat). */
export function matrixSelectRows(a: GfMatrix, indices: readonly number[]): GfMatrix {
  const out = matrixZero(indices.length, a.cols)
  indices.forEach((r, i) => {
    if (!Number.isInteger(r) || r < 0 || r >= a.rows) {
      throw new GaloisFieldError('ERR_GF_MATRIX_SHAPE', `row ${r} is outside a matrix of ${a.rows} rows`)
    }
    out.data.set(a.data.subarray(r * a.cols, (r + 1) * a.cols), i * a.cols)
  })
  return out
}

/** Row `r` of `a`, as a copy. */
export function matrixRow(a: GfMatrix, r: number): Uint8Array {
  return a.data.slice(r * a.cols, (r + 1) * a.cols)
}

/**
 * The inverse of a square matrix, by Gauss-Jordan elimination on `[a | I]`. Throws
 * `ERR_GF_MATRIX_SHAPE` for a non-square matrix and `ERR_GF_SINGULAR_MATRIX` when no pivot can
 * be found for some column (the matrix has no inverse). `a` is not modified.
 */
export function matrixInvert(a: GfMatrix): GfMatrix {
  const n = a.rows
  if (a.cols !== n) {
    throw new GaloisFieldError(
      'ERR_GF_MATRIX_SHAPE',
      `only square matrices have inverses, got ${n}×${a.cols}`,
    )
  }
  const w = 2 * n
  const mul = GF_MUL_TABLE
  const aug = new Uint8Array(n * w)
  for (let r = 0; r < n; r++) {
    aug.set(a.data.subarray(r * n, (r + 1) * n), r * w)
    aug[r * w + n + r] = 1
  }
  for (let col = 0; col < n; col++) {
    let pivot = col
    while (pivot < n && aug[pivot * w + col] === 0) pivot++
    if (pivot === n) {
      throw new GaloisFieldError(
        'ERR_GF_SINGULAR_MATRIX',
        `the ${n}×${n} matrix is singular (column ${col} has no pivot) and has no inverse`,
      )
    }
    if (pivot !== col) {
      const tmp = aug.slice(col * w, (col + 1) * w)
      aug.copyWithin(col * w, pivot * w, (pivot + 1) * w)
      aug.set(tmp, pivot * w)
    }
    // Left of `col` the pivot row is already zero, so row operations start at `col`.
    const p = col * w
    const scale = gfInv(aug[p + col]!) << 8
    for (let c = col; c < w; c++) aug[p + c] = mul[scale | aug[p + c]!]!
    for (let r = 0; r < n; r++) {
      const f = r === col ? 0 : aug[r * w + col]!
      if (f === 0) continue
      const product = f << 8
      const row = r * w
      for (let c = col; c < w; c++) aug[row + c]! ^= mul[product | aug[p + c]!]!
    }
  }
  const out = matrixZero(n, n)
  for (let r = 0; r < n; r++) out.data.set(aug.subarray(r * w + n, (r + 1) * w), r * n)
  return out
}
