import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  CryptoError,
  createCipher,
  DEFAULT_SCRYPT_PARAMS,
  deriveKey,
  formatHexKey,
  parseHexKey,
  SALT_LENGTH,
  type ScryptParams,
} from '../src/index.js'
import { bytes, hex, thrown, unhex } from './helpers.js'

interface Vectors {
  source: string
  cases: { passphrase: string; salt: string; params: ScryptParams; key: string }[]
}

const vectors = JSON.parse(readFileSync(new URL('./vectors/scrypt.json', import.meta.url), 'utf8')) as Vectors

/** The lowest params deriveKey accepts, to keep tests fast (tens of milliseconds). */
const FAST: ScryptParams = { N: 2 ** 14, r: 8, p: 1 }

async function rejection(promise: Promise<unknown>): Promise<CryptoError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof CryptoError) return error
    throw error
  }
  throw new Error('expected a CryptoError rejection')
}

describe('parseHexKey', () => {
  it('reads 64 hex characters of either case into the 32 bytes they spell', () => {
    const text = '00112233445566778899aabbccddeeffFFEEDDCCBBAA99887766554433221100'
    expect(hex(parseHexKey(text))).toBe(text.toLowerCase())
    expect(formatHexKey(parseHexKey(text))).toBe(text.toLowerCase())
  })

  it('refuses any length other than 64 characters, saying how many it got', () => {
    for (const length of [0, 2, 32, 63, 65, 128]) {
      const error = thrown(CryptoError, () => parseHexKey('a'.repeat(length)))
      expect(error.code).toBe('ERR_KEY_HEX')
      expect(error.message).toContain(`got ${length} characters`)
    }
  })

  it('refuses a non-hex character, naming its position and not echoing the key', () => {
    const good = 'c0ffee'.repeat(11).slice(0, 62)
    for (const [text, position] of [
      [`${good}0g`, 64],
      [`x${good}0`, 1],
      [`${good.slice(0, 9)} ${good.slice(10)}00`, 10],
      [`0x${good}`, 2],
    ] as const) {
      const error = thrown(CryptoError, () => parseHexKey(text))
      expect(error.code).toBe('ERR_KEY_HEX')
      expect(error.message).toContain(`character ${position} of 64 is not a hex digit`)
      expect(error.message).not.toContain('c0ffee')
    }
  })

  it('refuses a value that is not a string with ERR_KEY_HEX', () => {
    expect(thrown(CryptoError, () => parseHexKey(new Uint8Array(32) as unknown as string)).code).toBe(
      'ERR_KEY_HEX',
    )
  })

  it('gives a key the cipher takes', () => {
    const cipher = createCipher({ key: parseHexKey('42'.repeat(32)) })
    expect(hex(cipher.decrypt(cipher.encrypt(unhex('0102'))))).toBe('0102')
  })
})

describe('formatHexKey', () => {
  it('refuses a key that is not 32 bytes with ERR_KEY_LENGTH', () => {
    expect(thrown(CryptoError, () => formatHexKey(new Uint8Array(31))).code).toBe('ERR_KEY_LENGTH')
  })
})

describe('deriveKey (scrypt) against Python hashlib.scrypt (test/vectors/scrypt.json)', () => {
  it('has every case present, including one at the default params', () => {
    expect(vectors.cases.length).toBe(3)
    expect(vectors.cases.some((c) => c.params.N === DEFAULT_SCRYPT_PARAMS.N)).toBe(true)
  })

  for (const c of vectors.cases) {
    it(`derives the published key for ${JSON.stringify(c.passphrase)} at N = 2^${Math.log2(c.params.N)}`, async () => {
      const derived = await deriveKey({ passphrase: c.passphrase, salt: unhex(c.salt), params: c.params })
      expect(hex(derived.key)).toBe(c.key)
      expect(hex(derived.salt)).toBe(c.salt)
      expect(derived.params).toEqual(c.params)
    })
  }

  it('normalizes a string passphrase to NFC, so composed and decomposed forms give one key', async () => {
    const c = vectors.cases[1]!
    const decomposed = c.passphrase.normalize('NFD')
    expect(decomposed).not.toBe(c.passphrase)
    const derived = await deriveKey({ passphrase: decomposed, salt: unhex(c.salt), params: c.params })
    expect(hex(derived.key)).toBe(c.key)
  })
})

