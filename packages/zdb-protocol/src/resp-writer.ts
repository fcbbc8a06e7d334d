/**
 * RESP2 encoder that batches many replies (or requests) into few, large buffers, ready for
 * one `writev` / corked write per read batch.
 *
 * Small values are copied into a pooled chunk; a payload of `copyThreshold` bytes or more is
 * not copied but appended by reference between two chunk slices. Buffers returned by
 * {@link RespWriter.flush} are never written again by the writer, and referenced payloads must
 * not be modified by the caller until they have been written to the socket.
 * @module
 */
import { EncodeError } from './errors.js'
import type { RespValue } from './resp-engine.js'

const NIL_BULK = Buffer.from('$-1\r\n')
const NIL_ARRAY = Buffer.from('*-1\r\n')

/** An argument of a request: strings are sent as UTF-8, numbers as their decimal text. */
export type CommandArg = Uint8Array | string | number | bigint

/** Options of {@link RespWriter}. */
export interface RespWriterOptions {
  /** Size of each pooled chunk (default 64 KiB). */
  chunkSize?: number
  /** Payloads at least this long are referenced instead of copied (default 16 KiB). */
  copyThreshold?: number
}

/** A position in a {@link RespWriter}, from {@link RespWriter.mark}. */
export interface RespWriterMark {
  readonly _flushes: number
  readonly _out: number
  readonly _outBytes: number
  readonly _chunk: Buffer
  readonly _start: number
  readonly _pos: number
}

export class RespWriter {
  readonly #chunkSize: number
  readonly #copyThreshold: number
  #chunk: Buffer
  #pos = 0
  #start = 0
  #out: Buffer[] = []
  #outBytes = 0
  /** Counts flushes, so a mark taken before one is refused. */
  #flushes = 0
  /** Where the last {@link reserveBulk} started in the chunk; -1 once anything else is written. */
  #reservedFrom = -1

