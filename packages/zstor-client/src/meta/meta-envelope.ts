/**
 * How one metadata record is spread over the meta backends (spec zstor.md §3 "Write path"):
 * sealed with AES-256-GCM under the data key, padded and Reed-Solomon coded, one shard per meta
 * backend, each shard stored with its index and a BLAKE2b-128 checksum.
 *
 * Two layouts are read:
 * - upstream's, always 2 data + 2 parity over exactly 4 backends:
 *   `value = [i] || shard || blake2b128(shard)`, `i` in 0..3;
 * - ours, for any number `n` of meta backends, `k = max(1, floor(n / 2))` data shards:
 *   `value = "QM" 0x01 k m i stamp(u64) || shard || blake2b128(header || shard)`. Its first
 *   byte (`Q`) is never a valid upstream index, so upstream skips these values instead of
 *   misreading them. `stamp` (write time in µs plus a random tail) tells the shards of one write
 *   from those of another: after an overwrite that reached only some backends, the newest
 *   write with `k` shards is read, never a mix of two (which would not decrypt).
 * Ours is always written.
 * @module
 */
import {
  blake2b128,
  CHECKSUM_LENGTH,
  createCipher,
  createStandardRs,
  joinAndUnpad,
  padAndSplit,
} from '@qsfs/zstor-codec'
import { checksumHolds } from '../checksum.js'
import { MetaStoreError } from '../errors.js'

const MAGIC_0 = 0x51 // 'Q'
const MAGIC_1 = 0x4d // 'M'
const VERSION = 1
const HEADER = 14
const UPSTREAM_K = 2
const UPSTREAM_N = 4

/** Data and parity shards of a record spread over `n` meta backends. */
export function metaCode(n: number): { k: number; m: number } {
  const k = Math.max(1, Math.floor(n / 2))
  return { k, m: n - k }
}

/** The `n` values, one per meta backend in config order, that hold `record`. */
export async function sealRecord(record: Uint8Array, key: Uint8Array, n: number): Promise<Buffer[]> {
  const stamp = BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000))
  const { k, m } = metaCode(n)
  const cipher = createCipher({ key })
  let sealed: Uint8Array
  try {
    sealed = cipher.encrypt(record)
  } finally {
    cipher.destroy()
  }
  const data = padAndSplit(sealed, k)
  const shards = m > 0 ? [...data, ...(await createStandardRs(k, m).encode(data))] : data
  return shards.map((shard, i) => {
    return frame({ k, m, index: i, stamp, shard })
  })
}

/** One meta backend's share of a record. Upstream values have stamp 0. */
export interface Slot {
  readonly k: number
  readonly m: number
  readonly index: number
  readonly stamp: bigint
  readonly shard: Uint8Array
}

/** The stored value of `slot` in our layout. */
export function frame(slot: Slot): Buffer {
  const header = Buffer.from([MAGIC_0, MAGIC_1, VERSION, slot.k, slot.m, slot.index, 0, 0, 0, 0, 0, 0, 0, 0])
  header.writeBigUInt64LE(slot.stamp, 6)
  const body = Buffer.concat([header, slot.shard])
  return Buffer.concat([body, blake2b128(body)])
}

/** A value's shard if its checksum holds, or `null` (skipped, as upstream skips bad values). */
function readSlot(value: Uint8Array): Slot | null {
  if (value.length < 1 + CHECKSUM_LENGTH) return null
  const body = value.subarray(0, value.length - CHECKSUM_LENGTH)
  const sum = value.subarray(value.length - CHECKSUM_LENGTH)
  if (value[0] === MAGIC_0 && value[1] === MAGIC_1) {
    if (body.length < HEADER || value[2] !== VERSION || !checksumHolds(body, sum)) return null
    const k = value[3]!
    const m = value[4]!
    const index = value[5]!
    if (k < 1 || index >= k + m) return null
    const stamp = Buffer.from(value.buffer, value.byteOffset + 6, 8).readBigUInt64LE(0)
    return { k, m, index, stamp, shard: body.subarray(HEADER) }
  }
  const index = value[0]!
  const shard = body.subarray(1)
  if (index >= UPSTREAM_N || !checksumHolds(shard, sum)) return null
  return { k: UPSTREAM_K, m: UPSTREAM_N - UPSTREAM_K, index, stamp: 0n, shard }
}

