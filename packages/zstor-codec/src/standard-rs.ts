/**
 * The standard systematic Reed-Solomon code of upstream 0-stor (crate reed-solomon-erasure
 * 6.0, `galois_8`), Backblaze JavaReedSolomon and klauspost/reedsolomon, in pure TypeScript
 * (shared/specs/zstor.md §2, step 4).
 *
 * Coding matrix: the `(k + m) × k` Vandermonde matrix (entry `r^c`, `0^0 = 1`) times the
 * inverse of its top `k × k` block. The top block becomes the identity (data shards are stored
 * as is) and every `k`-row sub-matrix stays invertible, so any `k` shards decode.
 * @module
 */
import type { ErasureCoder } from './erasure-coder.js'
import { createMulPlan, type MulPlan, mulAccumulate } from './gf-kernel.js'
import {
  type GfMatrix,
  matrixInvert,
  matrixMultiply,
  matrixRow,
  matrixSelectRows,
  matrixVandermonde,
} from './matrix.js'
import { checkDataShards, checkParams, checkStripe } from './validate.js'

/** {@link ErasureCoder.id} of this code: Vandermonde-derived systematic RS over GF(2^8)/0x11D. */
export const STANDARD_RS_ID = 'rs-vandermonde-gf256'

/**
 * Upper bound on the bytes of product tables kept for decode patterns seen before. A pattern
 * costs `k × missing × 256` bytes (16 KiB for k = 16 with 4 lost); the bound keeps extreme
 * codes (k = m = 128) from holding hundreds of MiB.
 */
const DECODE_CACHE_BYTES = 8 * 1024 * 1024

/** The standard engine: {@link ErasureCoder} plus synchronous forms of its methods. */
export interface StandardRsCoder extends ErasureCoder {
  /** {@link ErasureCoder.encode}, on the calling thread. Throws instead of rejecting. */
  encodeSync(dataShards: readonly Uint8Array[]): Uint8Array[]
  /** {@link ErasureCoder.reconstruct}, on the calling thread. Throws instead of rejecting. */
  reconstructSync(shards: ReadonlyArray<Uint8Array | null | undefined>): Uint8Array[]
}

function codingMatrix(k: number, m: number): GfMatrix {
  const v = matrixVandermonde(k + m, k)
  const top = matrixSelectRows(
    v,
    Array.from({ length: k }, (_, i) => i),
  )
  return matrixMultiply(v, matrixInvert(top))
}

/**
 * The `(k + m) × k` coding matrix of the standard code, one `Uint8Array` of `k` coefficients
 * per shard: rows `0..k-1` are the identity, rows `k..k+m-1` give the parity shards. Engines
 * that must produce the same shards (a WASM kernel) build on it.
 */
export function standardRsMatrix(k: number, m: number): Uint8Array[] {
  checkParams(k, m)
  const matrix = codingMatrix(k, m)
  return Array.from({ length: k + m }, (_, r) => matrixRow(matrix, r))
}

interface DecodePlan {
  /** The `k` present shards read, ascending. */
  readonly inputs: readonly number[]
  /** The shards rebuilt, ascending. */
  readonly outputs: readonly number[]
  readonly plan: MulPlan
}

/**
 * Creates the pure-TypeScript engine for the standard code with `k` data and `m` parity shards
 * (`k` 1..255, `m` 1..256-k; `ERR_RS_PARAMS` otherwise). Building it inverts one `k × k`
 * matrix; keep one per `(k, m)` and reuse it. Decode matrices are cached per pattern of
 * present shards, so repeated recoveries of the same loss skip the inversion.
 */
export function createStandardRs(k: number, m: number): StandardRsCoder {
  checkParams(k, m)
  const matrix = codingMatrix(k, m)
  const encodePlan = createMulPlan(
    matrixSelectRows(
      matrix,
      Array.from({ length: m }, (_, p) => k + p),
    ),
  )
  // Insertion-ordered Map used as an LRU: a hit is moved to the end, the oldest is evicted.
  const decodeCache = new Map<string, DecodePlan>()
  let decodeCacheBytes = 0

  function decodePlanFor(present: readonly number[], missing: readonly number[]): DecodePlan {
    const key = String.fromCharCode(...present)
    const hit = decodeCache.get(key)
    if (hit !== undefined) {
      decodeCache.delete(key)
      decodeCache.set(key, hit)
      return hit
    }
    // Any k present rows form an invertible sub-matrix; the first k are as good as any.
    const inputs = present.slice(0, k)
    const inverse = matrixInvert(matrixSelectRows(matrix, inputs))
    // A lost shard i is (row i of the coding matrix) × data = (row i × inverse) × inputs, which
    // rebuilds lost data and lost parity in the same pass over the inputs.
    const plan = createMulPlan(matrixMultiply(matrixSelectRows(matrix, missing), inverse))
    const entry: DecodePlan = { inputs, outputs: missing, plan }
    decodeCache.set(key, entry)
    decodeCacheBytes += plan.bytes
    for (const [oldKey, old] of decodeCache) {
      if (decodeCacheBytes <= DECODE_CACHE_BYTES || old === entry) break
      decodeCache.delete(oldKey)
      decodeCacheBytes -= old.plan.bytes
    }
    return entry
  }

  function encodeSync(dataShards: readonly Uint8Array[]): Uint8Array[] {
    const length = checkDataShards(k, dataShards)
    const parity = Array.from({ length: m }, () => new Uint8Array(length))
    mulAccumulate(encodePlan, dataShards, parity, length)
    return parity
  }

  function reconstructSync(shards: ReadonlyArray<Uint8Array | null | undefined>): Uint8Array[] {
    const { present, missing, length } = checkStripe(k, m, shards)
    const out = shards.slice() as Uint8Array[]
    if (missing.length === 0) return out
    const { inputs, outputs, plan } = decodePlanFor(present, missing)
    const rebuilt = outputs.map(() => new Uint8Array(length))
    mulAccumulate(
      plan,
      inputs.map((i) => shards[i]!),
      rebuilt,
      length,
    )
    outputs.forEach((i, r) => {
      out[i] = rebuilt[r]!
    })
    return out
  }

  return {
    id: STANDARD_RS_ID,
    k,
    m,
    encodeSync,
    reconstructSync,
    encode: async (dataShards) => encodeSync(dataShards),
    reconstruct: async (shards) => reconstructSync(shards),
  }
}
