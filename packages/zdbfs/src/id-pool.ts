/**
 * Meta ids reserved ahead of need, so that create, mkdir and a new dirlist get a stable inode
 * number or key without waiting for zdb. Each id is reserved with `SET "" "X"`, the placeholder
 * upstream writes for the root before storing it (spec zdbfs-and-glue.md §1). Unused ids are
 * deleted at unmount; a crash leaves a few placeholders behind that nothing references.
 * @module
 */
import type { KvNamespace } from './kv-namespace.js'

export const PLACEHOLDER = Buffer.from('X')

export class IdPool {
  readonly #ns: KvNamespace
  readonly #batch: number
  readonly #ids: number[] = []
  #refilling: Promise<void> | undefined

  constructor(ns: KvNamespace, batch = 128) {
    this.#ns = ns
    this.#batch = batch
  }

  /** An id, waiting for zdb only when the pool is empty. */
  async take(): Promise<number> {
    const id = this.takeNow()
    if (id !== undefined) return id
    await this.refill()
    return this.take()
  }

  /** An id if one is ready; starts a refill when the pool runs low. */
  takeNow(): number | undefined {
    const id = this.#ids.shift()
    if (this.#ids.length < this.#batch / 2) this.refill().catch(() => {})
    return id
  }

  refill(): Promise<void> {
    this.#refilling ??= (async () => {
      try {
        const ids = await Promise.all(Array.from({ length: this.#batch }, () => this.#ns.insert(PLACEHOLDER)))
        this.#ids.push(...ids)
      } finally {
        this.#refilling = undefined
      }
    })()
    return this.#refilling
  }

  /** Deletes the ids not handed out. */
  async release(): Promise<void> {
    await this.#refilling?.catch(() => {})
    const ids = this.#ids.splice(0)
    await Promise.all(ids.map((id) => this.#ns.del(id)))
  }
}
