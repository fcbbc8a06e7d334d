/**
 * Arithmetic in GF(2^8) with the reducing polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D) and
 * generator 2: the field of reed-solomon-erasure's `galois_8`, Backblaze's JavaReedSolomon and
 * klauspost/reedsolomon (shared/specs/zstor.md §2, step 4). Addition is XOR.
 * @module
 */
import { GaloisFieldError } from './errors.js'

/** The reducing polynomial, bit 8 included. */
export const GF_POLYNOMIAL = 0x11d

/**
 * `GF_EXP[i] = 2^i`. Doubled to 510 entries so that `GF_EXP[log a + log b]` needs no `% 255`.
 */
export const GF_EXP: Uint8Array = new Uint8Array(510)

/** `GF_LOG[a]` for a = 1..255, with `GF_EXP[GF_LOG[a]] = a`. `GF_LOG[0]` is unused (0). */
export const GF_LOG: Uint8Array = new Uint8Array(256)

{
  let x = 1
  for (let i = 0; i < 255; i++) {
    GF_EXP[i] = x
    GF_LOG[x] = i
    x <<= 1
    if (x & 0x100) x ^= GF_POLYNOMIAL
  }
  GF_EXP.copyWithin(255, 0, 255)
}

/**
 * The full 256 × 256 product table: row `c` (`GF_MUL_TABLE.subarray(c << 8, (c << 8) + 256)`)
 * maps every byte `x` to `c · x`. The bulk kernels copy rows of it, one per coefficient.
 */
export const GF_MUL_TABLE: Uint8Array = new Uint8Array(65536)

for (let a = 1; a < 256; a++) {
  const la = GF_LOG[a]!
  for (let b = 1; b < 256; b++) GF_MUL_TABLE[(a << 8) | b] = GF_EXP[la + GF_LOG[b]!]!
}

/** `a · b`. Arguments are bytes (0..255); they are not checked. */
export function gfMul(a: number, b: number): number {
  return GF_MUL_TABLE[(a << 8) | b]!
}

/** `a / b`; throws {@link GaloisFieldError} `ERR_GF_DIVISION_BY_ZERO` when `b` is 0. */
export function gfDiv(a: number, b: number): number {
  if (b === 0) throw new GaloisFieldError('ERR_GF_DIVISION_BY_ZERO', `cannot divide ${a} by 0 in GF(2^8)`)
  if (a === 0) return 0
  return GF_EXP[GF_LOG[a]! + 255 - GF_LOG[b]!]!
}

/** The multiplicative inverse of `a`; throws `ERR_GF_DIVISION_BY_ZERO` when `a` is 0. */
export function gfInv(a: number): number {
  return gfDiv(1, a)
}

/**
 * `a` raised to the power `n` (n ≥ 0), with `0^0 = 1` as the Vandermonde construction of
 * reed-solomon-erasure and klauspost requires (their `galExp`).
 */
export function gfPow(a: number, n: number): number {
  if (n === 0) return 1
  if (a === 0) return 0
  return GF_EXP[(GF_LOG[a]! * n) % 255]!
}
