/** Messages between {@link createCodecPool} and its workers. Internal. @module */
import type { DecodeObjectOptions, EncodeObjectOptions, ObjectMeta } from './pipeline.js'

export type WorkerRequest =
  | {
      readonly id: number
      readonly op: 'encode'
      readonly data: Uint8Array
      readonly options: EncodeObjectOptions
    }
  | {
      readonly id: number
      readonly op: 'decode'
      readonly shards: (Uint8Array | null)[]
      readonly meta: ObjectMeta
      readonly key: Uint8Array
      readonly options: DecodeObjectOptions
    }

export type WorkerReply =
  | {
      readonly id: number
      readonly ok: true
      readonly op: 'encode'
      readonly shards: Uint8Array[]
      readonly meta: ObjectMeta
      /** The request's buffers, which the worker no longer uses: for the pool to reuse. */
      readonly spare: ArrayBuffer[]
    }
  | {
      readonly id: number
      readonly ok: true
      readonly op: 'decode'
      readonly data: Uint8Array
      readonly spare: ArrayBuffer[]
    }
  | {
      readonly id: number
      readonly ok: false
      readonly name: string
      readonly code: string | null
      readonly message: string
    }
