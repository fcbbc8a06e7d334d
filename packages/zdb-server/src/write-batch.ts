/**
 * Group commit. While connections run the requests of one event-loop turn, namespaces hold
 * their appends in memory; once every ready socket was read, one commit writes each dirty
 * namespace's data and index appends with one `writev` each (and one fsync each with
 * `--sync`), and only then are the replies of that turn sent. So a reply never acknowledges a
 * write that is not in the files, and fifty clients writing at once cost two write syscalls,
 * not a hundred.
 *
 * If a commit cannot write a namespace, nothing of that turn is acknowledged: every
 * connection waiting on it is closed without its replies, and the namespace is reloaded from
 * its files, which the failed write left as they were before the turn.
 * @module
 */

/** What a namespace offers the batch. */
export interface BatchMember {
  /** Writes the deferred appends; returns false (after restoring a consistent state) on failure. */
  commitWrites(): boolean
}

/** Called after a commit with whether it wrote everything. */
export type AfterCommit = (ok: boolean) => void

export class WriteBatch {
  #open = false
  #scheduled = false
  readonly #dirty = new Set<BatchMember>()
  readonly #waiting: AfterCommit[] = []
  #writes = 0

  /** Whether appends are being deferred now. */
  get open(): boolean {
    return this.#open
  }

  /** Starts deferring appends until the commit at the end of this event-loop turn. */
  enter(): void {
    this.#open = true
    if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => this.commit())
    }
  }

  /** A member deferred a write (called for every one, so {@link writes} counts them all). */
  markDirty(member: BatchMember): void {
    this.#dirty.add(member)
    this.#writes++
  }

  /**
   * Writes deferred so far, ever. A connection compares it before and after running its
   * requests: if none of them wrote, a failed commit does not drop its replies.
   */
  get writes(): number {
    return this.#writes
  }

  /** Runs `fn` once the current turn's appends are written (at once if nothing is deferred). */
  afterCommit(fn: AfterCommit): void {
    if (this.#open) this.#waiting.push(fn)
    else fn(true)
  }

  /** Writes every deferred append now, then releases the waiting replies. */
  commit(): void {
    this.#scheduled = false
    let ok = true
    for (const member of this.#dirty) if (!member.commitWrites()) ok = false
    this.#dirty.clear()
    this.#open = false
    for (const fn of this.#waiting.splice(0)) fn(ok)
  }
}
