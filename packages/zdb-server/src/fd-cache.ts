/**
 * A small LRU of open file descriptors, so reads of old data files and in-place flag edits of
 * old index files do not open and close a file per request (upstream does; spec zdb.md §5).
 * Keyed by file id: the path is only built to open a file, not on every request.
 * @module
 */
import { closeSync, openSync } from 'node:fs'

export class FdCache {
  readonly #max: number
  readonly #flags: string
  readonly #path: (fileId: number) => string
  readonly #fds = new Map<number, number>()
  /** The id used last: it is already the newest in the map. */
  #last = -1

  constructor(flags: string, path: (fileId: number) => string, max = 32) {
    this.#flags = flags
    this.#path = path
    this.#max = max
  }

  /** The path of `fileId`, as opened. */
  path(fileId: number): string {
    return this.#path(fileId)
  }

  /** An fd for file `fileId`, opened on first use; throws the `open` error (e.g. ENOENT). */
  get(fileId: number): number {
    const fd = this.#fds.get(fileId)
    if (fd !== undefined) {
      if (fileId !== this.#last) {
        this.#fds.delete(fileId)
        this.#fds.set(fileId, fd)
        this.#last = fileId
      }
      return fd
    }
    const opened = openSync(this.#path(fileId), this.#flags)
    this.#fds.set(fileId, opened)
    this.#last = fileId
    if (this.#fds.size > this.#max) {
      const [oldest, oldFd] = this.#fds.entries().next().value as [number, number]
      this.#fds.delete(oldest)
      closeSync(oldFd)
    }
    return opened
  }

  /** Closes the fd of `fileId` if cached. */
  drop(fileId: number): void {
    const fd = this.#fds.get(fileId)
    if (fd === undefined) return
    this.#fds.delete(fileId)
    if (this.#last === fileId) this.#last = -1
    closeSync(fd)
  }

  closeAll(): void {
    for (const fd of this.#fds.values()) closeSync(fd)
    this.#fds.clear()
    this.#last = -1
  }
}
