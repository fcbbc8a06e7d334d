import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createStandardRs, ErasureCodeError } from '../src/index.js'
import { shardsAt, thrown } from './helpers.js'

/** A stripe's parameters, its data (placed at `offset` so shards may be unaligned) and a loss. */
function stripe(lost: (k: number, m: number) => { minLength: number; maxLength: number }) {
  return fc
    .record({
      k: fc.integer({ min: 1, max: 20 }),
      m: fc.integer({ min: 1, max: 8 }),
      length: fc.integer({ min: 0, max: 70 }),
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

describe('the standard Reed-Solomon engine, for any k 1..20, m 1..8 and shard length', () => {
  it('rebuilds every original shard after losing any set of up to m shards', () => {
    fc.assert(
      fc.property(
        stripe((_k, m) => ({ minLength: 0, maxLength: m })),
        ({ k, m, offset, data, lost }) => {
          const rs = createStandardRs(k, m)
          const dataShards = shardsAt(offset, data)
          const parity = rs.encodeSync(dataShards)
          const whole = [...dataShards, ...parity]
          const damaged = whole.map((s, i) => (lost.includes(i) ? null : s))
          const rebuilt = rs.reconstructSync(damaged)
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

  it('refuses with ERR_RS_TOO_FEW_SHARDS once more than m shards are lost', () => {
    fc.assert(
      fc.property(
        stripe((_k, m) => ({ minLength: m + 1, maxLength: m + 1 })),
        ({ k, m, data, lost }) => {
          const rs = createStandardRs(k, m)
          const whole = [...data, ...rs.encodeSync(data)]
          const error = thrown(ErasureCodeError, () =>
            rs.reconstructSync(whole.map((s, i) => (lost.includes(i) ? null : s))),
          )
          expect(error.code).toBe('ERR_RS_TOO_FEW_SHARDS')
          expect(error.message).toContain(`only ${k - 1} of ${k + m} shards are present`)
        },
      ),
      { numRuns: 100 },
    )
  })
})
