/**
 * Encoding and decoding on worker threads, so a stream uses every core: the pipeline is pure
 * CPU work, and on one thread it also stalls the caller's I/O. Objects are handed over by
 * transferring their buffers (no copy when the caller owns a whole buffer, as the stream
 * encoder does); each request carries its own copy of the key, wiped by the worker after use.
 * @module
 */
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import {
  CompressionError,
  CryptoError,
  ErasureCodeError,
  GaloisFieldError,
  MetadataError,
  PipelineError,
  StreamError,
} from './errors.js'
import type { DecodeObjectOptions, EncodedObject, EncodeObjectOptions, ObjectMeta } from './pipeline.js'
import type { WorkerReply, WorkerRequest } from './worker-messages.js'

/** A pool of worker threads running the object pipeline. */
export interface CodecPool {
  readonly threads: number
  /** `encodeObject` on a worker. With `transfer`, `data`'s buffer moves to the worker (unusable here after). */
  encode(data: Uint8Array, options: EncodeObjectOptions, transfer?: boolean): Promise<EncodedObject>
  /**
   * `decodeObject` on a worker. The shards are copied to it; with `transfer`, a shard that is a
   * whole buffer of its own moves there instead (unusable here after).
   */
  decode(
    shards: ReadonlyArray<Uint8Array | null | undefined>,
    meta: ObjectMeta,
    key: Uint8Array,
    options?: DecodeObjectOptions,
    transfer?: boolean,
  ): Promise<Uint8Array>
  /**
   * A buffer of `size` bytes to fill and pass to {@link encode} with `transfer`: memory an earlier
   * request handed back when some fits, else new. Its bytes are not zeroed: they may hold an
   * earlier object's. `encodeStream` cuts its objects into these.
   */
  buffer?(size: number): Uint8Array
  /** Stops the workers; pending requests reject. */
  close(): Promise<void>
}

export interface CodecPoolOptions {
  /** Worker threads: by default the number of CPUs, at most 4. */
  threads?: number
}

const ERRORS: Record<string, new (code: never, message: string) => Error> = {
  CompressionError,
  CryptoError,
  ErasureCodeError,
  GaloisFieldError,
  MetadataError,
  PipelineError,
  StreamError,
}

function workerUrl(): URL {
  const beside = new URL('./codec-worker.js', import.meta.url)
  if (existsSync(fileURLToPath(beside))) return beside
  // Running from the sources (tests): use the built worker.
  return new URL('../dist/codec-worker.js', import.meta.url)
}

/** Whether `view` spans its whole buffer, so transferring the buffer moves nothing else. */
const owns = (view: Uint8Array) => view.byteOffset === 0 && view.byteLength === view.buffer.byteLength

/** Bytes of handed-back buffers a pool keeps per thread for its next requests. */
const SPARE_BYTES_PER_THREAD = 96 * 2 ** 20
/** Milliseconds without requests after which a pool lets its spare buffers go. */
const SPARE_IDLE_MS = 1000

/**
 * Buffers the workers are done with, reused for the copies the pool makes and for the objects
 * `encodeStream` cuts. A 32 MiB buffer is above glibc's mmap threshold: new, it costs a fresh
 * mapping, a page fault per 4 KiB (zeroed by the kernel) and, once collected, an unmapping;
 * measured, that made the pool spend a third more CPU per byte than the main thread.
 */
