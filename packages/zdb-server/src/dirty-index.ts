/**
 * INDEX DIRTY (spec zdb.md §1, §3): the index files of a namespace with an entry edited in
 * place since the last reset, which an embedder or a `jump-index` hook must save again.
 * @module
 */
import type { Hooks } from './hooks.js'
import type { Rotation } from './namespace-files.js'

export class DirtyIndexFiles {
  readonly #ids = new Set<number>()

  add(fileId: number): void {
    this.#ids.add(fileId)
  }

  /** Ascending. */
  list(): number[] {
    return [...this.#ids].sort((a, b) => a - b)
  }

  /** The hooks' form: ids separated by spaces. */
  toString(): string {
    return this.list().join(' ')
  }

  reset(): void {
    this.#ids.clear()
  }

  /** Removes `ids` (an embedder saved those index files). */
  remove(ids: readonly number[]): void {
    for (const id of ids) this.#ids.delete(id)
  }

  /**
   * After a rotation (spec §3): `jump-index` runs to completion first — with `spawnSync`, so the
   * event loop waits as upstream's thread does, or as a handler that must answer synchronously —
   * and status 0 resets the set; then `jump-data` starts without being waited for.
   */
  rotated(hooks: Hooks, rotation: Rotation): void {
    if (hooks.runSync('jump-index', [rotation.oldIndex, rotation.newIndex, this.toString()]) === 0)
      this.reset()
    hooks.fire('jump-data', [rotation.oldData, rotation.newData])
  }
}
