/**
 * The erasure engines the pipeline can use, by profile name (an option of `encodeObject`) and
 * by the code id recorded in metadata (which `decodeObject` follows). One coder per
 * `(code, k, m)` is kept: building one inverts a matrix or asks the addon for a context.
 * @module
 */
import type { ErasureCoder } from './erasure-coder.js'
import { ErasureCodeError } from './errors.js'
import { checkRonomonParams, createRonomonRs, RONOMON_RS_ID } from './ronomon-rs.js'
import { createStandardRs, STANDARD_RS_ID } from './standard-rs.js'
import { checkParams } from './validate.js'

/** The erasure codes objects may be made with, as recorded in `ObjectMeta.erasureCode`. */
export type ErasureCodeId = typeof STANDARD_RS_ID | typeof RONOMON_RS_ID
/**
 * An engine choice of `encodeObject`: `standard` (pure TypeScript, upstream's code, any
 * `k + m ≤ 256`) or `ronomon` (native `@ronomon/reed-solomon`, `k ≤ 24`, `m ≤ 6`).
 */
export type ErasureProfile = 'standard' | 'ronomon'

/** The profiles, in the order documented. */
export const ERASURE_PROFILES: readonly ErasureProfile[] = ['standard', 'ronomon']
/** The code ids this package decodes. */
export const ERASURE_CODE_IDS: readonly ErasureCodeId[] = [STANDARD_RS_ID, RONOMON_RS_ID]

const PROFILE_IDS: Record<ErasureProfile, ErasureCodeId> = {
  standard: STANDARD_RS_ID,
  ronomon: RONOMON_RS_ID,
}

/** The code id of a profile, or `undefined` for a value that is not one. */
export function erasureCodeIdOf(profile: unknown): ErasureCodeId | undefined {
  return typeof profile === 'string' && Object.hasOwn(PROFILE_IDS, profile)
    ? PROFILE_IDS[profile as ErasureProfile]
    : undefined
}

/** Whether `id` names a code this package decodes. */
export function isErasureCodeId(id: unknown): id is ErasureCodeId {
  return ERASURE_CODE_IDS.includes(id as ErasureCodeId)
}

/** Checks `k`, `m` against the limits of code `id` (`ErasureCodeError` `ERR_RS_PARAMS`). */
export function checkCodeParams(id: ErasureCodeId, k: unknown, m: unknown): void {
  checkParams(k, m)
  if (id === RONOMON_RS_ID) checkRonomonParams(k, m)
}

const coders = new Map<string, ErasureCoder>()
const MAX_CODERS = 16

/** A kept coder for code `id` with `k` data and `m` parity shards. */
export function coderFor(id: ErasureCodeId, k: number, m: number): ErasureCoder {
  const key = `${id}/${k}+${m}`
  let coder = coders.get(key)
  if (!coder) {
    if (id === STANDARD_RS_ID) coder = createStandardRs(k, m)
    else if (id === RONOMON_RS_ID) coder = createRonomonRs(k, m)
    else throw new ErasureCodeError('ERR_RS_ARGUMENT', `unknown erasure code ${JSON.stringify(id)}`)
    if (coders.size >= MAX_CODERS) coders.delete(coders.keys().next().value!)
    coders.set(key, coder)
  }
  return coder
}
