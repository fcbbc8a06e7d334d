/**
 * A small LRU of open file descriptors, so reads of old data files and in-place flag edits of
 * old index files do not open and close a file per request (upstream does; spec zdb.md §5).
 * @module
 */
import { closeSync, openSync } from 'node:fs'

export class FdCache {
  readonly #max: number
  readonly #flags: string
  readonly #fds = new Map<string, number>()

  constructor(flags: string, max = 32) {
    this.#flags = flags
    this.#max = max
  }

  /** An fd for `path`, opened on first use; throws the `open` error (e.g. ENOENT). */
  get(path: string): number {
    const fd = this.#fds.get(path)
    if (fd !== undefined) {
      this.#fds.delete(path)
      this.#fds.set(path, fd)
      return fd
    }
    const opened = openSync(path, this.#flags)
    this.#fds.set(path, opened)
    if (this.#fds.size > this.#max) {
      const [oldest, oldFd] = this.#fds.entries().next().value as [string, number]
      this.#fds.delete(oldest)
      closeSync(oldFd)
    }
    return opened
  }

  /** Closes the fd of `path` if cached. */
  drop(path: string): void {
    const fd = this.#fds.get(path)
    if (fd === undefined) return
    this.#fds.delete(path)
    closeSync(fd)
  }

  closeAll(): void {
    for (const fd of this.#fds.values()) closeSync(fd)
    this.#fds.clear()
  }
}
