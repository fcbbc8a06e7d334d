/**
 * The property tests every {@link ErasureCoder} engine must pass, parameterised by the engine's
 * factory and its limits: random `k`, `m`, shard lengths (unaligned starts included) and sets of
 * lost shards. Each engine's test file calls {@link describeErasureCoder}.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ErasureCodeError, type ErasureCoder } from '../src/index.js'
import { shardsAt } from './helpers.js'

/** The ranges the properties draw from; keep them within what the engine supports. */
export interface ErasureCoderLimits {
  /** Largest `k` drawn (from 1). */
  readonly maxK: number
  /** Largest `m` drawn (from 1). */
  readonly maxM: number
  /** Largest shard length drawn (from 0). */
  readonly maxLength: number
}

/** A stripe's parameters, its data (placed at `offset` so shards may be unaligned) and a loss. */
function stripe(
  limits: ErasureCoderLimits,
  lost: (k: number, m: number) => { minLength: number; maxLength: number },
) {
  return fc
    .record({
      k: fc.integer({ min: 1, max: limits.maxK }),
      m: fc.integer({ min: 1, max: limits.maxM }),
      length: fc.integer({ min: 0, max: limits.maxLength }),
      offset: fc.integer({ min: 0, max: 3 }),
    })
    .chain(({ k, m, length, offset }) =>
      fc.record({
        k: fc.constant(k),
        m: fc.constant(m),
        offset: fc.constant(offset),
        data: fc.array(fc.uint8Array({ minLength: length, maxLength: length }), {
          minLength: k,
          maxLength: k,
        }),
        lost: fc.shuffledSubarray(
          Array.from({ length: k + m }, (_, i) => i),
          lost(k, m),
        ),
      }),
    )
}

/**
 * Declares the shared properties for the engine made by `create`: any loss of up to `m` shards
 * is rebuilt exactly (present shards handed back as the same objects, inputs untouched), and a
 * loss of more than `m` is refused with `ERR_RS_TOO_FEW_SHARDS`.
 */
export function describeErasureCoder(
  name: string,
  create: (k: number, m: number) => ErasureCoder,
  limits: ErasureCoderLimits,
): void {
  describe(`${name}, for any k 1..${limits.maxK}, m 1..${limits.maxM} and shard length 0..${limits.maxLength}`, () => {
    it('rebuilds every original shard after losing any set of up to m shards', async () => {
      await fc.assert(
        fc.asyncProperty(
          stripe(limits, (_k, m) => ({ minLength: 0, maxLength: m })),
          async ({ k, m, offset, data, lost }) => {
            const rs = create(k, m)
            const dataShards = shardsAt(offset, data)
            const parity = await rs.encode(dataShards)
            expect(parity).toHaveLength(m)
            // the data shards are not modified
            expect(dataShards).toEqual(data)
            const whole = [...dataShards, ...parity]
            const damaged = whole.map((s, i) => (lost.includes(i) ? null : s))
            const rebuilt = await rs.reconstruct(damaged)
            expect(rebuilt).toEqual(whole)
            // present shards are handed back as they were given, not copied
            damaged.forEach((s, i) => {
              if (s !== null) expect(rebuilt[i]).toBe(s)
            })
          },
        ),
        { numRuns: 300 },
      )
    })

    it('refuses with ERR_RS_TOO_FEW_SHARDS once more than m shards are lost', async () => {
      await fc.assert(
        fc.asyncProperty(
          stripe(limits, (_k, m) => ({ minLength: m + 1, maxLength: m + 1 })),
          async ({ k, m, data, lost }) => {
            const rs = create(k, m)
            const whole = [...data, ...(await rs.encode(data))]
            const error = await rs.reconstruct(whole.map((s, i) => (lost.includes(i) ? null : s))).then(
              () => undefined,
              (e: unknown) => e,
            )
            expect(error).toBeInstanceOf(ErasureCodeError)
            expect((error as ErasureCodeError).code).toBe('ERR_RS_TOO_FEW_SHARDS')
            expect((error as ErasureCodeError).message).toContain(
              `only ${k - 1} of ${k + m} shards are present`,
            )
          },
        ),
        { numRuns: 100 },
      )
    })
  })
}
