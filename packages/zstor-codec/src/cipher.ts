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
import { copySegmentRange, SegmentWriter, segmentRange } from './segments.js'

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
   * {@link encrypt}, its bytes cut into consecutive segments of `segment` bytes (the last one
   * shorter), without assembling them: `encodeObject` writes its data shards this way. With
   * the `node` engine each whole segment is a buffer of its own.
   */
  encryptSegments(plaintext: Uint8Array, segment: number): Uint8Array[]
  /**
   * The plaintext of a sealed object, after its tag verified. Throws `ERR_CIPHERTEXT_TOO_SHORT`
   * below 28 bytes and `ERR_DECRYPT_AUTH` when the tag does not verify.
   */
  decrypt(sealed: Uint8Array): Uint8Array
  /**
   * {@link decrypt} of the sealed object held by the first `length` bytes of consecutive
   * `segments` (data shards), read in place. With `into` (at least `length - 28` bytes), the
   * `node` engine writes the plaintext there and returns a view of it: memory used before costs
   * no page faults, fresh memory does (a tenth of the decode's CPU here).
   */
  decryptSegments(segments: readonly Uint8Array[], length: number, into?: Uint8Array): Uint8Array
  /** Wipes the cipher's copy of the key; later calls throw `ERR_CIPHER_DESTROYED`. */
  destroy(): void
}

interface GcmEngine {
  /** The sealed bytes of `plaintext`, cut into segments of `segment` bytes. */
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, segment: number): Uint8Array[]
  /**
   * The plaintext of the sealed bytes in the first `length` bytes of `segments`, or `undefined`
   * when the tag does not verify (nothing is released then).
   */
  open(
    key: Uint8Array,
    segments: readonly Uint8Array[],
    length: number,
    into?: Uint8Array,
  ): Uint8Array | undefined
}

// Bounds the per-call output of the Node cipher so a large object is not held twice.
const NODE_CHUNK = 4 * 1024 * 1024
/**
 * Decrypting into a caller's buffer, the cipher's own output is only a staging copy: small
 * pieces keep it in memory malloc hands out again (warm in cache), where 2 MiB ones would each
 * be fresh pages.
 */
const OPEN_CHUNK = 64 * 1024

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
    seal(key, nonce, plaintext, segment) {
      const out = new SegmentWriter(segment, SEALED_OVERHEAD + plaintext.length)
      out.push(nonce)
      const cipher = c.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH })
      for (let p = 0; p < plaintext.length; ) {
        // GCM is a stream mode: OpenSSL returns one output byte per input byte, so input cut at
        // segment boundaries comes back as whole segments, kept without a copy. Other cuts are
        // copied, in bounded chunks so that a large object is not held twice.
        let n = Math.min(out.toBoundary, plaintext.length - p)
        if (n !== segment) n = Math.min(n, NODE_CHUNK)
        out.push(cipher.update(plaintext.subarray(p, p + n)))
        p += n
      }
      out.push(cipher.final())
      out.push(cipher.getAuthTag())
      return out.finish()
    },
    open(key, segments, length, into) {
      const nonce = copySegmentRange(segments, 0, NONCE_LENGTH)
      const decipher = c.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH })
      decipher.setAuthTag(copySegmentRange(segments, length - TAG_LENGTH, length))
      // OpenSSL decrypts before it checks the tag: this plaintext stays private until final().
      const step = into ? OPEN_CHUNK : Number.POSITIVE_INFINITY
      const parts: Buffer[] = []
      for (const piece of segmentRange(segments, NONCE_LENGTH, length - TAG_LENGTH)) {
        for (let p = 0; p < piece.length; p += step) {
          parts.push(decipher.update(piece.subarray(p, Math.min(p + step, piece.length))))
        }
      }
      try {
        decipher.final()
      } catch {
        for (const part of parts) part.fill(0)
        return undefined
      }
      const only = parts.length === 1 ? parts[0]! : undefined
      if (!into && only && only.byteOffset === 0 && only.buffer.byteLength === only.length) {
        return new Uint8Array(only.buffer, 0, only.length)
      }
      const plain = into
        ? into.subarray(0, length - SEALED_OVERHEAD)
        : new Uint8Array(length - SEALED_OVERHEAD)
      let at = 0
      for (const part of parts) {
        plain.set(part, at)
        at += part.length
      }
      return plain
    },
  }
}

