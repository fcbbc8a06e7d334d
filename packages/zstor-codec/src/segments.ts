/**
 * Byte sequences held as consecutive segments (the data shards of an object are its sealed
 * bytes cut into `k` segments), so the cipher can write and read shards in place instead of
 * assembling the whole sealed object: at 32 MiB an object is above glibc's largest mmap
 * threshold, and every such buffer costs a fresh mapping and its page faults (measured as
 * much as the copy itself).
 * @module
 */

const owned = (bytes: Uint8Array) => bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length

/**
 * Cuts everything {@link SegmentWriter.push}ed into segments of `segment` bytes (the last one
 * shorter) totalling `total` bytes. A pushed chunk that is exactly one whole segment, at a
 * segment boundary, in a buffer of its own, becomes that segment without a copy.
 */
export class SegmentWriter {
  readonly segments: Uint8Array[] = []
  #current: Uint8Array | undefined
  #at = 0
  #written = 0

  constructor(
    private readonly segment: number,
    private readonly total: number,
  ) {}

  /** Bytes from the current position to the end of its segment. */
  get toBoundary(): number {
    return this.segment - (this.#written % this.segment)
  }

  push(bytes: Uint8Array): void {
    let i = 0
    while (i < bytes.length) {
      if (this.#current === undefined) {
        const size = Math.min(this.segment, this.total - this.#written)
        if (i === 0 && bytes.length === size && owned(bytes)) {
          // A plain Uint8Array over the same memory: a Buffer's `slice` would not copy.
          this.segments.push(new Uint8Array(bytes.buffer, 0, size))
          this.#written += size
          return
        }
        this.#current = new Uint8Array(size)
        this.#at = 0
      }
      const take = Math.min(this.#current.length - this.#at, bytes.length - i)
      this.#current.set(bytes.subarray(i, i + take), this.#at)
      this.#at += take
      this.#written += take
      i += take
      if (this.#at === this.#current.length) {
        this.segments.push(this.#current)
        this.#current = undefined
      }
    }
  }

  /** The segments, once `total` bytes were pushed. */
  finish(): Uint8Array[] {
    if (this.#written !== this.total)
      throw new Error(`SegmentWriter: ${this.#written} of ${this.total} bytes`)
    return this.segments
  }
}

/** Views of bytes `from` to `to` of the concatenation of `segments`, in order. */
export function* segmentRange(
  segments: readonly Uint8Array[],
  from: number,
  to: number,
): Generator<Uint8Array> {
  let start = 0
  for (const s of segments) {
    const end = start + s.length
    if (end > from && start < to) yield s.subarray(Math.max(0, from - start), Math.min(s.length, to - start))
    if (end >= to) return
    start = end
  }
}

/** A copy of bytes `from` to `to` of the concatenation of `segments`. */
export function copySegmentRange(segments: readonly Uint8Array[], from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from)
  let at = 0
  for (const piece of segmentRange(segments, from, to)) {
    out.set(piece, at)
    at += piece.length
  }
  return out
}
