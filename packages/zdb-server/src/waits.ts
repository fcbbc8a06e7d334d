/**
 * WAIT (spec zdb.md §1 "WAIT"; upstream zdbd/redis.c): a client waits until another client of
 * its namespace runs a given command (`*`: any valid command, even one that failed), or until
 * its timeout. A client has at most one wait: a new WAIT replaces it. Timeouts are checked
 * every 200 ms, upstream's idle tick.
 * @module
 */

export interface Waiting {
  /** The namespace the wait is on (compared by identity). */
  readonly ns: object
  /** Command table name to wait for, or `*` for any. */
  readonly command: string
  /** `Date.now()` after which the wait ends with `-Timeout`. */
  readonly deadline: number
  /** Delivers the wait's one reply: `+<command>` or `-Timeout`. */
  readonly notify: (text: string, error: boolean) => void
}

const TICK_MS = 200

export class Waits {
  readonly #waiting = new Map<object, Waiting>()
  #timer: NodeJS.Timeout | undefined

  /** `client` now waits as `waiting` says (replacing an earlier wait of its own). */
  wait(client: object, waiting: Waiting): void {
    this.#waiting.set(client, waiting)
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#expire(Date.now()), TICK_MS)
      this.#timer.unref()
    }
  }

  /** Drops `client`'s wait, if any (its connection closed). */
  cancel(client: object): void {
    this.#waiting.delete(client)
  }

  /** After `client` ran the command `name` in `ns`: wakes the other clients waiting for it there. */
  ran(client: object, ns: object, name: string): void {
    if (this.#waiting.size === 0) return
    for (const [other, w] of this.#waiting) {
      if (other === client || w.ns !== ns || (w.command !== name && w.command !== '*')) continue
      this.#waiting.delete(other)
      w.notify(name, false)
    }
  }

  close(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#waiting.clear()
  }

  #expire(now: number): void {
    for (const [client, w] of this.#waiting) {
      if (w.deadline > now) continue
      this.#waiting.delete(client)
      w.notify('Timeout', true)
    }
    if (this.#waiting.size === 0) {
      clearInterval(this.#timer)
      this.#timer = undefined
    }
  }
}
