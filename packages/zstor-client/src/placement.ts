/**
 * Where the `k + m` shards of an object go (spec zstor.md §2 "Placement"): on distinct backends,
 * spread over groups so that losing any `redundantGroups` whole groups plus `redundantNodes`
 * backends in every other group still leaves `k` shards.
 *
 * Upstream enumerates every subset of groups and every way of filling them (exponential), and
 * its acceptance test underflows. Here: for each number of groups `g`, the `g` groups with the
 * most usable backends are filled evenly (water-filling, which is what maximises the worst case
 * for a fixed set of groups, since the adversary removes the fullest ones), and the best `g` wins.
 * That is `O(groups² × shards)`.
 * @module
 */
import { PlacementError } from './errors.js'

/** A backend that placement may use, and its group. */
export interface Candidate<B> {
  readonly backend: B
  readonly group: number
}

export interface PlacementRules {
  /** Data shards (`minimal_shards`). */
  readonly k: number
  /** All shards (`expected_shards`). */
  readonly n: number
  readonly redundantGroups: number
  readonly redundantNodes: number
}

/**
 * How many shards survive the worst loss the rules allow, given the shards per group: drop the
 * `redundantGroups` fullest groups, then `redundantNodes` from each remaining one.
 */
export function worstCaseSurvivors(perGroup: readonly number[], rules: PlacementRules): number {
  const sorted = [...perGroup].filter((c) => c > 0).sort((a, b) => b - a)
  return sorted
    .slice(rules.redundantGroups)
    .reduce((sum, c) => sum + Math.max(0, c - rules.redundantNodes), 0)
}

/** Spreads `n` shards over groups of the given capacities as evenly as the caps allow. */
function waterFill(capacities: readonly number[], n: number): number[] | null {
  const used = capacities.map(() => 0)
  for (let placed = 0; placed < n; placed++) {
    let best = -1
    for (let i = 0; i < capacities.length; i++) {
      if (used[i]! < capacities[i]! && (best < 0 || used[i]! < used[best]!)) best = i
    }
    if (best < 0) return null
    used[best]!++
  }
  return used
}

/** A source of randomness in [0, 1): `Math.random` in use, a seeded one in tests. */
export type Random = () => number

function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

/**
 * Picks `rules.n` distinct backends from `candidates` (already filtered to the usable ones,
 * best first within a group) satisfying the rules, or returns `null` when none exists. Backends
 * are drawn at random within a group so that load spreads; `preferred` ones are taken first.
 */
export function place<B>(
  candidates: readonly Candidate<B>[],
  rules: PlacementRules,
  random: Random = Math.random,
): B[] | null {
  const groups = new Map<number, B[]>()
  for (const c of candidates) {
    const list = groups.get(c.group) ?? []
    list.push(c.backend)
    groups.set(c.group, list)
  }
  const ordered = shuffle([...groups.values()], random)
    .map((backends) => shuffle([...backends], random))
    .sort((a, b) => b.length - a.length)
  let best: { perGroup: number[]; survivors: number } | null = null
  const minGroups = rules.redundantGroups + 1
  for (let g = minGroups; g <= ordered.length; g++) {
    const perGroup = waterFill(
      ordered.slice(0, g).map((b) => b.length),
      rules.n,
    )
    if (!perGroup) continue
    const survivors = worstCaseSurvivors(perGroup, rules)
    if (survivors >= rules.k && (!best || survivors > best.survivors)) best = { perGroup, survivors }
  }
  if (!best) return null
  return best.perGroup.flatMap((count, i) => ordered[i]!.slice(0, count))
}

/**
 * Like {@link place}, but throws `PlacementError` `ERR_NO_PLACEMENT` naming the backends that
 * were left out and why, so the message says what to fix.
 */
export function placeOrThrow<B>(
  candidates: readonly Candidate<B>[],
  rules: PlacementRules,
  excluded: ReadonlyMap<string, string>,
  random: Random = Math.random,
): B[] {
  const chosen = place(candidates, rules, random)
  if (chosen) return chosen
  const why = [...excluded].map(([label, reason]) => `${label}: ${reason}`)
  throw new PlacementError(
    'ERR_NO_PLACEMENT',
    `no valid placement of ${rules.n} shards (k = ${rules.k}, redundant_groups = ${rules.redundantGroups}, redundant_nodes = ${rules.redundantNodes}) over the ${candidates.length} usable backends` +
      (why.length ? `; left out: ${why.join('; ')}` : '') +
      '. Bring backends back or add backends to the config.',
  )
}
