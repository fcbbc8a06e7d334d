/**
 * The worker side of {@link createCodecPool} (worker-pool.ts): runs `encodeObject` and
 * `decodeObject` on messages from the pool and posts the results back, transferring the
 * shard and object buffers instead of copying them.
 * @module
 */
import { parentPort } from 'node:worker_threads'
import { CodecError } from './errors.js'
import { decodeObject, encodeObject } from './pipeline.js'
import type { WorkerReply, WorkerRequest } from './worker-messages.js'

const port = parentPort
if (!port) throw new Error('codec-worker.js runs as a worker thread of createCodecPool')

const buffersOf = (views: readonly (Uint8Array | null)[]) => [
  ...new Set(views.flatMap((v) => (v && v.buffer instanceof ArrayBuffer ? [v.buffer] : []))),
]

/**
 * The request's buffers that the reply does not hold, handed back so that the pool copies the
 * next objects into memory already mapped instead of fresh allocations (page faults, zeroing
 * and, when freed, unmapping: as costly as the copy itself at 32 MiB).
 */
const spareOf = (request: readonly (Uint8Array | null)[], reply: readonly ArrayBuffer[]) =>
  buffersOf(request).filter((b) => !reply.includes(b) && b.byteLength > 0)

port.on('message', async (request: WorkerRequest) => {
  let reply: WorkerReply
  let transfer: ArrayBuffer[] = []
  try {
    if (request.op === 'encode') {
      const { shards, meta } = await encodeObject(request.data, request.options)
      transfer = buffersOf(shards)
      const spare = spareOf([request.data], transfer)
      reply = { id: request.id, ok: true, op: 'encode', shards, meta, spare }
      transfer.push(...spare)
    } else {
      const data = await decodeObject(request.shards, request.meta, request.key, request.options)
      transfer = buffersOf([data])
      const spare = spareOf(request.shards, transfer)
      reply = { id: request.id, ok: true, op: 'decode', data, spare }
      transfer.push(...spare)
    }
  } catch (error) {
    const e = error as Error
    reply = {
      id: request.id,
      ok: false,
      name: e.name,
      code: error instanceof CodecError ? error.code : null,
      message: error instanceof CodecError ? e.message.slice(error.code.length + 2) : e.message,
    }
  } finally {
    if (request.op === 'encode') request.options.key.fill(0)
    else request.key.fill(0)
  }
  port.postMessage(reply, transfer)
})
