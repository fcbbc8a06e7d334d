/**
 * BLAKE2b-128: BLAKE2b (RFC 7693), unkeyed, with a 16-byte digest. Upstream 0-stor uses it for
 * the object checksum, every shard checksum and the metadata keys (spec zstor.md §2 steps 1
 * and 5, §3; Rust `Blake2bVar::new(16)`, the same as `b2sum -l 128`). The digest length is a
 * BLAKE2 parameter, so this is not a truncated BLAKE2b-512.
 *
 * One engine, `@noble/hashes`: Node 20's OpenSSL 3.0 refuses `createHash('blake2b512',
 * { outputLength: 16 })` ("not XOF or invalid length"), so `node:crypto` has no BLAKE2b-128.
 * @module
 */
import { blake2b } from '@noble/hashes/blake2.js'
import { checkBytes } from './crypto-args.js'
import { CryptoError } from './errors.js'

/** Bytes in a BLAKE2b-128 digest. */
export const CHECKSUM_LENGTH = 16

/** An incremental BLAKE2b-128: feed any number of chunks, then take the digest once. */
export interface Blake2b128 {
  /** Adds `data` to the hashed message. Returns this hash, for chaining. */
  update(data: Uint8Array): Blake2b128
  /** The 16-byte digest of everything passed to `update`. Ends the hash. */
  digest(): Uint8Array
}

/** Starts an incremental BLAKE2b-128, for inputs that arrive in pieces or are too large to join. */
export function createBlake2b128(): Blake2b128 {
  const state = blake2b.create({ dkLen: CHECKSUM_LENGTH })
  let finished = false
  const hash: Blake2b128 = {
    update(data) {
      if (finished) {
        throw new CryptoError('ERR_CHECKSUM_FINISHED', 'update() after digest(): start a new hash instead')
      }
      checkBytes(data, 'data')
      state.update(data)
      return hash
    },
    digest() {
      if (finished) {
        throw new CryptoError('ERR_CHECKSUM_FINISHED', 'digest() was already taken: start a new hash instead')
      }
      finished = true
      return state.digest()
    },
  }
  return hash
}

/** The BLAKE2b-128 digest of `data` (16 bytes). */
export function blake2b128(data: Uint8Array): Uint8Array {
  checkBytes(data, 'data')
  return blake2b(data, { dkLen: CHECKSUM_LENGTH })
}
