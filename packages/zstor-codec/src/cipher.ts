/**
 * AES-256-GCM object encryption in upstream 0-stor's layout (spec zstor.md §2 step 3):
 * `sealed = nonce(12) || ciphertext || tag(16)`, a fresh random 96-bit nonce per object, no
 * AAD. Two engines give identical bytes: `node` (`node:crypto`, OpenSSL) and `noble`
 * (`@noble/ciphers`, pure TypeScript, for runtimes without `node:crypto`).
 *
 * Unlike upstream, which panics when decryption fails (spec §2, quirk), a sealed object that
 * does not authenticate is a {@link CryptoError} `ERR_DECRYPT_AUTH`, and no plaintext is
 * returned unless the tag verified.
 * @module
 */
import type * as NodeCrypto from 'node:crypto'
import { gcm } from '@noble/ciphers/aes.js'
import { checkBytes, typeOf } from './crypto-args.js'
import { CryptoError } from './errors.js'

/** Bytes in an AES-256 key. */
export const KEY_LENGTH = 32
/** Bytes in the GCM nonce that starts a sealed object. */
export const NONCE_LENGTH = 12
/** Bytes in the GCM tag that ends a sealed object. */
export const TAG_LENGTH = 16
/** `sealed.length - plaintext.length`: nonce plus tag. */
export const SEALED_OVERHEAD = NONCE_LENGTH + TAG_LENGTH

/** `node`: `node:crypto` (OpenSSL, AES-NI). `noble`: `@noble/ciphers` (portable TypeScript). */
export type CipherEngine = 'node' | 'noble'

/** Options of {@link createCipher}. */
export interface CipherOptions {
  /** The 32-byte key. The cipher keeps its own copy, so the caller may wipe this one. */
  key: Uint8Array
  /** Engine to use; by default `node` where `node:crypto` is available, else `noble`. */
  engine?: CipherEngine
}

/** Encrypts and decrypts whole objects under one key. */
export interface ObjectCipher {
  readonly engine: CipherEngine
  /** `nonce || ciphertext || tag` of `plaintext`, with a new random nonce. */
  encrypt(plaintext: Uint8Array): Uint8Array
  /**
   * The plaintext of a sealed object, after its tag verified. Throws `ERR_CIPHERTEXT_TOO_SHORT`
   * below 28 bytes and `ERR_DECRYPT_AUTH` when the tag does not verify.
   */
  decrypt(sealed: Uint8Array): Uint8Array
  /** Wipes the cipher's copy of the key; later calls throw `ERR_CIPHER_DESTROYED`. */
  destroy(): void
}

interface GcmEngine {
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array
  /** The plaintext, or `undefined` when the tag does not verify (nothing is released then). */
  open(key: Uint8Array, sealed: Uint8Array): Uint8Array | undefined
}

// Bounds the per-call output of the Node cipher so a large object is not held twice.
const NODE_CHUNK = 4 * 1024 * 1024

let nodeCryptoCache: typeof NodeCrypto | null | undefined

/**
 * `node:crypto` without a static import, so the module also loads where it does not exist.
 * `process.getBuiltinModule` is in Node ≥ 20.16; older Node 20 releases get `noble`.
 */
function nodeCrypto(): typeof NodeCrypto | null {
  if (nodeCryptoCache === undefined) {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    let found: unknown
    try {
      found = proc?.getBuiltinModule?.('node:crypto')
    } catch {
      found = undefined
    }
    nodeCryptoCache =
      typeof (found as typeof NodeCrypto | undefined)?.createCipheriv === 'function'
        ? (found as typeof NodeCrypto)
        : null
  }
  return nodeCryptoCache
}

function nodeEngine(c: typeof NodeCrypto): GcmEngine {
  return {
    seal(key, nonce, plaintext) {
      const out = new Uint8Array(SEALED_OVERHEAD + plaintext.length)
      out.set(nonce, 0)
      const cipher = c.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH })
      let at = NONCE_LENGTH
      for (let i = 0; i < plaintext.length; i += NODE_CHUNK) {
        const part = cipher.update(plaintext.subarray(i, i + NODE_CHUNK))
        out.set(part, at)
        at += part.length
      }
      const rest = cipher.final()
      out.set(rest, at)
      at += rest.length
      // GCM is a stream mode: OpenSSL returns exactly one output byte per input byte.
      if (at !== NONCE_LENGTH + plaintext.length) throw new Error('node:crypto AES-GCM output length')
      out.set(cipher.getAuthTag(), at)
      return out
    },
    open(key, sealed) {
      const nonce = sealed.subarray(0, NONCE_LENGTH)
      const decipher = c.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH })
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH))
      // OpenSSL decrypts before it checks the tag: this plaintext stays private until final().
      const plain = decipher.update(sealed.subarray(NONCE_LENGTH, sealed.length - TAG_LENGTH))
      try {
        decipher.final()
      } catch {
        plain.fill(0)
        return undefined
      }
      if (plain.byteOffset === 0 && plain.buffer.byteLength === plain.length) {
        return new Uint8Array(plain.buffer, 0, plain.length)
      }
      const copy = new Uint8Array(plain)
      plain.fill(0)
      return copy
    },
  }
}

