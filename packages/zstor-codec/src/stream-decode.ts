/**
 * Streaming decode with bounded memory (issue 4): the objects of a stream written by
 * `encodeStream`, in order, back to the bytes of the original stream. Each object is decoded and
 * verified by {@link decodeObject} (spec zstor.md §2) before any of its bytes are yielded, and the
 * sequence itself is checked: indexes `0, 1, 2, ...` with no gap or repeat, ending in the object
 * flagged `last`.
 * @module
 */
import { createCipher } from './cipher.js'
import { StreamError } from './errors.js'
import { type DecodeObjectOptions, decodeObject, type ObjectMeta } from './pipeline.js'
import { checkConcurrency, mapOrdered } from './stream-window.js'
import type { CodecPool } from './worker-pool.js'

/** One object of a stream as the decoder takes it: what `encodeStream` yielded, shards as fetched. */
export interface StoredStreamObject {
  /** Position of the object in the stream, from 0. */
  readonly index: number
  /** Whether this is the stream's final object. */
  readonly last: boolean
  /** Offset of the object's first byte in the stream; checked when given. */
  readonly offset?: number
  /** All `k + m` slots in shard order, `null` or `undefined` for a shard not fetched. */
  readonly shards: ReadonlyArray<Uint8Array | null | undefined>
  readonly meta: ObjectMeta
}

/** Options of {@link decodeStream}. */
export interface DecodeStreamOptions extends DecodeObjectOptions {
  /** The 32-byte AES-256 key the stream was encoded with. */
  key: Uint8Array
  /** Objects decoded ahead of the consumer, 1..16; 1 by default. */
  concurrency?: number
  /** Decode on these worker threads (`createCodecPool`) instead of the calling thread. */
  pool?: CodecPool
  /**
   * With `pool`: move each shard that is a whole buffer of its own to the worker instead of
   * copying it, for a caller that does not use the shards after handing them over.
   */
  transferShards?: boolean
}

const isIndex = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0

function asyncObjects(objects: unknown): AsyncIterable<unknown> {
  if (typeof objects === 'object' && objects !== null && !(objects instanceof Uint8Array)) {
    if (Symbol.asyncIterator in objects) return objects as AsyncIterable<unknown>
    if (Symbol.iterator in objects) {
      const iterable = objects as Iterable<unknown>
      return (async function* () {
        yield* iterable
      })()
    }
  }
  throw new StreamError(
    'ERR_STREAM_ARGUMENT',
    '`objects` must be an iterable or async iterable of { index, last, shards, meta }',
  )
}

/**
 * `objects` checked as one whole stream: throws `ERR_STREAM_ORDER` at the first object out of
 * place (saying which index was expected) and `ERR_STREAM_TRUNCATED` when they end before the
 * object flagged `last`.
 */
async function* inOrder(objects: AsyncIterable<unknown>): AsyncGenerator<StoredStreamObject> {
  let expected = 0
  let offset = 0
  let ended = false
  for await (const object of objects) {
    const o = (typeof object === 'object' && object !== null ? object : {}) as Partial<StoredStreamObject>
    if (!isIndex(o.index) || typeof o.last !== 'boolean' || typeof o.meta !== 'object' || o.meta === null) {
      throw new StreamError(
        'ERR_STREAM_ARGUMENT',
        `object ${expected} of the stream must be { index, last, shards, meta } with an integer index ≥ 0 and a boolean last`,
      )
    }
    if (ended) {
      throw new StreamError(
        'ERR_STREAM_ORDER',
        `object ${o.index} arrived after object ${expected - 1}, which is flagged last; expected the end of the stream`,
      )
    }
    if (o.index !== expected) {
      const what =
        o.index < expected ? 'repeated or out of order' : `objects ${expected}..${o.index - 1} missing`
      throw new StreamError(
        'ERR_STREAM_ORDER',
        `expected object ${expected}, got object ${o.index} (${what})`,
      )
    }
    if (o.offset !== undefined && o.offset !== offset) {
      throw new StreamError(
        'ERR_STREAM_ORDER',
        `object ${expected} says it starts at byte ${o.offset}, but the objects before it hold ${offset} bytes`,
      )
    }
    if (isIndex(o.meta.size)) offset += o.meta.size
    ended = o.last
    expected++
    yield o as StoredStreamObject
  }
  if (!ended) {
    throw new StreamError(
      'ERR_STREAM_TRUNCATED',
      expected === 0
        ? 'the stream holds no objects; expected object 0 (even an empty stream has one, flagged last)'
        : `the stream ended after object ${expected - 1}, which is not flagged last; expected object ${expected}`,
    )
  }
}

/**
 * The bytes of a stream encoded by `encodeStream`, from its objects in order (issue 4). Each
 * object is decoded with {@link decodeObject} (any `k` of its shards whose checksums hold; the
 * GCM tag, size and BLAKE2b-128 of the object are checked) and its plaintext yielded as one
 * chunk; the empty object of an empty stream yields nothing. Objects are pulled from `objects`
 * only as the consumer takes chunks, so memory stays bounded by about
 * `(concurrency + 1) × objectSize × (k + m) / k`, plus one object's decoding work.
 *
 * Errors, thrown in place of the first chunk they concern, after every chunk before it:
 * `StreamError` `ERR_STREAM_ORDER` (an object out of order, repeated, after a gap or after the
 * last; the message says which index was expected), `ERR_STREAM_TRUNCATED` (the objects end
 * before the one flagged `last`: only then is the stream known to be whole, so treat the bytes
 * as complete only when the iteration finishes without error), `ERR_STREAM_ARGUMENT`, and every
 * error of {@link decodeObject}. Options are checked when this is called. The generator keeps
 * its own copy of `key`, wiped when it finishes or is stopped.
 */
export function decodeStream(
  objects: AsyncIterable<StoredStreamObject> | Iterable<StoredStreamObject>,
  options: DecodeStreamOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  if (typeof options !== 'object' || options === null) {
    throw new StreamError('ERR_STREAM_ARGUMENT', '`options` must be an object with key')
  }
  const { engine } = options
  const concurrency = options.concurrency ?? 1
  createCipher({ key: options.key, ...(engine ? { engine } : {}) }).destroy()
  checkConcurrency(concurrency)
  const input = asyncObjects(objects)
  const callerKey = options.key
  return (async function* () {
    const key = new Uint8Array(callerKey) // a copy: Buffer#slice would share the caller's bytes
    try {
      const objectOptions = {
        ...(engine ? { engine } : {}),
        ...(options.shardsVerified ? { shardsVerified: true } : {}),
      }
      const { pool } = options
      const chunks = mapOrdered(inOrder(input), concurrency, ({ shards, meta }) =>
        pool
          ? pool.decode(shards, meta, key, objectOptions, options.transferShards === true)
          : decodeObject(shards, meta, key, objectOptions),
      )
      for await (const chunk of chunks) if (chunk.length > 0) yield chunk
    } finally {
      key.fill(0)
    }
  })()
}
