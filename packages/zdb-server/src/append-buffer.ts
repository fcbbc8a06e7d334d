/**
 * The bytes appended to one file during a group commit (write-batch.ts), packed: entries are
 * encoded straight into shared 64 KiB chunks, so a turn of a thousand SETs costs a few chunks
 * and one `writev` of a few buffers, not thousands of small Buffer objects that outlive the
 * young generation. Payloads of 64 KiB or more are kept by reference instead of copied.
 * @module
 */
import { writeAll } from './file-io.js'
import { READ_BUFFER_SIZE } from './socket-reads.js'

const CHUNK = 64 * 1024
/**
 * Payloads at least this long are written from the caller's buffer (it must not change). A
 * shorter one may be a view of the buffer every socket reads into, which the next read
 * overwrites before the commit; a longer one arrived over several reads and was gathered into
 * memory of its own (socket-reads.ts).
 */
const REFERENCE_AT = READ_BUFFER_SIZE
/** Chunks kept for reuse, shared by every file: commits write the files one after another. */
const spare: Buffer[] = []
const MAX_SPARE = 8

export class AppendBuffer {
  /** Finished pieces, in order (chunk slices and referenced payloads). */
  #parts: Buffer[] = []
  /** Chunks to give back once the bytes are written. */
  #chunks: Buffer[] = []
  #chunk: Buffer | undefined
  #start = 0
  #pos = 0
  #length = 0

  /** Bytes held. */
  get length(): number {
    return this.#length
  }

  /**
   * Makes room for `n` bytes and returns the chunk to write them into, at {@link pos}; then
   * call {@link advance}.
   */
  reserve(n: number): Buffer {
    if (this.#chunk !== undefined && this.#chunk.length - this.#pos >= n) return this.#chunk
    this.#seal()
    const chunk = n <= CHUNK && spare.length > 0 ? spare.pop()! : Buffer.allocUnsafeSlow(Math.max(CHUNK, n))
    this.#chunks.push(chunk)
    this.#chunk = chunk
    this.#start = 0
    this.#pos = 0
    return chunk
  }

  /** Where the reserved bytes go in the chunk {@link reserve} returned. */
  get pos(): number {
    return this.#pos
  }

  /** The `n` reserved bytes are written. */
  advance(n: number): void {
    this.#pos += n
    this.#length += n
  }

  /** Appends `bytes`: copied, or referenced if long (the caller must not change them). */
  append(bytes: Buffer): void {
    if (bytes.length === 0) return
    if (bytes.length >= REFERENCE_AT) {
      this.#seal()
      this.#parts.push(bytes)
      this.#length += bytes.length
      return
    }
    const chunk = this.reserve(bytes.length)
    bytes.copy(chunk, this.#pos)
    this.advance(bytes.length)
  }

  /** Overwrites the held bytes at `offset` (counted from the first held byte) with `bytes`. */
  patch(offset: number, bytes: Uint8Array): void {
    if (offset < 0 || offset + bytes.length > this.#length) {
      throw new RangeError(`patch of ${bytes.length} bytes at ${offset} runs past the ${this.#length} held`)
    }
    this.#seal()
    let skip = offset
    let done = 0
    for (const part of this.#parts) {
      if (done === bytes.length) return
      if (skip >= part.length) {
        skip -= part.length
        continue
      }
      const n = Math.min(part.length - skip, bytes.length - done)
      part.set(bytes.subarray(done, done + n), skip)
      done += n
      skip = 0
    }
  }

  /** Writes every held byte to `fd` at `position`, then holds nothing (also if it throws). */
  writeTo(fd: number, position: number): void {
    this.#seal()
    try {
      writeAll(fd, this.#parts, position)
    } finally {
      this.clear()
    }
  }

  /** Drops the held bytes. */
  clear(): void {
    for (const chunk of this.#chunks)
      if (chunk.length === CHUNK && spare.length < MAX_SPARE) spare.push(chunk)
    this.#chunks = []
    this.#parts = []
    this.#chunk = undefined
    this.#start = 0
    this.#pos = 0
    this.#length = 0
  }

  /** Moves the written part of the chunk to the parts, so that what follows goes after it. */
  #seal(): void {
    if (this.#chunk !== undefined && this.#pos > this.#start) {
      this.#parts.push(this.#chunk.subarray(this.#start, this.#pos))
      this.#start = this.#pos
    }
  }
}
