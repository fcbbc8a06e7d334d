import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { _encryptWithNonceForTests } from '../src/cipher.js'
import {
  availableCipherEngines,
  type CipherEngine,
  CryptoError,
  createCipher,
  NONCE_LENGTH,
  SEALED_OVERHEAD,
  TAG_LENGTH,
} from '../src/index.js'
import { bytes, hex, thrown, unhex } from './helpers.js'

interface Vectors {
  source: string
  cases: { name: string; key: string; nonce: string; plaintext: string; sealed: string }[]
}

const vectors = JSON.parse(
  readFileSync(new URL('./vectors/aes-256-gcm.json', import.meta.url), 'utf8'),
) as Vectors

const ENGINES: CipherEngine[] = ['node', 'noble']
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const nonce12 = fc.uint8Array({ minLength: 12, maxLength: 12 })
/** Plaintexts 0 B .. 64 KiB: short ones byte by byte from fast-check, long ones from a seed. */
const plaintext = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.tuple(fc.integer({ min: 0, max: 65536 }), fc.integer()).map(([length, seed]) => bytes(length, seed)),
)

describe('this runtime', () => {
  it('has both engines, so the cross-engine tests below compare two implementations', () => {
    expect(availableCipherEngines()).toEqual(['node', 'noble'])
    expect(createCipher({ key: new Uint8Array(32) }).engine).toBe('node')
  })
})

describe('AES-256-GCM known answers (test/vectors/aes-256-gcm.json)', () => {
  it('has every case present, so none is skipped silently', () => {
    expect(vectors.cases.length).toBeGreaterThanOrEqual(12)
  })

  for (const engine of ENGINES) {
    for (const c of vectors.cases) {
      it(`${engine} seals ${c.name} to the published nonce || ciphertext || tag and opens it`, () => {
        const cipher = createCipher({ key: unhex(c.key), engine })
        const sealed = _encryptWithNonceForTests(cipher, unhex(c.plaintext), unhex(c.nonce))
        expect(hex(sealed)).toBe(c.sealed)
        expect(hex(cipher.decrypt(unhex(c.sealed)))).toBe(c.plaintext)
      })
    }
  }
})

describe('node:crypto and noble', () => {
  it('seal identical bytes for the same key, nonce and any plaintext of 0 B .. 64 KiB, and each opens the other', () => {
    fc.assert(
      fc.property(key32, nonce12, plaintext, (key, nonce, data) => {
        const node = createCipher({ key, engine: 'node' })
        const noble = createCipher({ key, engine: 'noble' })
        const byNode = _encryptWithNonceForTests(node, data, nonce)
        const byNoble = _encryptWithNonceForTests(noble, data, nonce)
        expect(byNode.length).toBe(data.length + SEALED_OVERHEAD)
        expect(hex(byNode)).toBe(hex(byNoble))
        expect(hex(noble.decrypt(byNode))).toBe(hex(data))
        expect(hex(node.decrypt(byNoble))).toBe(hex(data))
      }),
      { numRuns: 60 },
    )
  })
})

