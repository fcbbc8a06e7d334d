import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createStandardRs } from '../src/index.js'
import { describeErasureCoder } from './erasure-coder.suite.js'

describeErasureCoder('the standard Reed-Solomon engine', createStandardRs, {
  maxK: 20,
  maxM: 8,
  maxLength: 70,
})

describe('the standard engine, synchronously', () => {
  it('encodeSync and reconstructSync give what encode and reconstruct give', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer(),
        async (k, m, length, seed) => {
          const rs = createStandardRs(k, m)
          const data = Array.from({ length: k }, (_, i) =>
            Uint8Array.from({ length }, (_, j) => (seed + i * 131 + j * 7) & 0xff),
          )
          const parity = rs.encodeSync(data)
          expect(parity).toEqual(await rs.encode(data))
          const damaged = [...data, ...parity].map((s, i) => (i < m ? null : s))
          expect(rs.reconstructSync(damaged)).toEqual(await rs.reconstruct(damaged))
        },
      ),
      { numRuns: 100 },
    )
  })
})
