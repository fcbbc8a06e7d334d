/**
 * Argument checks shared by the engines, run at the API boundary. Each names the parameter at
 * fault and says what was expected ("`k` must be an integer 1..255, got 0").
 * @module
 */
import { ErasureCodeError } from './errors.js'

/** Largest stripe of a GF(2^8) code: one row per field element (spec zstor.md §1-§2). */
export const MAX_TOTAL_SHARDS = 256

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value)
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)
  if (typeof value === 'object') return value.constructor?.name ?? 'object'
  return typeof value
}

/**
 * Checks the code parameters: `k` 1..255, `m` 1..256-k. `m = 0` is refused: a stripe without
 * parity is not erasure coded, upstream 0-stor refuses it too (spec §1, `expected_shards`), and
 * accepting it would let a misconfiguration store objects with no redundancy at all.
 */
export function checkParams(k: unknown, m: unknown): void {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > MAX_TOTAL_SHARDS - 1) {
    throw new ErasureCodeError(
      'ERR_RS_PARAMS',
      `\`k\` (data shards) must be an integer 1..${MAX_TOTAL_SHARDS - 1}, got ${describe(k)}`,
    )
  }
  const maxM = MAX_TOTAL_SHARDS - k
  if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > maxM) {
    throw new ErasureCodeError(
      'ERR_RS_PARAMS',
      `\`m\` (parity shards) must be an integer 1..${maxM} so that k + m ≤ ${MAX_TOTAL_SHARDS} (k = ${k}), got ${describe(m)}`,
    )
  }
}

/** Checks `k` equal-length data shards and returns their common length. */
export function checkDataShards(k: number, dataShards: unknown): number {
  if (!Array.isArray(dataShards) || dataShards.length !== k) {
    const got = Array.isArray(dataShards) ? `${dataShards.length} shards` : describe(dataShards)
    throw new ErasureCodeError(
      'ERR_RS_SHARD_COUNT',
      `\`dataShards\` must be an array of k = ${k} shards, got ${got}`,
    )
  }
  let length = 0
  for (let i = 0; i < k; i++) {
    const shard: unknown = dataShards[i]
    if (!(shard instanceof Uint8Array)) {
      throw new ErasureCodeError(
        'ERR_RS_SHARD_TYPE',
        `\`dataShards[${i}]\` must be a Uint8Array, got ${describe(shard)}`,
      )
    }
    if (i === 0) length = shard.length
    else if (shard.length !== length) {
      throw new ErasureCodeError(
        'ERR_RS_SHARD_SIZE',
        `\`dataShards[${i}]\` is ${shard.length} bytes but \`dataShards[0]\` is ${length}: all shards of a stripe must have the same length (pad the object before splitting it)`,
      )
    }
  }
  return length
}

/** What {@link checkStripe} found. */
export interface StripeShape {
  /** Indices of present shards, ascending. */
  readonly present: number[]
  /** Indices of missing shards, ascending. */
  readonly missing: number[]
  /** The common length of the present shards. */
  readonly length: number
}

/**
 * Checks a stripe of `k + m` slots for reconstruction: each a Uint8Array or `null`/`undefined`
 * (lost), present ones of equal length, at least `k` present.
 */
export function checkStripe(k: number, m: number, shards: unknown): StripeShape {
  const n = k + m
  if (!Array.isArray(shards) || shards.length !== n) {
    const got = Array.isArray(shards) ? `${shards.length} slots` : describe(shards)
    throw new ErasureCodeError(
      'ERR_RS_SHARD_COUNT',
      `\`shards\` must be an array of k + m = ${n} slots (null for a lost shard), got ${got}`,
    )
  }
  const present: number[] = []
  const missing: number[] = []
  let length = -1
  for (let i = 0; i < n; i++) {
    const shard: unknown = shards[i]
    if (shard === null || shard === undefined) {
      missing.push(i)
      continue
    }
    if (!(shard instanceof Uint8Array)) {
      throw new ErasureCodeError(
        'ERR_RS_SHARD_TYPE',
        `\`shards[${i}]\` must be a Uint8Array, or null when lost, got ${describe(shard)}`,
      )
    }
    if (length === -1) length = shard.length
    else if (shard.length !== length) {
      throw new ErasureCodeError(
        'ERR_RS_SHARD_SIZE',
        `\`shards[${i}]\` is ${shard.length} bytes but \`shards[${present[0]}]\` is ${length}: all shards of a stripe must have the same length; treat a shard of the wrong size as lost (null)`,
      )
    }
    present.push(i)
  }
  if (present.length < k) {
    throw new ErasureCodeError(
      'ERR_RS_TOO_FEW_SHARDS',
      `only ${present.length} of ${n} shards are present and k = ${k} are needed to reconstruct; fetch at least ${k - present.length} more`,
    )
  }
  return { present, missing, length }
}
