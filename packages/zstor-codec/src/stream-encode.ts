/**
 * Streaming encode with bounded memory (issue 4): a byte stream of any length is cut into objects
 * of `objectSize` bytes, and each is run through the object pipeline of spec zstor.md §2
 * ({@link encodeObject}). Upstream reads every file whole into memory (spec §2, "no file-level
 * chunking"); here memory is bounded by a few objects whatever the input's length.
 *
 * Stream layout: objects `0, 1, 2, ...`, each `objectSize` bytes of the input except the last,
 * which holds the 1..objectSize remaining bytes and is flagged `last`. An empty input is one
 * empty object, flagged `last`, so that every stream, even an empty one, ends in a marked object
 * and a reader can tell a complete stream from a truncated one.
 * @module
 */
import { createCipher } from './cipher.js'
import { COMPRESSIONS, type Compression } from './compression.js'
import { checkCodeParams, ERASURE_PROFILES, erasureCodeIdOf } from './erasure-engines.js'
import { CompressionError, PipelineError, StreamError } from './errors.js'
import { type EncodeObjectOptions, encodeObject, type ObjectMeta } from './pipeline.js'
import { checkConcurrency, mapOrdered } from './stream-window.js'
import type { CodecPool } from './worker-pool.js'

/** Bytes of input per object unless `objectSize` says otherwise: 32 MiB. */
export const DEFAULT_OBJECT_SIZE = 32 * 2 ** 20

/** Largest `objectSize`: 1 GiB. Encoding holds about 3.3 to 4.3 times an object at once. */
export const MAX_OBJECT_SIZE = 2 ** 30

/**
 * What {@link encodeStream} reads: any async or sync iterable of byte chunks of any sizes, such
 * as a Node `Readable` without an encoding set (it yields Buffers), a web `ReadableStream`, an
 * async generator or an array of chunks; a single `Uint8Array` is taken as a one-chunk stream.
 */
export type StreamSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array

/** Options of {@link encodeStream}: those of {@link encodeObject}, and the stream's own. */
export interface EncodeStreamOptions extends EncodeObjectOptions {
  /** Input bytes per object, 1..{@link MAX_OBJECT_SIZE}; {@link DEFAULT_OBJECT_SIZE} (32 MiB) by default. */
  objectSize?: number
  /**
   * Objects encoded ahead of the consumer, 1..16; 1 by default. More overlaps encoding with the
   * consumer's I/O, and costs about one more object's shards of memory each.
   */
  concurrency?: number
  /** Encode on these worker threads (`createCodecPool`) instead of the calling thread. */
  pool?: CodecPool
  /**
   * The source gives its chunks away: a chunk that is one whole object (exactly `objectSize`
   * bytes, at an object boundary, spanning its whole buffer) becomes that object instead of
   * being copied, and with `pool` its buffer moves to a worker (detached here). Its producer
   * must not reuse or change it. Fill such chunks from `pool.buffer(objectSize)` to reuse memory.
   */
  transferChunks?: boolean
}

/** One object of an encoded stream, as {@link encodeStream} yields it. */
export interface EncodedStreamObject {
  /** Position of the object in the stream, from 0. */
  readonly index: number
  /** Offset in the input of the object's first byte: `index × objectSize`. */
  readonly offset: number
  /** Whether this is the stream's final object. Store it: the decoder needs it to detect truncation. */
  readonly last: boolean
  /** `k` data shards then `m` parity shards, as {@link encodeObject} returns them. */
  readonly shards: Uint8Array[]
  readonly meta: ObjectMeta
}

interface Piece {
  readonly index: number
  readonly offset: number
  readonly last: boolean
  readonly data: Uint8Array
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'number') return String(value)
  if (typeof value === 'object') return value.constructor?.name ?? 'object'
  return typeof value
}

function checkObjectSize(objectSize: unknown): asserts objectSize is number {
  if (
    typeof objectSize !== 'number' ||
    !Number.isInteger(objectSize) ||
    objectSize < 1 ||
    objectSize > MAX_OBJECT_SIZE
  ) {
    throw new StreamError(
      'ERR_STREAM_ARGUMENT',
      `\`objectSize\` (input bytes per object) must be an integer 1..${MAX_OBJECT_SIZE}, got ${describe(objectSize)}`,
    )
  }
}

/** Checks `source` is iterable, and makes it async. */
function asyncSource(source: unknown): AsyncIterable<unknown> {
  if (source instanceof Uint8Array)
    return (async function* () {
      yield source
    })()
  if (typeof source === 'string' || typeof source !== 'object' || source === null) {
    throw new StreamError(
      'ERR_STREAM_ARGUMENT',
      `\`source\` must be an iterable or async iterable of Uint8Array chunks, got ${describe(source)}`,
    )
  }
  if (Symbol.asyncIterator in source) return source as AsyncIterable<unknown>
  if (Symbol.iterator in source) {
    const iterable = source as Iterable<unknown>
    return (async function* () {
      yield* iterable
    })()
  }
  throw new StreamError(
    'ERR_STREAM_ARGUMENT',
    `\`source\` must be an iterable or async iterable of Uint8Array chunks, got ${describe(source)}`,
  )
}

const spansBuffer = (bytes: Uint8Array) =>
  bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength

/**
 * `source` cut into pieces of `objectSize` bytes. A full piece is held back until the next byte
 * or the end of `source` arrives, to know whether it is the last. Holds at most one piece and
 * one source chunk; each piece is a copy, so chunks may be reused by their producer, except with
 * `adopt` (`transferChunks`), where a chunk that is one whole object of its own is the piece.
 */
