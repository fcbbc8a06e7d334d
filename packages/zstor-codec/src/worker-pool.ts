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

interface Slot {
  readonly worker: Worker
  inFlight: number
}

/** Starts a pool of worker threads for `encodeObject` / `decodeObject`. */
export function createCodecPool(options: CodecPoolOptions = {}): CodecPool {
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
      const owned = owns(data)
      // `new Uint8Array(data)` copies; `data.slice()` would not for a Buffer (Buffer#slice is a
      // view), and transferring that view's buffer would detach the caller's whole buffer.
      const payload = transfer && owned ? data : new Uint8Array(data)
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
      if (transfer) {
        for (const s of shards) if (s && owns(s) && s.buffer instanceof ArrayBuffer) moved.add(s.buffer)
      }
      const reply = unwrap(
        await send(
          {
            id: nextId++,
            op: 'decode',
            shards: shards.map((s) => s ?? null),
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
    async close() {
      closed = true
      for (const [id, job] of pending) {
        pending.delete(id)
        job.reject(new PipelineError('ERR_PIPELINE_ARGUMENT', 'the codec pool was closed'))
      }
      await Promise.all(slots.map((s) => s.worker.terminate()))
    },
  }
}
