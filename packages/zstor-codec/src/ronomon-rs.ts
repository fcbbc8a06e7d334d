/**
 * The optional fast profile: the native `@ronomon/reed-solomon` addon (Cauchy bit-matrix
 * Reed-Solomon, run in libuv's threadpool) behind the {@link ErasureCoder} interface.
 *
 * Its coding matrix is not the standard code's, so its shards are NOT interchangeable with
 * {@link STANDARD_RS_ID} shards: objects made with it record {@link RONOMON_RS_ID} in their
 * metadata, and only this engine decodes them.
 *
 * Shard lengths. The addon needs shards whose length is a multiple of 8, and it is a bit-matrix
 * code: it cuts each shard into `w` packets and mixes bytes across packets, so parity computed
 * over zero-padded shards has non-zero bytes in the padding too, and cutting parity back to the
 * shard length would lose them (checked: k = 3, m = 2, 5-byte shards padded to 8 give parity
 * bytes 6 and 7 ≠ 0). Padding is therefore not an option; instead the code identified by
 * {@link RONOMON_RS_ID} is defined on a shard of `L` bytes as:
 *
 * - the first `8 × ⌊L / 8⌋` bytes ("head") of every shard: `@ronomon/reed-solomon` 6.0's code
 *   for `(k, m)`;
 * - the last `L mod 8` bytes ("tail", 0..7 bytes): the standard code ({@link createStandardRs}),
 *   which works byte by byte at any length.
 *
 * Both parts are MDS, so any `k` shards rebuild both. The tail costs at most 7 bytes per shard
 * of pure-TypeScript work.
 * @module
 */
import { createRequire } from 'node:module'
import type { ErasureCoder } from './erasure-coder.js'
import { ErasureCodeError } from './errors.js'
import { createStandardRs, type StandardRsCoder } from './standard-rs.js'
import { checkDataShards, checkStripe } from './validate.js'

/** {@link ErasureCoder.id} of this profile: `@ronomon/reed-solomon`'s Cauchy code (see the module). */
export const RONOMON_RS_ID = 'rs-cauchy-ronomon'
/** Most data shards the addon supports (its `MAX_K`). */
export const RONOMON_MAX_K = 24
/** Most parity shards the addon supports (its `MAX_M`). */
export const RONOMON_MAX_M = 6

/** Shard lengths the addon accepts are multiples of this. */
const ALIGN = 8

/** The addon's API as this package calls it (it ships no types). */
export interface RonomonAddon {
  MAX_K: number
  MAX_M: number
  create(k: number, m: number): Buffer
  encode(
    context: Buffer,
    sources: number,
    targets: number,
    buffer: Buffer,
    bufferOffset: number,
    bufferSize: number,
    parity: Buffer,
    parityOffset: number,
    paritySize: number,
    callback: (error?: Error | null) => void,
  ): void
}

let addon: RonomonAddon | undefined

/** The addon, loaded on first use so that importing the package never needs it. */
function loadAddon(): RonomonAddon {
  if (addon === undefined) {
    try {
      addon = createRequire(import.meta.url)('@ronomon/reed-solomon') as RonomonAddon
    } catch (error) {
      throw new ErasureCodeError(
        'ERR_RS_ENGINE',
        `the native @ronomon/reed-solomon addon could not be loaded (${(error as Error).message}); rebuild it or use the standard engine`,
      )
    }
  }
  return addon
}

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value
}

/**
 * Checks `k` 1..24 and `m` 1..6, the addon's limits (`ERR_RS_PARAMS`, naming the limit
 * exceeded). Objects needing wider stripes must use the standard engine.
 */
export function checkRonomonParams(k: unknown, m: unknown): void {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > RONOMON_MAX_K) {
    throw new ErasureCodeError(
      'ERR_RS_PARAMS',
      `\`k\` (data shards) must be an integer 1..${RONOMON_MAX_K} for the ronomon engine (@ronomon/reed-solomon MAX_K = ${RONOMON_MAX_K}; use the standard engine for wider stripes), got ${describe(k)}`,
    )
  }
  if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > RONOMON_MAX_M) {
    throw new ErasureCodeError(
      'ERR_RS_PARAMS',
      `\`m\` (parity shards) must be an integer 1..${RONOMON_MAX_M} for the ronomon engine (@ronomon/reed-solomon MAX_M = ${RONOMON_MAX_M}; use the standard engine for more parity), got ${describe(m)}`,
    )
  }
}

