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

const buffersOf = (views: readonly Uint8Array[]) => [...new Set(views.map((v) => v.buffer as ArrayBuffer))]

port.on('message', async (request: WorkerRequest) => {
  let reply: WorkerReply
  let transfer: ArrayBuffer[] = []
  try {
    if (request.op === 'encode') {
      const { shards, meta } = await encodeObject(request.data, request.options)
      reply = { id: request.id, ok: true, op: 'encode', shards, meta }
      transfer = buffersOf(shards)
    } else {
      const data = await decodeObject(request.shards, request.meta, request.key, request.options)
      reply = { id: request.id, ok: true, op: 'decode', data }
      transfer = buffersOf([data])
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