const nobleEngine: GcmEngine = {
  seal(key, nonce, plaintext) {
    const body = gcm(key, nonce).encrypt(plaintext)
    const out = new Uint8Array(NONCE_LENGTH + body.length)
    out.set(nonce, 0)
    out.set(body, NONCE_LENGTH)
    return out
  },
  open(key, sealed) {
    try {
      // noble verifies the tag before it decrypts anything.
      return gcm(key, sealed.subarray(0, NONCE_LENGTH)).decrypt(sealed.subarray(NONCE_LENGTH))
    } catch {
      return undefined
    }
  },
}

/** The engines this runtime has, fastest first. */
export function availableCipherEngines(): CipherEngine[] {
  return nodeCrypto() ? ['node', 'noble'] : ['noble']
}

function pickEngine(engine: unknown): [CipherEngine, GcmEngine] {
  if (engine === undefined) {
    const c = nodeCrypto()
    return c ? ['node', nodeEngine(c)] : ['noble', nobleEngine]
  }
  if (engine === 'noble') return ['noble', nobleEngine]
  if (engine === 'node') {
    const c = nodeCrypto()
    if (!c) {
      throw new CryptoError(
        'ERR_CIPHER_ENGINE',
        "engine 'node' needs node:crypto (Node ≥ 20.16), which this runtime does not have; use 'noble'",
      )
    }
    return ['node', nodeEngine(c)]
  }
  throw new CryptoError(
    'ERR_CIPHER_ENGINE',
    `\`engine\` must be 'node' or 'noble', got ${typeof engine === 'string' ? JSON.stringify(engine) : typeOf(engine)}`,
  )
}

const sealWithNonce = new WeakMap<ObjectCipher, (plaintext: Uint8Array, nonce: Uint8Array) => Uint8Array>()

/**
 * An AES-256-GCM cipher for whole objects under `options.key` (spec zstor.md §2 step 3).
 *
 * Nonces are random, so one key may seal at most 2^32 objects (NIST SP 800-38D §8.3) before
 * the chance of a repeated nonce, which breaks GCM, exceeds 2^-32.
 */
export function createCipher(options: CipherOptions): ObjectCipher {
  if (typeof options !== 'object' || options === null) {
    throw new CryptoError('ERR_CRYPTO_ARGUMENT', `\`options\` must be an object, got ${typeOf(options)}`)
  }
  checkBytes(options.key, 'key')
  if (options.key.length !== KEY_LENGTH) {
    throw new CryptoError(
      'ERR_KEY_LENGTH',
      `\`key\` must be ${KEY_LENGTH} bytes (AES-256), got ${options.key.length}`,
    )
  }
  const [name, engine] = pickEngine(options.engine)
  const key = Uint8Array.from(options.key)
  let destroyed = false
  const live = () => {
    if (destroyed) throw new CryptoError('ERR_CIPHER_DESTROYED', 'the cipher was destroyed and its key wiped')
  }
  const seal = (plaintext: Uint8Array, nonce: Uint8Array) => {
    live()
    checkBytes(plaintext, 'plaintext')
    return engine.seal(key, nonce, plaintext)
  }
  const cipher: ObjectCipher = {
    engine: name,
    encrypt(plaintext) {
      return seal(plaintext, globalThis.crypto.getRandomValues(new Uint8Array(NONCE_LENGTH)))
    },
    decrypt(sealed) {
      live()
      checkBytes(sealed, 'sealed')
      if (sealed.length < SEALED_OVERHEAD) {
        throw new CryptoError(
          'ERR_CIPHERTEXT_TOO_SHORT',
          `\`sealed\` is ${sealed.length} bytes; an AES-256-GCM object is at least ${SEALED_OVERHEAD} (12-byte nonce + 16-byte tag): it is truncated or not a sealed object`,
        )
      }
      const plaintext = engine.open(key, sealed)
      if (plaintext === undefined) {
        throw new CryptoError('ERR_DECRYPT_AUTH', 'authentication failed: wrong key or tampered data')
      }
      return plaintext
    },
    destroy() {
      key.fill(0)
      destroyed = true
    },
  }
  sealWithNonce.set(cipher, seal)
  return cipher
}

/**
 * TESTING ONLY: seals with a caller-chosen nonce, so that engines can be compared on identical
 * key and nonce. Reusing a nonce under one key reveals the XOR of plaintexts and lets anyone
 * forge tags. Not exported from the package.
 * @internal
 */
export function _encryptWithNonceForTests(
  cipher: ObjectCipher,
  plaintext: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  const seal = sealWithNonce.get(cipher)
  if (!seal) throw new CryptoError('ERR_CRYPTO_ARGUMENT', '`cipher` must come from createCipher()')
  checkBytes(nonce, 'nonce')
  if (nonce.length !== NONCE_LENGTH) {
    throw new CryptoError(
      'ERR_CRYPTO_ARGUMENT',
      `\`nonce\` must be ${NONCE_LENGTH} bytes, got ${nonce.length}`,
    )
  }
  return seal(plaintext, nonce)
}
