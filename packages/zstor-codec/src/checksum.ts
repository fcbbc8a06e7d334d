/**
 * BLAKE2b-128: BLAKE2b (RFC 7693), unkeyed, with a 16-byte digest. Upstream 0-stor uses it for
 * the object checksum, every shard checksum and the metadata keys (spec zstor.md §2 steps 1
 * and 5, §3; Rust `Blake2bVar::new(16)`, the same as `b2sum -l 128`). The digest length is a
 * BLAKE2 parameter, so this is not a truncated BLAKE2b-512.
 *
 * Two engines give identical digests: `wasm` (`hash-wasm`'s BLAKE2b compiled to WebAssembly,
 * about 18 times faster here) and `noble` (`@noble/hashes`, pure TypeScript). WebAssembly can
 * only be instantiated asynchronously in general, so the `wasm` engine exists once
 * {@link loadWasmChecksum} has resolved; until then, and wherever WebAssembly is missing,
 * everything runs on `noble`. `node:crypto` cannot help: Node 20's OpenSSL 3.0 refuses
 * `createHash('blake2b512', { outputLength: 16 })` ("not XOF or invalid length").
 * @module
 */

import { blake2b } from '@noble/hashes/blake2.js'
import { createBLAKE2b, type IHasher } from 'hash-wasm'
import { loadWasmCrc32c } from './crc32c.js'
import { checkBytes, typeOf } from './crypto-args.js'
import { CryptoError } from './errors.js'

/** Bytes in a BLAKE2b-128 digest. */
export const CHECKSUM_LENGTH = 16

/** `wasm`: `hash-wasm` (WebAssembly, the fast path). `noble`: `@noble/hashes` (portable). */
export type ChecksumEngine = 'wasm' | 'noble'

/** Options of {@link blake2b128} and {@link createBlake2b128}. */
export interface ChecksumOptions {
  /** By default `wasm` once {@link loadWasmChecksum} has resolved, else `noble`. */
  engine?: ChecksumEngine
}

/** An incremental BLAKE2b-128: feed any number of chunks, then take the digest once. */
export interface Blake2b128 {
  /** Adds `data` to the hashed message. Returns this hash, for chaining. */
  update(data: Uint8Array): Blake2b128
  /** The 16-byte digest of everything passed to `update`. Ends the hash. */
  digest(): Uint8Array
}

let wasmHasher: IHasher | undefined
let wasmInitialState: Uint8Array | undefined
let wasmLoading: Promise<void> | undefined

/**
 * Compiles and instantiates the WebAssembly BLAKE2b once per process (the module is embedded in
 * `hash-wasm`: nothing is fetched). Later calls return the same promise. After it resolves,
 * {@link blake2b128} and {@link createBlake2b128} use the `wasm` engine by default. Rejects with
 * `ERR_CHECKSUM_ENGINE` where WebAssembly is unavailable; `noble` keeps working then.
 */
export function loadWasmChecksum(): Promise<void> {
  // The snappy framing's CRC-32C rides along: whoever wants fast checksums wants both.
  void loadWasmCrc32c()
  wasmLoading ??= createBLAKE2b(CHECKSUM_LENGTH * 8).then(
    (hasher) => {
      wasmInitialState = hasher.init().save()
      wasmHasher = hasher
    },
    (error: unknown) => {
      wasmLoading = undefined
      throw new CryptoError(
        'ERR_CHECKSUM_ENGINE',
        `the WebAssembly BLAKE2b could not be instantiated (${error instanceof Error ? error.message : typeOf(error)}); use engine 'noble'`,
      )
    },
  )
  return wasmLoading
}

/** The engines usable right now, fastest first: `wasm` only after {@link loadWasmChecksum}. */
export function availableChecksumEngines(): ChecksumEngine[] {
  return wasmHasher ? ['wasm', 'noble'] : ['noble']
}

function pickEngine(options: ChecksumOptions | undefined): IHasher | undefined {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new CryptoError('ERR_CRYPTO_ARGUMENT', `\`options\` must be an object, got ${typeOf(options)}`)
  }
  const engine: unknown = options?.engine
  if (engine === undefined) return wasmHasher
  if (engine === 'noble') return undefined
  if (engine === 'wasm') {
    if (!wasmHasher) {
      throw new CryptoError(
        'ERR_CHECKSUM_ENGINE',
        "engine 'wasm' is not loaded yet: await loadWasmChecksum() first, or use 'noble'",
      )
    }
    return wasmHasher
  }
  throw new CryptoError(
    'ERR_CHECKSUM_ENGINE',
    `\`engine\` must be 'wasm' or 'noble', got ${typeof engine === 'string' ? JSON.stringify(engine) : typeOf(engine)}`,
  )
}

const finishedError = (call: string) =>
  new CryptoError(
    'ERR_CHECKSUM_FINISHED',
    call === 'update'
      ? 'update() after digest(): start a new hash instead'
      : 'digest() was already taken: start a new hash instead',
  )

/** Starts an incremental BLAKE2b-128, for inputs that arrive in pieces or are too large to join. */
export function createBlake2b128(options?: ChecksumOptions): Blake2b128 {
  const wasm = pickEngine(options)
  let finished = false
  if (wasm) {
    // One WebAssembly instance serves every hash: each keeps its own saved state and loads it
    // around its calls, which are synchronous, so hashes never see each other's state.
    let state = wasmInitialState!
    const hash: Blake2b128 = {
      update(data) {
        if (finished) throw finishedError('update')
        checkBytes(data, 'data')
        state = wasm.load(state).update(data).save()
        return hash
      },
      digest() {
        if (finished) throw finishedError('digest')
        finished = true
        return wasm.load(state).digest('binary')
      },
    }
    return hash
  }
  const state = blake2b.create({ dkLen: CHECKSUM_LENGTH })
  const hash: Blake2b128 = {
    update(data) {
      if (finished) throw finishedError('update')
      checkBytes(data, 'data')
      state.update(data)
      return hash
    },
    digest() {
      if (finished) throw finishedError('digest')
      finished = true
      return state.digest()
    },
  }
  return hash
}

/** The BLAKE2b-128 digest of `data` (16 bytes). */
export function blake2b128(data: Uint8Array, options?: ChecksumOptions): Uint8Array {
  const wasm = pickEngine(options)
  checkBytes(data, 'data')
  if (wasm) return wasm.init().update(data).digest('binary')
  return blake2b(data, { dkLen: CHECKSUM_LENGTH })
}
