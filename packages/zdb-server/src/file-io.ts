/**
 * Positional read/write helpers that either move every byte or throw: a short read or write
 * is an error for the callers, never a silent partial result.
 * @module
 */
import { readSync, writeSync, writevSync } from 'node:fs'

/**
 * Reads exactly `length` bytes at `position`, into `into` if given (at least `length` bytes;
 * the result is then a view of it); throws `RangeError` on a short read (EOF).
 */
export function readExact(fd: number, length: number, position: number, into?: Buffer): Buffer {
  const buf = into === undefined ? Buffer.allocUnsafe(length) : into.subarray(0, length)
  let done = 0
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done)
    if (n === 0) throw new RangeError(`short read: ${done} of ${length} bytes at offset ${position}`)
    done += n
  }
  return buf
}

/** {@link readExact} into `target` at `offset`, without a view of it. */
export function readExactInto(
  fd: number,
  target: Buffer,
  offset: number,
  length: number,
  position: number,
): void {
  let done = 0
  while (done < length) {
    const n = readSync(fd, target, offset + done, length - done, position + done)
    if (n === 0) throw new RangeError(`short read: ${done} of ${length} bytes at offset ${position}`)
    done += n
  }
}

/**
 * Reads up to `length` bytes at `position` (fewer only at end of file), into `into` if given
 * (at least `length` bytes; file scans reuse one window instead of leaving one per read).
 */
export function readUpTo(fd: number, length: number, position: number, into?: Buffer): Buffer {
  const buf = into ?? Buffer.allocUnsafe(length)
  let done = 0
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done)
    if (n === 0) break
    done += n
  }
  return buf.subarray(0, done)
}

/** Writes all of `buffers` contiguously at `position`. */
export function writeAll(fd: number, buffers: readonly Buffer[], position: number): void {
  let pos = position
  let pending = buffers.filter((b) => b.length > 0)
  while (pending.length > 0) {
    const n =
      pending.length === 1
        ? writeSync(fd, pending[0]!, 0, pending[0]!.length, pos)
        : writevSync(fd, pending, pos)
    pos += n
    let skip = n
    const rest: Buffer[] = []
    for (const b of pending) {
      if (skip >= b.length) {
        skip -= b.length
        continue
      }
      rest.push(skip > 0 ? b.subarray(skip) : b)
      skip = 0
    }
    pending = rest
  }
}