async function* cut(
  source: AsyncIterable<unknown>,
  objectSize: number,
  allocate: (size: number) => Uint8Array,
  adopt: boolean,
): AsyncGenerator<Piece> {
  let index = 0
  let buffer: Uint8Array | undefined
  let filled = 0
  let full: Uint8Array | undefined
  let chunks = 0
  for await (const chunk of source) {
    if (!(chunk instanceof Uint8Array)) {
      throw new StreamError(
        'ERR_STREAM_ARGUMENT',
        `source chunk ${chunks} must be a Uint8Array, got ${describe(chunk)}${typeof chunk === 'string' ? ' (a Node Readable must not have an encoding set)' : ''}`,
      )
    }
    chunks++
    for (let at = 0; at < chunk.length; ) {
      if (full) {
        yield { index, offset: index * objectSize, last: false, data: full }
        index++
        full = undefined
      }
      if (adopt && at === 0 && buffer === undefined && chunk.length === objectSize && spansBuffer(chunk)) {
        full = chunk
        break
      }
      buffer ??= allocate(objectSize)
      const n = Math.min(objectSize - filled, chunk.length - at)
      buffer.set(chunk.subarray(at, at + n), filled)
      filled += n
      at += n
      if (filled === objectSize) {
        full = buffer
        buffer = undefined
        filled = 0
      }
    }
  }
  const data = full ?? buffer?.subarray(0, filled) ?? new Uint8Array(0)
  yield { index, offset: index * objectSize, last: true, data }
}

/**
 * Encodes a byte stream of any length as a sequence of objects (issue 4): cuts `source` into
 * objects of `objectSize` bytes (32 MiB by default), runs each through {@link encodeObject} with
 * `k`, `m`, `compression`, `key`, `engine` and `erasure`, and yields `{ index, offset, last, shards, meta }`
 * for each, in order. The last object holds the remaining 1..objectSize bytes; an input whose
 * length is a multiple of `objectSize` ends in a full object; an empty input gives one empty
 * object. Every object has its own random nonce.
 *
 * Memory is bounded by the consumer's pace: the source is read only as the consumer takes
 * objects, so at most about `(concurrency + 1) × objectSize × (k + m) / k` bytes of objects and
 * shards are held, plus one object's encoding work (up to 2 to 3 times `objectSize`) and one
 * source chunk, whatever the input's length.
 *
 * Options are checked when this is called, with the errors of {@link encodeObject} for `k`, `m`,
 * `key`, `engine`, `erasure` and `compression`, and `StreamError` `ERR_STREAM_ARGUMENT` for `objectSize`,
 * `concurrency` and `source`; a chunk that is not a `Uint8Array` rejects the iteration with
 * `ERR_STREAM_ARGUMENT`. The generator keeps its own copy of `key`, wiped when it finishes or is
 * stopped; breaking out of the loop returns `source`.
 */
export function encodeStream(
  source: StreamSource,
  options: EncodeStreamOptions,
): AsyncGenerator<EncodedStreamObject, void, undefined> {
  if (typeof options !== 'object' || options === null) {
    throw new StreamError('ERR_STREAM_ARGUMENT', '`options` must be an object with k, m, compression and key')
  }
  const { k, m, compression, engine, erasure, pool } = options
  const transferChunks = options.transferChunks === true
  const objectSize = options.objectSize ?? DEFAULT_OBJECT_SIZE
  const concurrency = options.concurrency ?? 1
  const erasureCode = erasureCodeIdOf(erasure ?? 'standard')
  if (erasureCode === undefined) {
    throw new PipelineError(
      'ERR_PIPELINE_ARGUMENT',
      `\`erasure\` must be one of ${ERASURE_PROFILES.join(', ')}, got ${typeof erasure === 'string' ? JSON.stringify(erasure) : typeof erasure}`,
    )
  }
  checkCodeParams(erasureCode, k, m)
  if (!COMPRESSIONS.includes(compression as Compression)) {
    throw new CompressionError(
      'ERR_COMPRESSION_ARGUMENT',
      `\`compression\` must be 'snappy', 'zstd' or 'none', got ${typeof compression === 'string' ? JSON.stringify(compression) : typeof compression}`,
    )
  }
  createCipher({ key: options.key, ...(engine ? { engine } : {}) }).destroy()
  checkObjectSize(objectSize)
  checkConcurrency(concurrency)
  const input = asyncSource(source)
  const callerKey = options.key
  return (async function* () {
    const key = new Uint8Array(callerKey) // a copy: Buffer#slice would share the caller's bytes
    try {
      // With a pool, objects are cut into buffers its workers handed back: no fresh 32 MiB
      // mapping (page faults, zeroing, unmapping) per object.
      const allocate = pool?.buffer ? pool.buffer.bind(pool) : (size: number) => new Uint8Array(size)
      const pieces = cut(input, objectSize, allocate, transferChunks)
      yield* mapOrdered(pieces, concurrency, async ({ index, offset, last, data }) => {
        const objectOptions = {
          k,
          m,
          compression,
          key,
          ...(engine ? { engine } : {}),
          ...(erasure ? { erasure } : {}),
        }
        // Each piece is a buffer of its own, so it can move to a worker without a copy.
        const { shards, meta } = pool
          ? await pool.encode(data, objectOptions, true)
          : await encodeObject(data, objectOptions)
        return { index, offset, last, shards, meta }
      })
    } finally {
      key.fill(0)
    }
  })()
}
