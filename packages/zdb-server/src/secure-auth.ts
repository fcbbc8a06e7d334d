/**
 * 0-db's challenge-response passwords (spec zdb.md §1 "AUTH SECURE"): the server hands out a
 * 16-hex-digit nonce, the client answers `sha1hex(nonce + ":" + password)`.
 *
 * Passwords are byte strings held as latin1 JS strings, so every byte round-trips.
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** Length of a SHA-1 digest in hex, the only answer length accepted. */
export const SECURE_HASH_LENGTH = 40

/** A fresh nonce: 8 random bytes as 16 lowercase hex digits. */
export function newChallenge(): string {
  return randomBytes(8).toString('hex')
}

/** The answer the server expects: lowercase `sha1hex(nonce:password)`. */
export function secureHash(nonce: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.from(`${nonce}:${password}`, 'latin1'))
    .digest('hex')
}

/**
 * Exact byte comparison of a client argument with a stored password or hash. Compares digests
 * so neither the time taken nor an early exit reveals how much of the secret matched.
 */
export function sameSecret(given: Buffer, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(Buffer.from(expected, 'latin1')).digest()
  return timingSafeEqual(a, b)
}
