/**
 * A shard on a backend (spec zstor.md §2 "Writes"): appended to a sequential-mode namespace in
 * chunks of at most 2 MiB, one zdb key per chunk; read back by concatenating the chunks.
 * All chunks of a shard are sent at once on the backend's connection (pipelined), and replies
 * come back in order, so keys stay in chunk order.
 * @module
 */
import type { ZdbBackend } from '../backend/zdb-backend.js'

/**
 * Appends `shard` in chunks of `chunkSize`; the keys in order. An empty shard is one empty chunk.
 * `onKey` hears of each chunk stored as its key comes back; on a failure, only once every chunk
 * sent has been answered, so that the caller knows all that was stored when this rejects.
 */
export async function writeShard(
  backend: ZdbBackend,
  shard: Uint8Array,
  chunkSize: number,
  onKey: (key: Buffer) => void = () => {},
): Promise<Buffer[]> {
  const chunks: Uint8Array[] = []
  for (let at = 0; at < shard.length || chunks.length === 0; at += chunkSize) {
    chunks.push(shard.subarray(at, Math.min(at + chunkSize, shard.length)))
  }
  const results = await Promise.allSettled(
    chunks.map(async (chunk) => {
      const key = await backend.append(chunk)
      onKey(key)
      return key
    }),
  )
  const failed = results.find((r) => r.status === 'rejected')
  if (failed) throw failed.reason
  return results.map((r) => (r as PromiseFulfilledResult<Buffer>).value)
}

/**
 * The shard stored under `keys`, or `null` when a chunk is gone. With `into` (the shard's
 * expected size), its chunks are read straight into it, one after the other: the replies of one
 * connection come in order. When they do not add up to exactly `into`, or without it, the result
 * is a new buffer of whatever they hold, for the caller's size check to refuse.
 */
export async function readShard(
  backend: ZdbBackend,
  keys: readonly Uint8Array[],
  into?: Uint8Array,
): Promise<Buffer | null> {
  const target = into ? Buffer.from(into.buffer, into.byteOffset, into.byteLength) : Buffer.alloc(0)
  let at = 0
  let fits = into !== undefined
  const place = (length: number): Buffer => {
    if (fits && at + length <= target.length) {
      at += length
      return target.subarray(at - length, at)
    }
    fits = false
    return Buffer.allocUnsafe(length)
  }
  const chunks = await Promise.all(keys.map((key) => backend.getInto(key, place)))
  if (chunks.some((c) => c === null)) return null
  if (fits && at === target.length) return target
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks as Buffer[])
}

/** Deletes the chunks of a shard; chunks already gone are not an error. */
export async function deleteShard(backend: ZdbBackend, keys: readonly Uint8Array[]): Promise<void> {
  await Promise.all(keys.map((key) => backend.del(key)))
}