describe('deriveKey', () => {
  it('gives the same key for the same passphrase, salt and params, and another for another salt', async () => {
    const first = await deriveKey({ passphrase: 'hunter2 hunter2', params: FAST })
    expect(first.salt.length).toBe(SALT_LENGTH)
    expect(first.key.length).toBe(32)
    const again = await deriveKey({ passphrase: 'hunter2 hunter2', salt: first.salt, params: first.params })
    expect(hex(again.key)).toBe(hex(first.key))
    const other = await deriveKey({ passphrase: 'hunter2 hunter2', params: FAST })
    expect(hex(other.salt)).not.toBe(hex(first.salt))
    expect(hex(other.key)).not.toBe(hex(first.key))
  })

  it('takes the passphrase as bytes too, and does not wipe or keep the caller’s arrays', async () => {
    const passphrase = new TextEncoder().encode('correct horse battery staple')
    const c = vectors.cases[0]!
    const salt = unhex(c.salt)
    const derived = await deriveKey({ passphrase, salt, params: c.params })
    expect(hex(derived.key)).toBe(c.key)
    expect(new TextDecoder().decode(passphrase)).toBe('correct horse battery staple')
    salt.fill(0)
    expect(hex(derived.salt)).toBe(c.salt)
  })

  it('uses the default params when none are given', async () => {
    const c = vectors.cases[2]!
    const derived = await deriveKey({ passphrase: c.passphrase, salt: unhex(c.salt) })
    expect(derived.params).toEqual(DEFAULT_SCRYPT_PARAMS)
    expect(hex(derived.key)).toBe(c.key)
  })

  it('refuses params outside N 2^14..2^20 (power of two), r 1..32, p 1..16 and 1 GiB with ERR_KDF_PARAMS', async () => {
    const bad: [unknown, string][] = [
      [{ N: 2 ** 13, r: 8, p: 1 }, '`params.N` must be a power of two 2^14..2^20, got 8192'],
      [{ N: 2 ** 21, r: 8, p: 1 }, '`params.N`'],
      [{ N: 3 * 2 ** 14, r: 8, p: 1 }, '`params.N`'],
      [{ N: '16384', r: 8, p: 1 }, 'got string'],
      [{ N: 2 ** 14, r: 0, p: 1 }, '`params.r` must be an integer 1..32, got 0'],
      [{ N: 2 ** 14, r: 8, p: 17 }, '`params.p` must be an integer 1..16, got 17'],
      [{ N: 2 ** 20, r: 16, p: 1 }, 'needs 2048 MiB'],
      [42, '`params` must be an object { N, r, p }, got number'],
    ]
    for (const [params, message] of bad) {
      const error = await rejection(deriveKey({ passphrase: 'x', params: params as ScryptParams }))
      expect(error.code).toBe('ERR_KDF_PARAMS')
      expect(error.message).toContain(message)
    }
  })

  it('refuses a salt shorter than 16 bytes with ERR_KDF_PARAMS', async () => {
    const error = await rejection(deriveKey({ passphrase: 'x', salt: bytes(15, 1), params: FAST }))
    expect(error.code).toBe('ERR_KDF_PARAMS')
    expect(error.message).toContain('got 15')
  })

  it('refuses an empty passphrase, or one that is neither string nor bytes, with ERR_CRYPTO_ARGUMENT', async () => {
    for (const passphrase of ['', new Uint8Array(0), 42, undefined]) {
      const error = await rejection(deriveKey({ passphrase: passphrase as string, params: FAST }))
      expect(error.code).toBe('ERR_CRYPTO_ARGUMENT')
    }
  })
})