  constructor(options: RespWriterOptions = {}) {
    this.#chunkSize = options.chunkSize ?? 64 * 1024
    this.#copyThreshold = options.copyThreshold ?? 16 * 1024
    if (!Number.isSafeInteger(this.#chunkSize) || this.#chunkSize < 64) {
      throw new RangeError(`chunkSize must be an integer >= 64, got ${this.#chunkSize}`)
    }
    this.#chunk = Buffer.allocUnsafe(this.#chunkSize)
  }

  /** Bytes written since the last {@link flush}. */
  get length(): number {
    return this.#outBytes + this.#pos - this.#start
  }

  /** `+text`: the text must not contain CR or LF. */
  simple(text: string): this {
    return this.#line(0x2b, text)
  }

  /** `-message`: the message must not contain CR or LF. */
  error(message: string): this {
    return this.#line(0x2d, message)
  }

  /** `:n` for a 64-bit signed integer. */
  integer(n: number | bigint): this {
    if (typeof n === 'number' && !Number.isSafeInteger(n)) {
      throw new EncodeError(`integer reply must be a safe integer or a bigint, got ${n}`)
    }
    if (typeof n === 'bigint' && (n < -(2n ** 63n) || n >= 2n ** 63n)) {
      throw new EncodeError(`integer reply must fit in a signed 64-bit integer, got ${n}`)
    }
    const text = String(n)
    this.#reserve(text.length + 3)
    const c = this.#chunk
    c[this.#pos++] = 0x3a
    this.#pos += c.write(text, this.#pos, 'latin1')
    this.#crlf()
    return this
  }

  /** `$len payload`, or the nil bulk string for `null`. */
  bulk(value: Uint8Array | string | null): this {
    if (value === null) return this.#raw(NIL_BULK)
    if (typeof value === 'string') {
      const length = Buffer.byteLength(value)
      if (length >= this.#copyThreshold) return this.bulk(Buffer.from(value))
      this.#header(0x24, length, length + 2)
      this.#pos += this.#chunk.write(value, this.#pos, 'utf8')
      this.#crlf()
      return this
    }
    const length = value.length
    if (length >= this.#copyThreshold) {
      this.#header(0x24, length, 0)
      this.#seal()
      const view = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, length)
      this.#out.push(view)
      this.#outBytes += length
      this.#reserve(2)
      this.#crlf()
      return this
    }
    this.#header(0x24, length, length + 2)
    this.#chunk.set(value, this.#pos)
    this.#pos += length
    this.#crlf()
    return this
  }

  /**
   * Starts a bulk string of `length` bytes (less than the copy threshold) whose payload the
   * caller writes in place, such as a read straight from a file, which saves copying it: writes
   * the header and the final CRLF, and returns the offset of the payload in {@link reserved}.
   * Write nothing else before it is filled; {@link unreserve} takes it back if it cannot be.
   */
  reserveBulk(length: number): number {
    if (!Number.isSafeInteger(length) || length < 0 || length >= this.#copyThreshold) {
      throw new RangeError(`reserveBulk length must be 0..${this.#copyThreshold - 1}, got ${length}`)
    }
    this.#reserve(24 + length + 2)
    const from = this.#pos
    this.#header(0x24, length, length + 2)
    const at = this.#pos
    this.#pos += length
    this.#crlf()
    this.#reservedFrom = from
    return at
  }

  /** The buffer the payload of the last {@link reserveBulk} goes in. */
  get reserved(): Buffer {
    return this.#chunk
  }

  /** Takes back the bulk string of the last {@link reserveBulk}, as if it had not been written. */
  unreserve(): void {
    if (this.#reservedFrom === -1) throw new RangeError('nothing is reserved')
    this.#pos = this.#reservedFrom
    this.#reservedFrom = -1
  }

  /** The nil bulk string `$-1`. */
  nil(): this {
    return this.#raw(NIL_BULK)
  }

  /** `*n`: the header of an array whose `n` elements are written next. */
  array(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new EncodeError(`array length must be >= 0, got ${n}`)
    this.#header(0x2a, n, 0)
    return this
  }

  /** The nil array `*-1`. */
  nilArray(): this {
    return this.#raw(NIL_ARRAY)
  }

  /**
   * Any decoded value, recursively. Strings go out as bulk strings, since a JS string does
   * not say which RESP string type it came from; use {@link simple} for status replies.
   */
  value(v: RespValue): this {
    if (v === null) return this.nil()
    if (typeof v === 'number' || typeof v === 'bigint') return this.integer(v)
    if (typeof v === 'string' || v instanceof Uint8Array) return this.bulk(v)
    if (Array.isArray(v)) {
      this.array(v.length)
      for (const item of v) this.value(item)
      return this
    }
    return this.error(v.message)
  }

  /** A request: an array of bulk strings, as clients send it. */
  command(args: readonly CommandArg[]): this {
    if (args.length === 0) throw new EncodeError('a command needs at least its name')
    this.array(args.length)
    for (const arg of args) {
      if (typeof arg === 'number' || typeof arg === 'bigint') this.bulk(String(arg))
      else this.bulk(arg)
    }
    return this
  }

  /** Everything written since the last flush, as few buffers as possible. */
  flush(): Buffer[] {
    this.#reservedFrom = -1
    this.#seal()
    const out = this.#out
    this.#out = []
    this.#outBytes = 0
    this.#flushes += 1
    return out
  }

  /**
   * Says that every buffer the last {@link flush} returned is consumed (a socket that took them
   * all synchronously, `writableLength === 0`): the writer fills its current chunk from the start
   * again instead of moving on to fresh memory, whose first touch costs a page fault per 4 KiB.
   * Only valid with nothing written since that flush.
   */
  recycle(): void {
    if (this.length !== 0) throw new RangeError('recycle() must come right after flush()')
    this.#start = 0
    this.#pos = 0
  }

  /** The current end of the output, for a later {@link rollback} to it. */
  mark(): RespWriterMark {
    return {
      _flushes: this.#flushes,
      _out: this.#out.length,
      _outBytes: this.#outBytes,
      _chunk: this.#chunk,
      _start: this.#start,
      _pos: this.#pos,
    }
  }

  /**
   * Drops everything written since `mark`, as if it had never been written. Bytes before the
   * mark are untouched: they were either never sealed or sealed up to the mark only, and the
   * writer only writes past `mark` again. Throws `RangeError` if a {@link flush} happened since.
   */
  rollback(mark: RespWriterMark): void {
    if (mark._flushes !== this.#flushes) {
      throw new RangeError('cannot roll back to a mark taken before the last flush')
    }
    this.#reservedFrom = -1
    this.#out.length = mark._out
    this.#outBytes = mark._outBytes
    this.#chunk = mark._chunk
    this.#start = mark._start
    this.#pos = mark._pos
  }

  /** Everything written since the last flush, as one buffer (copies when there are several). */
  flushOne(): Buffer {
    const out = this.flush()
    return out.length === 1 ? out[0]! : Buffer.concat(out)
  }

  #line(type: number, text: string): this {
    if (text.includes('\r') || text.includes('\n')) {
      throw new EncodeError(`a simple string or error must not contain CR or LF: ${JSON.stringify(text)}`)
    }
    const length = Buffer.byteLength(text)
    this.#reserve(length + 3)
    this.#chunk[this.#pos++] = type
    this.#pos += this.#chunk.write(text, this.#pos, 'utf8')
    this.#crlf()
    return this
  }

  /** Writes `<type><n>\r\n`, reserving `extra` more bytes after it. */
  #header(type: number, n: number, extra: number): void {
    this.#reserve(24 + extra)
    const c = this.#chunk
    c[this.#pos++] = type
    if (n < 10) {
      c[this.#pos++] = 0x30 + n
    } else {
      const digits = n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : String(n).length
      let p = this.#pos + digits
      let v = n
      while (p > this.#pos) {
        c[--p] = 0x30 + (v % 10)
        v = Math.floor(v / 10)
      }
      this.#pos += digits
    }
    this.#crlf()
  }

  #raw(bytes: Buffer): this {
    this.#reserve(bytes.length)
    this.#chunk.set(bytes, this.#pos)
    this.#pos += bytes.length
    return this
  }

  #crlf(): void {
    // Two stores: writeUInt16LE's argument checks cost more than the write, on every reply.
    const c = this.#chunk
    c[this.#pos] = 0x0d
    c[this.#pos + 1] = 0x0a
    this.#pos += 2
  }

  /** Moves the written part of the chunk to the output list. */
  #seal(): void {
    if (this.#pos > this.#start) {
      this.#out.push(this.#chunk.subarray(this.#start, this.#pos))
      this.#outBytes += this.#pos - this.#start
      this.#start = this.#pos
    }
  }

  #reserve(n: number): void {
    this.#reservedFrom = -1
    if (this.#chunk.length - this.#pos >= n) return
    this.#seal()
    this.#chunk = Buffer.allocUnsafe(Math.max(this.#chunkSize, n))
    this.#pos = 0
    this.#start = 0
  }
}

/** Encodes one request, e.g. `encodeCommand(['SET', key, value])`. */
export function encodeCommand(args: readonly CommandArg[]): Buffer {
  return new RespWriter({ chunkSize: 256, copyThreshold: Number.POSITIVE_INFINITY }).command(args).flushOne()
}

/** Encodes one value (see {@link RespWriter.value} for how strings are sent). */
export function encodeValue(value: RespValue): Buffer {
  return new RespWriter({ chunkSize: 256, copyThreshold: Number.POSITIVE_INFINITY }).value(value).flushOne()
}
