/**
 * Argument checks of the crypto API, run at the boundary. Messages name the parameter and never
 * echo key material.
 * @module
 */
import { CryptoError } from './errors.js'

/** A short description of a value's type for error messages, never its contents. */
export function typeOf(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return value.constructor?.name ?? 'object'
  return typeof value
}

/** Throws `ERR_CRYPTO_ARGUMENT` unless `value` is a Uint8Array (a Buffer is one). */
export function checkBytes(value: unknown, title: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new CryptoError('ERR_CRYPTO_ARGUMENT', `\`${title}\` must be a Uint8Array, got ${typeOf(value)}`)
  }
}
