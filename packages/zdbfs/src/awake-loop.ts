/**
 * Keeps the event loop polling for a short while after a metadata request, so that the next
 * one of a burst (a `cp -r`, an untar: lookup, create, getattr, ...) finds this thread awake.
 *
 * A request from a libfuse thread reaches JavaScript through an eventfd that wakes this
 * thread out of `epoll_wait`; on this project's virtual machine that wake-up costs about as
 * much again as the JavaScript work of a metadata answer. While a `setImmediate` is pending,
 * libuv polls with a zero timeout instead of sleeping, so the request is picked up at once.
 * Data requests (read, write, sync) do not poke it: their bursts keep the loop busy anyway,
 * and spinning beside them took CPU from the writer and the zdb in the fio bench.
 * @module
 */

export class AwakeLoop {
  readonly #windowNs: bigint
  #until = 0n
  #polling = false

  /** `windowMicros`: how long the loop keeps polling after the last {@link poke}; 0 disables it. */
  constructor(windowMicros: number) {
    this.#windowNs = BigInt(Math.max(0, Math.round(windowMicros * 1000)))
  }

  /** Whether the loop is being kept polling now. */
  get polling(): boolean {
    return this.#polling
  }

  /** A metadata request arrived: poll until the window after it has passed. */
  poke(): void {
    if (this.#windowNs === 0n) return
    this.#until = process.hrtime.bigint() + this.#windowNs
    if (this.#polling) return
    this.#polling = true
    setImmediate(this.#poll)
  }

  readonly #poll = (): void => {
    if (process.hrtime.bigint() < this.#until) setImmediate(this.#poll)
    else this.#polling = false
  }
}
