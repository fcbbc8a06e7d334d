/**
 * The metadata store (spec zstor.md §3): records sealed and erasure-coded over the meta
 * backends (user-mode namespaces), one shard per backend.
 *
 * Better than upstream: a write succeeds when `max(k, n - 1)` backends took their shard, so
 * stores keep working with one meta backend down (upstream refuses every store then), and
 * {@link MetaStore.repair} later rewrites the missing shard from the others. A read needs any
 * `k` valid shards and tolerates backends that fail (upstream fails the read on any GET error).
 * @module
 */
import type { BackendPool } from '../backend/pool.js'
import type { BackendConfig } from '../config/index.js'
import { MetaStoreError } from '../errors.js'
import { frame, fullStripe, metaCode, openRecord, pickStripe, sealRecord } from './meta-envelope.js'

export interface MetaStoreOptions {
  readonly pool: BackendPool
  readonly backends: readonly BackendConfig[]
  /** The key records are sealed with (upstream: the top-level data key, spec §3 quirk). */
  readonly key: Uint8Array
}

/** A meta backend without a valid shard of a record, and why. */
export interface MetaShardProblem {
  readonly backend: string
  readonly reason: string
}

/** What a write reached. */
export interface MetaWriteResult {
  /** Labels of meta backends that did not take their shard, and why: {@link MetaStore.repair} fixes them. */
  readonly missing: ReadonlyMap<string, string>
}

export class MetaStore {
  readonly #pool: BackendPool
  readonly #backends: readonly BackendConfig[]
  readonly #key: Uint8Array

  constructor(options: MetaStoreOptions) {
    this.#pool = options.pool
    this.#backends = options.backends
    this.#key = options.key
  }

  get backends(): readonly BackendConfig[] {
    return this.#backends
  }

  /** Shards a write must reach to succeed. */
  get writeQuorum(): number {
    const n = this.#backends.length
    return Math.max(metaCode(n).k, n - 1)
  }

