/**
 * The `missing-data` hook (spec zdb.md §3), without upstream's weakness (spec §5): upstream runs
 * the hook synchronously when an old data file `d<N>` is missing, and its single thread serves
 * nobody until the hook exits. Here a read that meets the missing file throws
 * {@link MissingDataError}; the connection puts that request back at the front of its queue,
 * waits for the hook ({@link MissingData.fetch}, one run per path however many requests wait
 * on it) and runs the request again, with that path {@link MissingData.exempt}: the open is
 * retried once, and if it fails again the request gets the usual unreadable-file reply. Every
 * other connection, and every request of this one that came before, is served meanwhile.
 * @module
 */
import type { Hooks } from './hooks.js'

/** Control flow, never a reply: a read needs `path`, which is missing, and a hook may bring it back. */
export class MissingDataError extends Error {
  override readonly name = 'MissingDataError'
  constructor(readonly path: string) {
    super(`data file ${path} is missing`)
  }
}

const NONE: ReadonlySet<string> = new Set()

export class MissingData {
  readonly #hooks: Hooks
  readonly #inFlight = new Map<string, Promise<boolean>>()
  /** Paths the request running now already waited for: their open fails as without a hook. */
  exempt: ReadonlySet<string> = NONE

  constructor(hooks: Hooks) {
    this.#hooks = hooks
  }

  /** Called on ENOENT when opening a non-current data file; throws unless `path` is exempt. */
  check(path: string): void {
    if (!this.exempt.has(path)) throw new MissingDataError(path)
  }

  /** Runs `fn` with `exempt` as the exempt paths (synchronously, so no other request sees them). */
  withExempt<T>(exempt: ReadonlySet<string> | undefined, fn: () => T): T {
    this.exempt = exempt ?? NONE
    try {
      return fn()
    } finally {
      this.exempt = NONE
    }
  }

  /** Runs the hook for `path`, or joins the run already under way; true if it exited 0. */
  fetch(path: string): Promise<boolean> {
    let pending = this.#inFlight.get(path)
    if (!pending) {
      pending = this.#hooks.run('missing-data', [path]).then((status) => {
        this.#inFlight.delete(path)
        return status === 0
      })
      this.#inFlight.set(path, pending)
    }
    return pending
  }
}
