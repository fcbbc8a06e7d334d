/**
 * An in-memory sequential namespace with zdb's seq semantics (spec zdbfs-and-glue.md §1): SET ""
 * appends the next id, an update of a missing id fails, DEL of a missing id is fine. `jumpTo`
 * moves the next id, to test ids past 2^32 without writing 4 billion entries.
 */
import type { KvNamespace, NamespaceStats } from '../../src/kv-namespace.js'

export class MemoryNamespace implements KvNamespace {
  readonly values = new Map<number, Buffer>()
  next = 0
  /** Every command, for tests that check what was written. */
  readonly log: string[] = []
  /** When set, every call rejects with it (a zdb that went away). */
  failWith: Error | undefined

  constructor(readonly name: string) {}

  jumpTo(id: number): void {
    this.next = id
  }

  #check(): void {
    if (this.failWith) throw this.failWith
  }

  async get(key: number): Promise<Buffer | null> {
    this.#check()
    this.log.push(`GET ${key}`)
    const v = this.values.get(key)
    return v ? Buffer.from(v) : null
  }

  async insert(value: Buffer): Promise<number> {
    this.#check()
    const key = this.next++
    this.log.push(`SET "" ${key}`)
    this.values.set(key, Buffer.from(value))
    return key
  }

  async update(key: number, value: Buffer): Promise<void> {
    this.#check()
    this.log.push(`SET ${key}`)
    if (!this.values.has(key)) throw new Error('Invalid key, only update authorized')
    this.values.set(key, Buffer.from(value))
  }

  async del(key: number): Promise<void> {
    this.#check()
    this.log.push(`DEL ${key}`)
    this.values.delete(key)
  }

  async stats(): Promise<NamespaceStats> {
    let bytes = 0
    for (const v of this.values.values()) bytes += v.length
    return { entries: this.values.size, dataSizeBytes: bytes }
  }

  async close(): Promise<void> {}
}
