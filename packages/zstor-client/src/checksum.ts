/** The one check every shard, record and object read back goes through. @module */
import { blake2b128 } from '@qsfs/zstor-codec'

/** Whether the BLAKE2b-128 of `bytes` is `sum` (spec zstor.md §2 steps 1 and 5). */
export function checksumHolds(bytes: Uint8Array, sum: Uint8Array): boolean {
  return Buffer.compare(blake2b128(bytes), sum) === 0
}