/** The shards of the newest write that has `k` of them, by backend position; `null` if none. */
export interface Stripe {
  readonly k: number
  readonly m: number
  readonly stamp: bigint
  /** `slots[j]` is backend `j`'s slot if it holds a valid shard of this write. */
  readonly slots: readonly (Slot | null)[]
}

/**
 * Picks the write to read from `values` (one per meta backend; `null` where there is none):
 * the newest whose valid shards number at least its `k`. Returns `null` when no backend holds a
 * value; throws `MetaStoreError` `ERR_META_CORRUPT` when values exist but no write has `k` valid shards.
 */
export function pickStripe(values: readonly (Uint8Array | null)[]): Stripe | null {
  const present = values.filter((v) => v !== null && v.length > 0).length
  if (present === 0) return null
  const slots = values.map((v) => (v && v.length > 0 ? readSlot(v) : null))
  const writes = new Map<string, (Slot | null)[]>()
  slots.forEach((slot, j) => {
    if (!slot) return
    const id = `${slot.stamp}/${slot.k}+${slot.m}/${slot.shard.length}`
    const list = writes.get(id) ?? values.map(() => null)
    list[j] = slot
    writes.set(id, list)
  })
  const readable = [...writes.values()]
    .map((list) => {
      const first = list.find((s) => s !== null)!
      const distinct = new Set(list.filter((s) => s !== null).map((s) => s!.index)).size
      return { k: first.k, m: first.m, stamp: first.stamp, slots: list, distinct }
    })
    .filter((w) => w.distinct >= w.k)
    .sort((a, b) => (a.stamp === b.stamp ? 0 : a.stamp > b.stamp ? -1 : 1))
  const best = readable[0]
  if (!best) {
    const valid = slots.filter((s) => s !== null).length
    throw new MetaStoreError(
      'ERR_META_CORRUPT',
      `${present} meta backends hold a value for this key but only ${valid} shards are valid, too few to read it; check the meta backends`,
    )
  }
  return { k: best.k, m: best.m, stamp: best.stamp, slots: best.slots }
}

/** All `k + m` shards of `stripe`, the missing ones rebuilt. */
export async function fullStripe(stripe: Stripe): Promise<Uint8Array[]> {
  const shards: (Uint8Array | null)[] = new Array(stripe.k + stripe.m).fill(null)
  for (const slot of stripe.slots) if (slot) shards[slot.index] = slot.shard
  if (shards.every((s) => s !== null)) return shards as Uint8Array[]
  return createStandardRs(stripe.k, stripe.m).reconstruct(shards)
}

/**
 * The record held by `values` (what each meta backend returned; `null` where it had none or did
 * not answer), or `null` when no backend holds a value. Throws `MetaStoreError`
 * `ERR_META_CORRUPT` when values exist but no write has `k` valid shards, or when they do not
 * decrypt under `key`.
 */
export async function openRecord(
  values: readonly (Uint8Array | null)[],
  key: Uint8Array,
): Promise<Uint8Array | null> {
  const stripe = pickStripe(values)
  if (!stripe) return null
  const { k, m } = stripe
  let data: Uint8Array[]
  if (m === 0) data = [stripe.slots.find((s) => s !== null)!.shard]
  else data = (await fullStripe(stripe)).slice(0, k)
  const cipher = createCipher({ key })
  try {
    return cipher.decrypt(joinAndUnpad(data))
  } catch (error) {
    throw new MetaStoreError(
      'ERR_META_CORRUPT',
      `a metadata record does not decrypt: was it written with another key? (${(error as Error).message})`,
      { cause: error },
    )
  } finally {
    cipher.destroy()
  }
}