for (const engine of ENGINES) {
  describe(`the ${engine} engine`, () => {
    it('round-trips with a fresh random nonce for every object', () => {
      const cipher = createCipher({ key: bytes(32, 1), engine })
      const data = bytes(1000, 2)
      const a = cipher.encrypt(data)
      const b = cipher.encrypt(data)
      expect(hex(a.subarray(0, NONCE_LENGTH))).not.toBe(hex(b.subarray(0, NONCE_LENGTH)))
      expect(hex(a)).not.toBe(hex(b))
      expect(hex(cipher.decrypt(a))).toBe(hex(data))
      expect(hex(cipher.decrypt(b))).toBe(hex(data))
      expect(cipher.decrypt(cipher.encrypt(new Uint8Array(0))).length).toBe(0)
    })

    it('refuses a sealed object with any one bit flipped in nonce, ciphertext or tag with ERR_DECRYPT_AUTH', () => {
      const cipher = createCipher({ key: bytes(32, 3), engine })
      const sealed = cipher.encrypt(bytes(33, 4))
      for (let bit = 0; bit < sealed.length * 8; bit++) {
        const tampered = Uint8Array.from(sealed)
        tampered[bit >> 3]! ^= 1 << (bit & 7)
        const error = thrown(CryptoError, () => cipher.decrypt(tampered))
        expect(error.code).toBe('ERR_DECRYPT_AUTH')
      }
      expect(hex(cipher.decrypt(sealed))).toBe(hex(bytes(33, 4)))
    })

    it('refuses a random bit flip in objects up to 64 KiB with ERR_DECRYPT_AUTH', () => {
      fc.assert(
        fc.property(key32, plaintext, fc.nat(), (key, data, at) => {
          const cipher = createCipher({ key, engine })
          const sealed = cipher.encrypt(data)
          const bit = at % (sealed.length * 8)
          sealed[bit >> 3]! ^= 1 << (bit & 7)
          expect(thrown(CryptoError, () => cipher.decrypt(sealed)).code).toBe('ERR_DECRYPT_AUTH')
        }),
        { numRuns: 30 },
      )
    })

    it('refuses an object sealed under another key with ERR_DECRYPT_AUTH and the stable message', () => {
      const sealed = createCipher({ key: bytes(32, 5), engine }).encrypt(bytes(100, 6))
      const error = thrown(CryptoError, () => createCipher({ key: bytes(32, 7), engine }).decrypt(sealed))
      expect(error.name).toBe('CryptoError')
      expect(error.code).toBe('ERR_DECRYPT_AUTH')
      expect(error.message).toBe('ERR_DECRYPT_AUTH: authentication failed: wrong key or tampered data')
    })

    it('refuses a truncated object: below 28 bytes with ERR_CIPHERTEXT_TOO_SHORT, else ERR_DECRYPT_AUTH', () => {
      const cipher = createCipher({ key: bytes(32, 8), engine })
      const sealed = cipher.encrypt(bytes(10, 9))
      for (let length = 0; length < sealed.length; length++) {
        const error = thrown(CryptoError, () => cipher.decrypt(sealed.subarray(0, length)))
        expect(error.code).toBe(length < SEALED_OVERHEAD ? 'ERR_CIPHERTEXT_TOO_SHORT' : 'ERR_DECRYPT_AUTH')
      }
      const error = thrown(CryptoError, () => cipher.decrypt(new Uint8Array(27)))
      expect(error.message).toContain('`sealed` is 27 bytes')
    })

    it('opens objects at any byte offset of a larger buffer', () => {
      const cipher = createCipher({ key: bytes(32, 10), engine })
      const sealed = cipher.encrypt(bytes(77, 11))
      for (const offset of [1, 2, 3, 5]) {
        const host = new Uint8Array(offset + sealed.length + 3)
        host.set(sealed, offset)
        expect(hex(cipher.decrypt(host.subarray(offset, offset + sealed.length)))).toBe(hex(bytes(77, 11)))
      }
    })

    it('keeps its own copy of the key, so the caller may wipe theirs', () => {
      const key = bytes(32, 12)
      const cipher = createCipher({ key, engine })
      const sealed = cipher.encrypt(bytes(5, 13))
      key.fill(0)
      expect(hex(cipher.decrypt(sealed))).toBe(hex(bytes(5, 13)))
    })

    it('refuses every call after destroy() with ERR_CIPHER_DESTROYED', () => {
      const cipher = createCipher({ key: bytes(32, 14), engine })
      const sealed = cipher.encrypt(bytes(5, 15))
      cipher.destroy()
      expect(thrown(CryptoError, () => cipher.encrypt(new Uint8Array(1))).code).toBe('ERR_CIPHER_DESTROYED')
      expect(thrown(CryptoError, () => cipher.decrypt(sealed)).code).toBe('ERR_CIPHER_DESTROYED')
    })
  })
}

describe('createCipher', () => {
  it('refuses a key that is not 32 bytes with ERR_KEY_LENGTH', () => {
    for (const length of [0, 16, 24, 31, 33, 64]) {
      const error = thrown(CryptoError, () => createCipher({ key: new Uint8Array(length) }))
      expect(error.code).toBe('ERR_KEY_LENGTH')
      expect(error.message).toContain(`got ${length}`)
    }
  })

  it('refuses a key that is not bytes, and an unknown engine, naming what was wrong', () => {
    const hexKey = 'ab'.repeat(32) as unknown as Uint8Array
    expect(thrown(CryptoError, () => createCipher({ key: hexKey })).message).toContain(
      '`key` must be a Uint8Array, got string',
    )
    const engine = 'openssl' as CipherEngine
    const error = thrown(CryptoError, () => createCipher({ key: new Uint8Array(32), engine }))
    expect(error.code).toBe('ERR_CIPHER_ENGINE')
    expect(error.message).toContain('got "openssl"')
  })

  it('refuses plaintext and sealed objects that are not bytes with ERR_CRYPTO_ARGUMENT', () => {
    const cipher = createCipher({ key: new Uint8Array(32) })
    expect(thrown(CryptoError, () => cipher.encrypt('x' as unknown as Uint8Array)).code).toBe(
      'ERR_CRYPTO_ARGUMENT',
    )
    expect(thrown(CryptoError, () => cipher.decrypt(null as unknown as Uint8Array)).code).toBe(
      'ERR_CRYPTO_ARGUMENT',
    )
  })

  it('lets the testing-only nonce injection take exactly 12-byte nonces', () => {
    const cipher = createCipher({ key: new Uint8Array(32) })
    for (const length of [0, 8, 11, 13, 16]) {
      const error = thrown(CryptoError, () =>
        _encryptWithNonceForTests(cipher, new Uint8Array(1), new Uint8Array(length)),
      )
      expect(error.code).toBe('ERR_CRYPTO_ARGUMENT')
    }
    expect(_encryptWithNonceForTests(cipher, new Uint8Array(1), new Uint8Array(12)).length).toBe(
      1 + NONCE_LENGTH + TAG_LENGTH,
    )
  })
})
