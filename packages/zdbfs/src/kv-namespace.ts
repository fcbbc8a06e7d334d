/**
 * What the file system needs from one sequential zdb namespace (spec zdbfs-and-glue.md §1
 * "Namespaces and zdb protocol"). Keys are sequential ids, sent on the wire as 8-byte
 * little-endian u64; here they are safe integers.
 * @module
 */
import type { Alloc } from '@qsfs/zdb-client'

export type { Alloc }

export interface NamespaceStats {
  /** Live entries. */
  readonly entries: number
  /** Payload bytes held (NSINFO `data_size_bytes`). */
  readonly dataSizeBytes: number
}

export interface KvNamespace {
  /** Namespace name, for messages. */
  readonly name: string
  /**
   * The value of `key`, or `null` when it does not exist. With `alloc`, the value is read into
   * the buffer it gives (an implementation may ignore it and return a buffer of its own).
   */
  get(key: number, alloc?: Alloc): Promise<Buffer | null>
  /** `SET "" value`: appends and returns the new id. */
  insert(value: Buffer): Promise<number>
  /** `SET key value` on an existing id; an unchanged value (nil reply) is success. */
  update(key: number, value: Buffer): Promise<void>
  /** `DEL key`; deleting a missing key is success. */
  del(key: number): Promise<void>
  /** NSINFO counters. */
  stats(): Promise<NamespaceStats>
  /** Closes the connection; pending calls fail. */
  close(): Promise<void>
}
