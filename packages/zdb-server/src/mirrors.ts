/**
 * Replication taps: MIRROR and MASTER (spec zdb.md §1; upstream zdbd/commands_replicate.c and
 * `redis_mirror_client` in zdbd/redis.c).
 *
 * A mirror connection receives a copy of every command another client applied, as upstream's
 * frame: `*<argc+3> :<unix time> $<namespace> :<owner id> $<COMMAND> $<arg>..`. The owner id
 * says which server the write first came from: this server's INFO `instance_id` for its own
 * clients, or the id a master connection sent with the request. Owner 0 marks a write that is
 * not to be replicated, as upstream.
 *
 * Frames go out only once the write is in the files (after the turn's group commit), so a mirror
 * never sees a write the writer was not told succeeded.
 * @module
 */
import { RespWriter } from '@qsfs/zdb-protocol'
import type { WriteBatch } from './write-batch.js'

/** Where a mirror connection takes its frames; returns nothing, it may drop the connection. */
export type MirrorSink = (frame: Buffer) => void

/** A write to replicate, as it ran. */
export interface MirrorWrite {
  /** Unix seconds when it ran. */
  readonly timestamp: number
  /** The namespace of the client that ran it. */
  readonly namespace: string
  readonly owner: number
  /** The command's table name: `SET` when the client sent `s`. */
  readonly name: string
  /** The arguments after the name, as received (the parser never reuses their bytes). */
  readonly args: readonly Buffer[]
}

export class Mirrors {
  readonly #sinks = new Map<object, MirrorSink>()
  readonly #batch: WriteBatch

  constructor(batch: WriteBatch) {
    this.#batch = batch
  }

  /** Number of mirror connections (0 costs the write path one comparison). */
  get size(): number {
    return this.#sinks.size
  }

  /** `client` is a mirror from now on (idempotent). */
  add(client: object, sink: MirrorSink): void {
    this.#sinks.set(client, sink)
  }

  /** `client` closed. */
  remove(client: object): void {
    this.#sinks.delete(client)
  }

  /**
   * Sends `write`, run by `source`, to every mirror but `source` once this turn's appends are
   * committed; nothing if the commit failed (the writer was not acknowledged either).
   */
  forward(source: object, write: MirrorWrite): void {
    if (this.#sinks.size === 0 || write.owner === 0) return
    // Encoded now, in one copy shared by every mirror.
    const frame = encodeFrame(write)
    this.#batch.afterCommit((ok) => {
      if (!ok) return
      for (const [client, sink] of this.#sinks) if (client !== source) sink(frame)
    })
  }

  close(): void {
    this.#sinks.clear()
  }
}

function encodeFrame(write: MirrorWrite): Buffer {
  const out = new RespWriter({ chunkSize: 1024, copyThreshold: Number.POSITIVE_INFINITY })
  out
    .array(write.args.length + 4)
    .integer(write.timestamp)
    .bulk(write.namespace)
    .integer(write.owner)
  out.bulk(write.name)
  for (const arg of write.args) out.bulk(arg)
  return out.flushOne()
}

/**
 * The owner id a master connection appends to each request: 1 to 10 decimal digits, at most
 * 2^32 - 1 (upstream: `strtoul` of at most 32 bytes). Undefined if it is not one.
 */
export function parseOwnerId(arg: Buffer): number | undefined {
  if (arg.length === 0 || arg.length > 10) return undefined
  let n = 0
  for (const b of arg) {
    if (b < 0x30 || b > 0x39) return undefined
    n = n * 10 + (b - 0x30)
  }
  return n <= 0xffffffff ? n : undefined
}
