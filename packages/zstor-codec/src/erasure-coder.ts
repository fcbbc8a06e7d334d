/**
 * The contract every erasure-coding engine of this package implements: the pure-TypeScript
 * standard Reed-Solomon engine now, later a WASM SIMD kernel and a profile over the native
 * `@ronomon/reed-solomon` addon. The pipeline (shared/specs/zstor.md §2, step 4) only talks to
 * this interface, and records {@link ErasureCoder.id} in object metadata so that a reader picks
 * the engine that can decode the shards.
 * @module
 */

/**
 * A systematic `(k + m, k)` erasure code over equal-length shards: shards `0..k-1` are the data
 * itself, shards `k..k+m-1` are parity, and any `k` of the `k + m` rebuild all of them.
 *
 * The methods are asynchronous so that engines which run off the main thread (the native addon
 * works in libuv's threadpool and has no synchronous call) fit the same contract. Argument
 * errors reject with an `ErasureCodeError` (see `errors.ts`).
 */
export interface ErasureCoder {
  /**
   * The code the shards are made with, e.g. `'rs-vandermonde-gf256'`. Two engines with the
   * same `id` and the same `k`, `m` produce byte-identical shards and can decode each other's.
   */
  readonly id: string
  /** Data shards per stripe (any `k` shards are enough to decode). */
  readonly k: number
  /** Parity shards per stripe (how many shards may be lost). */
  readonly m: number
  /**
   * Computes the `m` parity shards of `k` equal-length data shards. Returns new arrays of the
   * same length; the data shards are not modified.
   */
  encode(dataShards: readonly Uint8Array[]): Promise<Uint8Array[]>
  /**
   * Given all `k + m` positions, with `null` or `undefined` where a shard is lost, returns the
   * complete stripe: present shards as given (same objects, not copies), missing data and
   * parity shards rebuilt. Needs at least `k` present shards, all of the same length. The
   * input array is not modified.
   */
  reconstruct(shards: ReadonlyArray<Uint8Array | null | undefined>): Promise<Uint8Array[]>
}