/** The bit of every shard index set. `k + m ≤ 30`, so this stays a positive 31-bit integer. */
function mask(indices: Iterable<number>): number {
  let bits = 0
  for (const i of indices) bits |= 1 << i
  return bits
}

/** Whether the shards lie back to back in one buffer, so the addon can read them in place. */
function contiguous(shards: readonly Uint8Array[], length: number): boolean {
  const first = shards[0]!
  return shards.every((s, i) => s.buffer === first.buffer && s.byteOffset === first.byteOffset + i * length)
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

/**
 * Creates the `@ronomon/reed-solomon` engine with `k` data and `m` parity shards (`k` 1..24,
 * `m` 1..6; `ERR_RS_PARAMS` otherwise, `ERR_RS_ENGINE` when the native addon does not load).
 * Asynchronous only: the addon runs in libuv's threadpool and has no synchronous call. Shards
 * of any length are accepted (see the module comment for lengths not a multiple of 8).
 */
export function createRonomonRs(k: number, m: number): ErasureCoder {
  checkRonomonParams(k, m)
  const native = loadAddon()
  const context = native.create(k, m)
  const tailCoder: StandardRsCoder = createStandardRs(k, m)

  /** Runs the addon over `k` data and `m` parity slots of `size` bytes each, in place. */
  function run(sources: number, targets: number, data: Buffer, parity: Buffer, size: number): Promise<void> {
    return new Promise((resolve, reject) => {
      native.encode(context, sources, targets, data, 0, size * k, parity, 0, size * m, (error) =>
        error ? reject(error) : resolve(),
      )
    })
  }

  async function encode(dataShards: readonly Uint8Array[]): Promise<Uint8Array[]> {
    const length = checkDataShards(k, dataShards)
    const head = length - (length % ALIGN)
    // One buffer for all parity, which the addon writes in place when there is no tail.
    const all = new Uint8Array(length * m)
    const parity = Array.from({ length: m }, (_, j) => all.subarray(j * length, (j + 1) * length))
    if (head > 0) {
      // The addon only reads the sources: shards already back to back are passed in place.
      const first = dataShards[0]!
      const inPlace = head === length && contiguous(dataShards, length)
      const data = inPlace
        ? Buffer.from(first.buffer, first.byteOffset, head * k)
        : Buffer.allocUnsafe(head * k)
      if (!inPlace) {
        dataShards.forEach((shard, i) => {
          data.set(shard.subarray(0, head), i * head)
        })
      }
      const out = head === length ? Buffer.from(all.buffer, all.byteOffset, head * m) : Buffer.alloc(head * m)
      await run(mask(range(0, k)), mask(range(k, k + m)), data, out, head)
      if (head < length) {
        parity.forEach((p, j) => {
          p.set(out.subarray(j * head, (j + 1) * head))
        })
      }
    }
    if (head < length) {
      const tails = tailCoder.encodeSync(dataShards.map((s) => s.subarray(head)))
      parity.forEach((p, j) => {
        p.set(tails[j]!, head)
      })
    }
    return parity
  }

  async function reconstruct(shards: ReadonlyArray<Uint8Array | null | undefined>): Promise<Uint8Array[]> {
    const { present, missing, length } = checkStripe(k, m, shards)
    const out = shards.slice() as Uint8Array[]
    if (missing.length === 0) return out
    const head = length - (length % ALIGN)
    const rebuilt = new Map(missing.map((i) => [i, new Uint8Array(length)] as const))
    if (head > 0) {
      // Every slot is either a source (copied in) or a target (written by the addon).
      const data = Buffer.allocUnsafe(head * k)
      const parity = Buffer.allocUnsafe(head * m)
      for (const i of present) {
        const shard = shards[i]!.subarray(0, head)
        if (i < k) data.set(shard, i * head)
        else parity.set(shard, (i - k) * head)
      }
      await run(mask(present), mask(missing), data, parity, head)
      for (const [i, shard] of rebuilt) {
        shard.set(
          i < k
            ? data.subarray(i * head, (i + 1) * head)
            : parity.subarray((i - k) * head, (i - k + 1) * head),
        )
      }
    }
    if (head < length) {
      const tails = tailCoder.reconstructSync(shards.map((s) => (s == null ? null : s.subarray(head))))
      for (const [i, shard] of rebuilt) shard.set(tails[i]!, head)
    }
    for (const [i, shard] of rebuilt) out[i] = shard
    return out
  }

  return { id: RONOMON_RS_ID, k, m, encode, reconstruct }
}
