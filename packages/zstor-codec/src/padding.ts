/**
 * Turning an object into `k` equal data shards and back, exactly as upstream 0-stor does before
 * Reed-Solomon encoding (shared/specs/zstor.md §2, step 4, `erasure.rs`): PKCS#7-like padding
 * over `k` — `pad = k - len % k` (always 1..k) bytes of value `pad` — then `k` consecutive
 * slices of `(len + pad) / k` bytes.
 * @module
 */
import { ErasureCodeError } from './errors.js'

/**
 * Pads `object` and splits it into `k` data shards (k 1..255). The shards are views of one new
 * buffer, each starting at an 8-byte boundary so the word-wise kernels read them in place;
 * `object` is copied, not referenced.
 */
export function padAndSplit(object: Uint8Array, k: number): Uint8Array[] {
  if (!(object instanceof Uint8Array)) {
    throw new ErasureCodeError('ERR_RS_ARGUMENT', '`object` must be a Uint8Array')
  }
  if (!Number.isInteger(k) || k < 1 || k > 255) {
    throw new ErasureCodeError('ERR_RS_PARAMS', `\`k\` (data shards) must be an integer 1..255, got ${k}`)
  }
  const pad = k - (object.length % k)
  const shardLength = (object.length + pad) / k
  const stride = (shardLength + 7) & ~7
  const buffer = new Uint8Array(stride * k)
  const shards: Uint8Array[] = []
  for (let i = 0; i < k; i++) {
    const shard = buffer.subarray(i * stride, i * stride + shardLength)
    const from = i * shardLength
    shard.set(object.subarray(from, Math.min(object.length, from + shardLength)))
    shards.push(shard)
  }
  // The padding can span several shards when the object is shorter than k.
  for (let i = object.length; i < object.length + pad; i++) {
    shards[Math.floor(i / shardLength)]![i % shardLength] = pad
  }
  return shards
}

/**
 * The `k` data shards {@link padAndSplit} would give for the sealed bytes held in `segments`
 * (consecutive pieces of `shardLength` bytes, the last one possibly shorter, as
 * `ObjectCipher.encryptSegments` returns them): whole segments are the shards themselves, the
 * rest are new shards holding what is left of the bytes and the padding.
 */
export function padSegments(segments: readonly Uint8Array[], k: number, shardLength: number): Uint8Array[] {
  const length = segments.reduce((sum, s) => sum + s.length, 0)
  const pad = k - (length % k)
  if ((length + pad) / k !== shardLength) {
    throw new ErasureCodeError(
      'ERR_RS_ARGUMENT',
      `${length} bytes padded over k = ${k} do not give shards of ${shardLength}`,
    )
  }
  return Array.from({ length: k }, (_, i) => {
    const segment = segments[i]
    if (segment?.length === shardLength) return segment
    const shard = new Uint8Array(shardLength).fill(pad)
    if (segment) shard.set(segment)
    return shard
  })
}

/**
 * The bytes `k` data shards hold before the padding {@link padAndSplit} wrote, after checking
 * that padding: `ERR_RS_PADDING` when it is not `pad` bytes of value `pad` with pad 1..k (the
 * shards are then not the data of a padded object: corrupt, or in the wrong order).
 */
export function unpaddedLength(dataShards: readonly Uint8Array[]): number {
  const k = dataShards.length
  if (k < 1) throw new ErasureCodeError('ERR_RS_SHARD_COUNT', '`dataShards` must hold at least one shard')
  const shardLength = dataShards[0]!.length
  for (let i = 0; i < k; i++) {
    const shard = dataShards[i]
    if (!(shard instanceof Uint8Array)) {
      throw new ErasureCodeError('ERR_RS_SHARD_TYPE', `\`dataShards[${i}]\` must be a Uint8Array`)
    }
    if (shard.length !== shardLength) {
      throw new ErasureCodeError(
        'ERR_RS_SHARD_SIZE',
        `\`dataShards[${i}]\` is ${shard.length} bytes but \`dataShards[0]\` is ${shardLength}: all shards must have the same length`,
      )
    }
  }
  const total = shardLength * k
  const pad = total === 0 ? 0 : dataShards[k - 1]![shardLength - 1]!
  if (pad < 1 || pad > k || pad > total) {
    throw new ErasureCodeError(
      'ERR_RS_PADDING',
      `the last byte must give a padding length 1..${k}, got ${total === 0 ? 'no bytes at all' : pad}; the shards are corrupt or out of order`,
    )
  }
  for (let i = total - pad; i < total; i++) {
    const shard = dataShards[Math.floor(i / shardLength)]!
    if (shard[i % shardLength] !== pad) {
      throw new ErasureCodeError(
        'ERR_RS_PADDING',
        `byte ${i} of the joined shards is ${shard[i % shardLength]}, expected the padding value ${pad}; the shards are corrupt or out of order`,
      )
    }
  }
  return total - pad
}

/**
 * Joins `k` data shards (in order) and strips the padding written by {@link padAndSplit}.
 * Throws `ERR_RS_PADDING` when the padding is not `pad` bytes of value `pad` with pad 1..k:
 * the shards are then not the data of a padded object (corrupt, or in the wrong order).
 */
export function joinAndUnpad(dataShards: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(unpaddedLength(dataShards))
  let at = 0
  for (const shard of dataShards) {
    const take = Math.min(shard.length, out.length - at)
    if (take > 0) out.set(shard.subarray(0, take), at)
    at += shard.length
  }
  return out
}
