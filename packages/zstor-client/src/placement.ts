/**
 * Where the `k + m` shards of an object go (spec zstor.md §2 "Placement"): on distinct backends,
 * spread over groups so that losing any `redundantGroups` whole groups plus `redundantNodes`
 * backends in every other group still leaves `k` shards.
 *
 * Upstream enumerates every subset of groups and every way of filling them (exponential), and
 * its acceptance test underflows. Here a level search finds a distribution directly (see
 * `distribute`) in `O(levels × shards × groups)`; a property test checks it against brute force.
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
function waterFill(capacities: readonly number[], n: number, floor = 0): number[] | null {
  const used = capacities.map((c) => Math.min(c, floor))
  let placed = used.reduce((a, b) => a + b, 0)
  for (; placed < n; placed++) {
    let best = -1
    for (let i = 0; i < capacities.length; i++) {
      if (used[i]! < capacities[i]! && (best < 0 || used[i]! < used[best]!)) best = i
    }
    if (best < 0) return null
    used[best]!++
  }
  return placed === n ? used : null
}

/** Fills groups to their caps, largest first: every group used pays `redundantNodes`, so use few. */
function concentrate(caps: readonly number[], n: number): number[] {
  const used = caps.map(() => 0)
  let left = n
  for (let i = 0; i < caps.length && left > 0; i++) {
    used[i] = Math.min(caps[i]!, left)
    left -= used[i]!
  }
  return used
}

/**
 * Shards per group (groups sorted by capacity, largest first) that survive the worst loss
 * the rules allow with the most spread, or `null`. The worst case removes the
 * `redundantGroups` fullest groups, so for each level `h` the largest groups take `≥ h` shards
 * each (they are the ones lost) and every other group at most `h`; those others are filled
 * largest first when each loses `redundantNodes` (fewer groups pay that loss), evenly when
 * none is lost. The smallest `h` that reaches `k` survivors spreads the shards most.
 */
function distribute(capacities: readonly number[], rules: PlacementRules): number[] | null {
  const { n, k, redundantGroups: R, redundantNodes: N } = rules
  if (capacities.length <= R) return null
  const lost = capacities.slice(0, R)
  const kept = capacities.slice(R)
  const maxLevel = Math.max(...capacities)
  for (let h = 1; h <= maxLevel; h++) {
    if (lost.some((c) => c < h)) break
    const caps = kept.map((c) => Math.min(c, h))
    const keptRoom = caps.reduce((a, b) => a + b, 0)
    const lostRoom = lost.reduce((a, b) => a + b, 0)
    let best: { perGroup: number[]; survivors: number } | null = null
    for (let inKept = Math.min(n, keptRoom); inKept >= 0; inKept--) {
      const inLost = n - inKept
      if (inLost < R * h || inLost > lostRoom) continue
      const keptFill = N === 0 ? waterFill(caps, inKept) : concentrate(caps, inKept)
      const lostFill = waterFill(lost, inLost, h)
      if (!keptFill || !lostFill) continue
      const perGroup = [...lostFill, ...keptFill]
      const survivors = worstCaseSurvivors(perGroup, rules)
      if (survivors >= k && (!best || survivors > best.survivors)) best = { perGroup, survivors }
    }
    if (best) return best.perGroup
  }
  return null
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
 * in any order) satisfying the rules, or returns `null` when none exists. Backends are drawn at
 * random within a group so that load spreads.
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
  const perGroup = distribute(
    ordered.map((b) => b.length),
    rules,
  )
  if (!perGroup) return null
  return perGroup.flatMap((count, i) => ordered[i]!.slice(0, count))
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
