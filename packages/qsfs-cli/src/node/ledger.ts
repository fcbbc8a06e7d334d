/**
 * What is uploaded: for each closed file the node uploaded, its size then. Eviction trusts it:
 * a closed data segment is append-only and never written again, so an entry with the file's
 * current size means the stored copy is this file. Written atomically; losing it only costs
 * re-uploads (each skipped by zstor as identical), never data.
 * @module
 */
import { readFileSync } from 'node:fs'
import { writeFileDurably } from './durable-file.js'

export class Ledger {
  readonly #file: string
  readonly #sizes: Map<string, number>
  #timer: NodeJS.Timeout | null = null

  constructor(file: string) {
    this.#file = file
    let entries: [string, number][] = []
    try {
      entries = Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>)
    } catch {
      // Missing or torn: start empty; uploads are re-checked, not lost.
    }
    this.#sizes = new Map(entries)
  }

  size(path: string): number | undefined {
    return this.#sizes.get(path)
  }

  get count(): number {
    return this.#sizes.size
  }

  record(path: string, size: number): void {
    this.#sizes.set(path, size)
    this.#schedule()
  }

  forget(path: string): void {
    if (this.#sizes.delete(path)) this.#schedule()
  }

  /** Writes now (at stop). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    // No directory fsync: a lost ledger only costs re-uploads (see above).
    writeFileDurably(this.#file, JSON.stringify(Object.fromEntries(this.#sizes)), { syncDir: false })
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => this.flush(), 200)
  }
}
