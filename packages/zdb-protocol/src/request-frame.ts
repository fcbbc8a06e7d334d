/**
 * A parsed request seen through offsets into the bytes it was read from, so that parsing
 * allocates nothing per argument: a server dispatches on the command name in place and
 * materialises only the arguments it keeps.
 * @module
 */

const EMPTY = Buffer.alloc(0)

/**
 * One complete request. The parser reuses this object: it is valid only during the
 * `onFrame` callback. Buffers returned by {@link arg} are zero-copy views that stay valid
 * afterwards (the parser never writes into input chunks), unless the parser was given
 * `borrowedChunks`.
 */
export class RequestFrame {
  /** Number of arguments, the command name included. */
  length = 0
  #bufs: Buffer[] = []
  #starts = new Int32Array(16)
  #ends = new Int32Array(16)

  /** Argument `i` as a zero-copy Buffer. */
  arg(i: number): Buffer {
    this.#check(i)
    return this.#bufs[i]!.subarray(this.#starts[i]!, this.#ends[i]!)
  }

  /** Byte length of argument `i`. */
  argLength(i: number): number {
    this.#check(i)
    return this.#ends[i]! - this.#starts[i]!
  }

  /** Argument `i` decoded as a string (latin1 by default: one char per byte, lossless). */
  string(i: number, encoding: BufferEncoding = 'latin1'): string {
    this.#check(i)
    return this.#bufs[i]!.toString(encoding, this.#starts[i]!, this.#ends[i]!)
  }

  /** Byte `j` of argument `i`. */
  byte(i: number, j: number): number {
    this.#check(i)
    const at = this.#starts[i]! + j
    if (j < 0 || at >= this.#ends[i]!) throw new RangeError(`byte ${j} is outside argument ${i}`)
    return this.#bufs[i]![at]!
  }

  /** Every argument as a zero-copy Buffer. */
  args(): Buffer[] {
    const out: Buffer[] = new Array(this.length)
    for (let i = 0; i < this.length; i++) out[i] = this.#bufs[i]!.subarray(this.#starts[i]!, this.#ends[i]!)
    return out
  }

  /** @internal Sets argument `i` to `buf[start, end)`; arguments are set in order from 0. */
  _set(i: number, buf: Buffer, start: number, end: number): void {
    if (i >= this.#starts.length) this.#grow(i + 1)
    this.#bufs[i] = buf
    this.#starts[i] = start
    this.#ends[i] = end
  }

  /** @internal Drops references to input so a large payload is not kept alive by the frame. */
  _release(): void {
    for (let i = 0; i < this.length; i++) this.#bufs[i] = EMPTY
    this.length = 0
  }

  #grow(min: number): void {
    let size = this.#starts.length * 2
    while (size < min) size *= 2
    const starts = new Int32Array(size)
    const ends = new Int32Array(size)
    starts.set(this.#starts)
    ends.set(this.#ends)
    this.#starts = starts
    this.#ends = ends
  }

  #check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new RangeError(`argument index must be 0..${this.length - 1}, got ${i}`)
    }
  }
}