const nobleEngine: GcmEngine = {
  seal(key, nonce, plaintext, segment) {
    const body = gcm(key, nonce).encrypt(plaintext)
    const sealed = new Uint8Array(NONCE_LENGTH + body.length)
    sealed.set(nonce, 0)
    sealed.set(body, NONCE_LENGTH)
    return Array.from({ length: Math.ceil(sealed.length / segment) }, (_, i) =>
      sealed.subarray(i * segment, (i + 1) * segment),
    )
  },
  open(key, segments, length) {
    const sealed =
      segments.length === 1 ? segments[0]!.subarray(0, length) : copySegmentRange(segments, 0, length)
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
  const seal = (plaintext: Uint8Array, nonce: Uint8Array, segment?: number) => {
    live()
    checkBytes(plaintext, 'plaintext')
    if (segment !== undefined && !(Number.isSafeInteger(segment) && segment > 0)) {
      throw new CryptoError('ERR_CRYPTO_ARGUMENT', `\`segment\` must be a positive integer, got ${segment}`)
    }
    return engine.seal(key, nonce, plaintext, segment ?? SEALED_OVERHEAD + plaintext.length)
  }
  const open = (segments: readonly Uint8Array[], length: number, what: string, into?: Uint8Array) => {
    live()
    if (length < SEALED_OVERHEAD) {
      throw new CryptoError(
        'ERR_CIPHERTEXT_TOO_SHORT',
        `\`${what}\` is ${length} bytes; an AES-256-GCM object is at least ${SEALED_OVERHEAD} (12-byte nonce + 16-byte tag): it is truncated or not a sealed object`,
      )
    }
    const plaintext = engine.open(key, segments, length, into)
    if (plaintext === undefined) {
      throw new CryptoError('ERR_DECRYPT_AUTH', 'authentication failed: wrong key or tampered data')
    }
    return plaintext
  }
  const nonce = () => globalThis.crypto.getRandomValues(new Uint8Array(NONCE_LENGTH))
  const cipher: ObjectCipher = {
    engine: name,
    encrypt: (plaintext) => seal(plaintext, nonce())[0]!,
    encryptSegments: (plaintext, segment) => seal(plaintext, nonce(), segment),
    decrypt(sealed) {
      checkBytes(sealed, 'sealed')
      return open([sealed], sealed.length, 'sealed')
    },
    decryptSegments(segments, length, into) {
      if (!Array.isArray(segments))
        throw new CryptoError('ERR_CRYPTO_ARGUMENT', '`segments` must be an array')
      segments.forEach((s, i) => {
        checkBytes(s, `segments[${i}]`)
      })
      const held = segments.reduce((sum, s) => sum + s.length, 0)
      if (!Number.isSafeInteger(length) || length < 0 || length > held) {
        throw new CryptoError(
          'ERR_CRYPTO_ARGUMENT',
          `\`length\` must be an integer 0..${held} (the bytes the segments hold), got ${length}`,
        )
      }
      if (into !== undefined) {
        checkBytes(into, 'into')
        if (into.length < length - SEALED_OVERHEAD) {
          throw new CryptoError(
            'ERR_CRYPTO_ARGUMENT',
            `\`into\` holds ${into.length} bytes; the plaintext needs ${length - SEALED_OVERHEAD}`,
          )
        }
      }
      return open(segments, length, 'length', into)
    },
    destroy() {
      key.fill(0)
      destroyed = true
    },
  }
  sealWithNonce.set(cipher, (plaintext, n) => seal(plaintext, n)[0]!)
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
