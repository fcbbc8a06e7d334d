/**
 * What both public parsers share: feeding, state and reset, delegated to the RESP engine.
 * @module
 */
import type { RespEngine } from './resp-engine.js'

export abstract class StreamParser {
  readonly #engine: RespEngine

  protected constructor(engine: RespEngine) {
    this.#engine = engine
  }

  /** Parses a chunk; the callbacks run synchronously for every frame it completes. */
  feed(chunk: Buffer): void {
    this.#engine.feed(chunk)
  }

  /**
   * With `borrowedChunks`, while a bulk string of at least `min` more bytes is being received:
   * memory of the parser's own to read the next bytes into (then `feed` a view of what was
   * read, from its start), so that large values are not copied from the caller's buffer.
   * Null otherwise: read into your own memory.
   */
  readTarget(min: number): Buffer | null {
    return this.#engine.readTarget(min)
  }

  /** Bytes held for the incomplete frame at the end of the input so far. */
  get bufferedBytes(): number {
    return this.#engine.bufferedBytes
  }

  /** True after a fatal violation: further input is ignored until {@link reset}. */
  get closed(): boolean {
    return this.#engine.closed
  }

  /** Drops any partial frame and accepts input again. */
  reset(): void {
    this.#engine.reset()
  }
}
