/**
 * An in-memory sequential namespace with zdb's seq semantics (spec zdbfs-and-glue.md §1): SET ""
 * appends the next id, an update of a missing id fails, DEL of a missing id is fine. `jumpTo`
 * moves the next id, to test ids past 2^32 without writing 4 billion entries; that is its only
 * use, every other test runs on a real zdb-server (zdb-volume.ts).
 */
import type { KvNamespace, NamespaceStats } from '../../src/kv-namespace.js'

export class MemoryNamespace implements KvNamespace {
  readonly values = new Map<number, Buffer>()
  next = 0

  constructor(readonly name: string) {}

  jumpTo(id: number): void {
    this.next = id
  }

  async get(key: number): Promise<Buffer | null> {
    const v = this.values.get(key)
    return v ? Buffer.from(v) : null
  }

  async insert(value: Buffer): Promise<number> {
    const key = this.next++
    this.values.set(key, Buffer.from(value))
    return key
  }

  async update(key: number, value: Buffer): Promise<void> {
    if (!this.values.has(key)) throw new Error('Invalid key, only update authorized')
    this.values.set(key, Buffer.from(value))
  }

  async del(key: number): Promise<void> {
    this.values.delete(key)
  }

  async stats(): Promise<NamespaceStats> {
    let bytes = 0
    for (const v of this.values.values()) bytes += v.length
    return { entries: this.values.size, dataSizeBytes: bytes }
  }

  async close(): Promise<void> {}
}
