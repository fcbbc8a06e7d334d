import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Candidate, place, worstCaseSurvivors } from '../src/index.js'

const SEED = 20261121

function candidates(sizes: readonly number[]): Candidate<string>[] {
  return sizes.flatMap((size, group) =>
    Array.from({ length: size }, (_, i) => ({ backend: `g${group}b${i}`, group })),
  )
}

/** Every way to put `n` shards in groups capped at `sizes` (small cases only). */
function* distributions(sizes: readonly number[], n: number, at = 0): Generator<number[]> {
  if (at === sizes.length) {
    if (n === 0) yield []
    return
  }
  for (let c = 0; c <= Math.min(n, sizes[at]!); c++)
    for (const rest of distributions(sizes, n - c, at + 1)) yield [c, ...rest]
}

/** Survivors after the adversary removes any `R` groups and `N` shards of every other, by brute force. */
function bruteWorst(perGroup: readonly number[], R: number, N: number): number {
  let worst = Number.POSITIVE_INFINITY
  const g = perGroup.length
  for (let mask = 0; mask < 1 << g; mask++) {
    let removed = 0
    for (let i = 0; i < g; i++) if (mask & (1 << i)) removed++
    if (removed !== Math.min(R, g)) continue
    let left = 0
    for (let i = 0; i < g; i++) if (!(mask & (1 << i))) left += Math.max(0, perGroup[i]! - N)
    worst = Math.min(worst, left)
  }
  return worst
}

/** A seeded generator in [0, 1) (Park–Miller), so failures reproduce. */
const rng = (seed: number) => {
  let state = (Math.abs(seed) % 2147483646) + 1
  return () => {
    state = (state * 16807) % 2147483647
    return (state - 1) / 2147483646
  }
}

describe('placement', () => {
  it('puts n shards on distinct backends that survive the allowed losses, whenever any placement can', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer(),
        (sizes, k, m, R, N, seed) => {
          const n = k + m
          const rules = { k, n, redundantGroups: R, redundantNodes: N }
          const chosen = place(candidates(sizes), rules, rng(seed))
          const possible = [...distributions(sizes, n)].some((d) => bruteWorst(d, R, N) >= k)
          if (!chosen) {
            expect(possible).toBe(false)
            return
          }
          expect(new Set(chosen).size).toBe(n)
          const perGroup = sizes.map((_, g) => chosen.filter((b) => b.startsWith(`g${g}b`)).length)
          expect(bruteWorst(perGroup, R, N)).toBeGreaterThanOrEqual(k)
          expect(worstCaseSurvivors(perGroup, rules)).toBe(bruteWorst(perGroup, R, N))
        },
      ),
      { seed: SEED, numRuns: 500 },
    )
  })

  it('spreads over groups so that one whole group may be lost', () => {
    const chosen = place(
      candidates([4, 4, 4]),
      { k: 4, n: 6, redundantGroups: 1, redundantNodes: 0 },
      rng(1),
    )!
    const perGroup = [0, 1, 2].map((g) => chosen.filter((b) => b.startsWith(`g${g}b`)).length)
    expect(perGroup).toEqual([2, 2, 2])
  })

  it('returns null when there are fewer backends than shards', () => {
    expect(place(candidates([2, 2]), { k: 4, n: 6, redundantGroups: 0, redundantNodes: 0 })).toBeNull()
  })

  it('handles many groups and backends quickly (no exhaustive search)', () => {
    const sizes = Array.from({ length: 40 }, () => 25)
    const chosen = place(candidates(sizes), { k: 16, n: 20, redundantGroups: 1, redundantNodes: 0 })
    expect(chosen).toHaveLength(20)
  })
})