class SpareBuffers {
  #buffers: ArrayBuffer[] = []
  #bytes = 0
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly limit: number) {}

  /** `size` bytes over the smallest spare buffer that holds them, or over a new one. */
  take(size: number): Uint8Array {
    let best = -1
    for (let i = 0; i < this.#buffers.length; i++) {
      const length = this.#buffers[i]!.byteLength
      // A much larger buffer is kept for a request of its size.
      if (
        length >= size &&
        length <= 2 * size + 4096 &&
        (best < 0 || length < this.#buffers[best]!.byteLength)
      )
        best = i
    }
    if (best < 0) return new Uint8Array(size)
    const [buffer] = this.#buffers.splice(best, 1)
    this.#bytes -= buffer!.byteLength
    return new Uint8Array(buffer!, 0, size)
  }

  give(buffers: readonly ArrayBuffer[]): void {
    for (const buffer of buffers) {
      if (this.#bytes + buffer.byteLength > this.limit) break
      this.#buffers.push(buffer)
      this.#bytes += buffer.byteLength
    }
  }

  /** Called when the pool goes idle: the buffers go after a while without requests. */
  idle(): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.clear(), SPARE_IDLE_MS)
    this.#timer.unref?.()
  }

  busy(): void {
    clearTimeout(this.#timer)
  }

  clear(): void {
    clearTimeout(this.#timer)
    this.#buffers = []
    this.#bytes = 0
  }
}

interface Slot {
  readonly worker: Worker
  inFlight: number
}

/** Starts a pool of worker threads for `encodeObject` / `decodeObject`. */
export function createCodecPool(
  options: CodecPoolOptions = {},
): CodecPool & Required<Pick<CodecPool, 'buffer'>> {
  const threads = options.threads ?? Math.min(4, availableParallelism())
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new PipelineError('ERR_PIPELINE_ARGUMENT', `\`threads\` must be an integer 1..64, got ${threads}`)
  }
  const pending = new Map<
    number,
    { resolve: (r: WorkerReply) => void; reject: (e: Error) => void; slot: Slot }
  >()
  let nextId = 0
  let closed = false
  let inFlight = 0
  const spares = new SpareBuffers(threads * SPARE_BYTES_PER_THREAD)
  const url = workerUrl()
  const slots: Slot[] = Array.from({ length: threads }, () => {
    const worker = new Worker(url)
    const slot: Slot = { worker, inFlight: 0 }
    worker.unref()
    worker.on('message', (reply: WorkerReply) => {
      const job = pending.get(reply.id)
      if (!job) return
      pending.delete(reply.id)
      if (--slot.inFlight === 0) worker.unref()
      if (--inFlight === 0) spares.idle()
      if (reply.ok) spares.give(reply.spare)
      job.resolve(reply)
    })
    worker.on('error', (error) => {
      for (const [id, job] of pending) {
        if (job.slot !== slot) continue
        pending.delete(id)
        job.reject(new PipelineError('ERR_PIPELINE_ARGUMENT', `a codec worker failed: ${error.message}`))
      }
    })
    return slot
  })

  const send = (request: WorkerRequest, transfer: ArrayBuffer[]): Promise<WorkerReply> => {
    if (closed) return Promise.reject(new PipelineError('ERR_PIPELINE_ARGUMENT', 'the codec pool is closed'))
    const slot = slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a))
    // A worker with work keeps the process alive; an idle one does not.
    if (slot.inFlight++ === 0) slot.worker.ref()
    if (inFlight++ === 0) spares.busy()
    return new Promise((resolve, reject) => {
      pending.set(request.id, { resolve, reject, slot })
      slot.worker.postMessage(request, transfer)
    })
  }
  const unwrap = (reply: WorkerReply): WorkerReply & { ok: true } => {
    if (reply.ok) return reply
    const Type = ERRORS[reply.name]
    if (Type && reply.code) throw new Type(reply.code as never, reply.message)
    throw new PipelineError('ERR_PIPELINE_ARGUMENT', `codec worker: ${reply.message}`)
  }

  return {
    threads,
    async encode(data, encodeOptions, transfer = false) {
      let payload = data
      if (!(transfer && owns(data))) {
        // A copy: `data.slice()` would not be one for a Buffer (Buffer#slice is a view), and
        // transferring that view's buffer would detach the caller's whole buffer.
        payload = spares.take(data.length)
        payload.set(data)
      }
      const options = { ...encodeOptions, key: new Uint8Array(encodeOptions.key) }
      const reply = unwrap(
        await send({ id: nextId++, op: 'encode', data: payload, options }, [
          payload.buffer as ArrayBuffer,
          options.key.buffer,
        ]),
      )
      if (reply.op !== 'encode') throw new PipelineError('ERR_PIPELINE_ARGUMENT', 'codec worker: wrong reply')
      return { shards: reply.shards, meta: reply.meta }
    },
    async decode(shards, meta, key, decodeOptions = {}, transfer = false) {
      const copy = new Uint8Array(key)
      const moved = new Set<ArrayBuffer>([copy.buffer])
      // Shards not moved are copied into spare buffers and those moved: cheaper than the
      // structured clone's copies into new memory, and the worker hands them back.
      const sent = shards.map((s) => {
        if (!s) return null
        if (transfer && owns(s) && s.buffer instanceof ArrayBuffer && !moved.has(s.buffer)) {
          moved.add(s.buffer)
          return s
        }
        if (!(s instanceof Uint8Array)) return s
        const own = spares.take(s.length)
        own.set(s)
        moved.add(own.buffer as ArrayBuffer)
        return own
      })
      const reply = unwrap(
        await send(
          {
            id: nextId++,
            op: 'decode',
            shards: sent,
            meta,
            key: copy,
            options: decodeOptions,
          },
          [...moved],
        ),
      )
      if (reply.op !== 'decode') throw new PipelineError('ERR_PIPELINE_ARGUMENT', 'codec worker: wrong reply')
      return reply.data
    },
    buffer: (size) => spares.take(size),
    async close() {
      closed = true
      spares.clear()
      for (const [id, job] of pending) {
        pending.delete(id)
        job.reject(new PipelineError('ERR_PIPELINE_ARGUMENT', 'the codec pool was closed'))
      }
      await Promise.all(slots.map((s) => s.worker.terminate()))
    },
  }
}