  /** Every backend's value for `key` (`null` where absent), and the errors of those that failed. */
  async #fetch(key: string): Promise<{ values: (Buffer | null)[]; errors: Map<string, string> }> {
    const errors = new Map<string, string>()
    const values = await Promise.all(
      this.#backends.map(async (config) => {
        try {
          return await this.#pool.get(config).get(key)
        } catch (error) {
          errors.set(config.label, (error as Error).message)
          this.#pool.markFailed(config.label, (error as Error).message)
          return null
        }
      }),
    )
    return { values, errors }
  }

  /**
   * {@link #fetch}, but done as soon as the answers so far hold a readable record that no
   * newer write can hide, so a slow meta backend does not hold every read. A write reaches
   * `writeQuorum` backends, distinct from the `k` holding an older record; when
   * `k + writeQuorum > n` both cannot exist, so the newest readable record is the record. The
   * backends not yet answered keep going and still count their failures.
   */
  async #fetchReadable(key: string): Promise<{ values: (Buffer | null)[]; errors: Map<string, string> }> {
    const n = this.#backends.length
    const values: (Buffer | null)[] = this.#backends.map(() => null)
    const errors = new Map<string, string>()
    let settled = 0
    return new Promise((resolve) => {
      const done = () => resolve({ values: [...values], errors: new Map(errors) })
      const readable = () => {
        try {
          const stripe = pickStripe(values)
          return stripe !== null && stripe.k + this.writeQuorum > n
        } catch {
          return false // not readable yet: more answers may make it so
        }
      }
      this.#backends.forEach(async (config, j) => {
        try {
          values[j] = await this.#pool.get(config).get(key)
        } catch (error) {
          errors.set(config.label, (error as Error).message)
          this.#pool.markFailed(config.label, (error as Error).message)
        }
        if (++settled === n || readable()) done()
      })
    })
  }

  /**
   * The record under `key`, or `null` when there is none. Throws `ERR_META_UNAVAILABLE` when too
   * few backends answered to tell, `ERR_META_CORRUPT` when the record cannot be read.
   */
  async get(key: string): Promise<Uint8Array | null> {
    const { values, errors } = await this.#fetchReadable(key)
    const record = await openRecord(values, this.#key)
    if (record) return record
    const answered = this.#backends.length - errors.size
    // A record is on at least `writeQuorum` backends; if the ones that answered could all be
    // the others, absence is not proven.
    if (answered <= this.#backends.length - this.writeQuorum) {
      throw new MetaStoreError(
        'ERR_META_UNAVAILABLE',
        `only ${answered} of ${this.#backends.length} meta backends answered, too few to read metadata: ${[...errors].map(([l, e]) => `${l}: ${e}`).join('; ')}`,
      )
    }
    return null
  }

  /**
   * The meta backends that lack a valid shard of the current record under `key` (missing,
   * failing its checksum, left from an older write, or unreachable), for `check --deep`.
   * Throws `ERR_META_CORRUPT` as {@link get} does when no write is readable.
   */
  async inspect(key: string): Promise<MetaShardProblem[]> {
    const { values, errors } = await this.#fetch(key)
    const stripe = pickStripe(values)
    return this.#backends.flatMap((config, j): MetaShardProblem[] => {
      const error = errors.get(config.label)
      if (error !== undefined) return [{ backend: config.label, reason: `unreachable: ${error}` }]
      if (stripe?.slots[j]) return []
      const reason =
        values[j] === null || values[j]!.length === 0
          ? 'missing'
          : 'invalid: fails its checksum or is left from an older write'
      return [{ backend: config.label, reason }]
    })
  }

  /** Writes `record` under `key`. Throws `ERR_META_UNAVAILABLE` when fewer than {@link writeQuorum} backends took it. */
  async put(key: string, record: Uint8Array): Promise<MetaWriteResult> {
    const values = await sealRecord(record, this.#key, this.#backends.length)
    const missing = new Map<string, string>()
    await Promise.all(
      this.#backends.map(async (config, i) => {
        try {
          await this.#pool.get(config).set(key, values[i]!)
        } catch (error) {
          missing.set(config.label, (error as Error).message)
          this.#pool.markFailed(config.label, (error as Error).message)
        }
      }),
    )
    const written = this.#backends.length - missing.size
    if (written < this.writeQuorum) {
      throw new MetaStoreError(
        'ERR_META_UNAVAILABLE',
        `metadata reached ${written} of ${this.#backends.length} meta backends and ${this.writeQuorum} are needed: ${[...missing].map(([l, e]) => `${l}: ${e}`).join('; ')}`,
      )
    }
    return { missing }
  }

  /** Deletes `key` from every meta backend that answers. */
  async delete(key: string): Promise<void> {
    await Promise.all(
      this.#backends.map((config) =>
        this.#pool
          .get(config)
          .del(key)
          .catch(() => undefined),
      ),
    )
  }

  /**
   * Rewrites the shards of `key` that are missing or invalid on reachable backends, from the
   * others (same write, same bytes). Returns how many were rewritten.
   */
  async repair(key: string): Promise<number> {
    const { values, errors } = await this.#fetch(key)
    const stripe = pickStripe(values)
    if (!stripe || stripe.m === 0) return 0
    const shards = await fullStripe(stripe)
    const held = new Set(stripe.slots.filter((s) => s !== null).map((s) => s!.index))
    const lacking = this.#backends
      .map((config, j) => ({ config, j }))
      .filter(({ config, j }) => !errors.has(config.label) && stripe.slots[j] === null)
    let rewritten = 0
    // Each backend takes the index it held in the original write when that is free, so a
    // record stays spread one shard per backend.
    const free = shards.map((_, i) => i).filter((i) => !held.has(i))
    for (const { config, j } of lacking) {
      const index = free.includes(j) ? j : free[0]
      if (index === undefined) break
      free.splice(free.indexOf(index), 1)
      const value = frame({ k: stripe.k, m: stripe.m, index, stamp: stripe.stamp, shard: shards[index]! })
      await this.#pool.get(config).set(key, value)
      rewritten++
    }
    return rewritten
  }

  /**
   * Every key under `prefix` on any reachable meta backend (the union, so a record missing from
   * one backend is still found; upstream scans one backend and only its first batch).
   */
  async keys(prefix: string): Promise<string[]> {
    const all = new Set<string>()
    let answered = 0
    await Promise.all(
      this.#backends.map(async (config) => {
        const backend = this.#pool.get(config)
        try {
          let cursor: Buffer | null = null
          for (;;) {
            const { entries, next } = await backend.scan(cursor)
            for (const e of entries) {
              const key = e.key.toString('utf8')
              if (key.startsWith(prefix)) all.add(key)
            }
            if (next === null || entries.length === 0) break
            cursor = next
          }
          answered++
        } catch (error) {
          this.#pool.markFailed(config.label, (error as Error).message)
        }
      }),
    )
    if (answered === 0) {
      throw new MetaStoreError('ERR_META_UNAVAILABLE', 'no meta backend answered SCAN')
    }
    return [...all].sort()
  }
}
