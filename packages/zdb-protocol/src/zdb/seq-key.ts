/**
 * 0-db sequential-mode keys: upstream `seqid_t` is a `uint64_t` (libzdb/index.h) sent as its
 * 8 raw little-endian bytes; INFO reports it as `sequential_key_size: 8`
 * (zdbd/commands_system.c). 0-db v1 used 4-byte keys; v2 only knows 8.
 * @module
 */
import { ZdbFormatError } from './errors.js'

/** Byte length of a sequential-mode key. */
export const SEQ_KEY_LENGTH = 8

/** Largest sequential id: the key is an unsigned 64-bit integer. */
export const SEQ_ID_MAX = (1n << 64n) - 1n

/**
 * The 8-byte key of sequential id `id`.
 *
 * A `number` must be a safe integer: above 2^53 - 1 it may already have been rounded by the
 * caller's arithmetic, and encoding the rounded id would address another entry. Pass a `bigint`
 * for those.
 */
export function encodeSeqKey(id: bigint | number): Buffer {
  let value: bigint
  if (typeof id === 'number') {
    if (!Number.isSafeInteger(id)) {
      throw new ZdbFormatError(
        `sequential id must be a safe integer (or a bigint up to 2^64-1), got ${String(id)}`,
        'id',
      )
    }
    value = BigInt(id)
  } else if (typeof id === 'bigint') {
    value = id
  } else {
    throw new ZdbFormatError(`sequential id must be a bigint or a number, got ${typeof id}`, 'id')
  }
  if (value < 0n || value > SEQ_ID_MAX) {
    throw new ZdbFormatError(`sequential id must be in 0..2^64-1, got ${value}`, 'id')
  }
  const key = Buffer.allocUnsafe(SEQ_KEY_LENGTH)
  key.writeBigUInt64LE(value, 0)
  return key
}

/** The sequential id held by an 8-byte key. */
export function decodeSeqKey(key: Uint8Array): bigint {
  if (key.byteLength !== SEQ_KEY_LENGTH) {
    throw new ZdbFormatError(`sequential key must be ${SEQ_KEY_LENGTH} bytes, got ${key.byteLength}`, 'key')
  }
  return new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(0, true)
}
