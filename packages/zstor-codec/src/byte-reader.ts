/**
 * A bounded little-endian reader over untrusted bytes, shared by both metadata decoders. Every
 * read is checked against the bytes left first, so a forged length can make a read fail but
 * never allocate more than the input holds. Failures are `MetadataError` `ERR_METADATA_CORRUPT`
 * naming the field and the byte offset.
 * @module
 */
import { MetadataError } from './errors.js'

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** @internal */
export class ByteReader {
  readonly #bytes: Uint8Array
  readonly #view: DataView
  #offset = 0

  constructor(bytes: Uint8Array, start = 0) {
    this.#bytes = bytes
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.#offset = start
  }

  get offset(): number {
    return this.#offset
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset
  }

  /** `ERR_METADATA_CORRUPT` about `what`, at the current offset unless `at` is given. */
  corrupt(what: string, at = this.#offset): MetadataError {
    return new MetadataError('ERR_METADATA_CORRUPT', `at byte ${at}: ${what}`)
  }

  #take(n: number, what: string): number {
    if (n > this.remaining) {
      throw this.corrupt(`truncated: ${what} needs ${n} bytes, ${this.remaining} left`)
    }
    const at = this.#offset
    this.#offset += n
    return at
  }

  u8(what: string): number {
    return this.#view.getUint8(this.#take(1, what))
  }

  u16(what: string): number {
    return this.#view.getUint16(this.#take(2, what), true)
  }

  u32(what: string): number {
    return this.#view.getUint32(this.#take(4, what), true)
  }

  u64big(what: string): bigint {
    return this.#view.getBigUint64(this.#take(8, what), true)
  }

  /** A u64 that must be a safe integer no larger than `max` (default 2^53 - 1). */
  u64(what: string, max = Number.MAX_SAFE_INTEGER): number {
    const at = this.#offset
    const value = this.u64big(what)
    if (value > BigInt(max)) throw this.corrupt(`${what} is ${value}, more than ${max}`, at)
    return Number(value)
  }

  /** A copy of the next `n` bytes. */
  bytes(n: number, what: string): Uint8Array {
    const at = this.#take(n, what)
    return this.#bytes.slice(at, at + n)
  }

  /** The next `n` bytes as strict UTF-8 (no replacement characters). */
  utf8(n: number, what: string): string {
    const at = this.#take(n, what)
    try {
      return utf8.decode(this.#bytes.subarray(at, at + n))
    } catch {
      throw this.corrupt(`${what} is not valid UTF-8`, at)
    }
  }

  /** The next `n` bytes in place, not copied: for checking bytes that must not be kept. */
  view(n: number, what: string): Uint8Array {
    const at = this.#take(n, what)
    return this.#bytes.subarray(at, at + n)
  }

  /** Fails unless every byte was read. */
  end(what: string): void {
    if (this.remaining !== 0) throw this.corrupt(`${this.remaining} bytes after the end of ${what}`)
  }
}
