import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeSeqKey, encodeSeqKey, SEQ_ID_MAX, SEQ_KEY_LENGTH, ZdbFormatError } from '../src/zdb/index.js'
import { thrown } from './helpers.js'

const formatError = (fn: () => unknown) => thrown(ZdbFormatError, fn)

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

describe('encodeSeqKey', () => {
  it('writes id 1 as 8 little-endian bytes', () => {
    expect(hex(encodeSeqKey(1))).toBe('0100000000000000')
    expect(hex(encodeSeqKey(1n))).toBe('0100000000000000')
  })

  it('puts the least significant byte first', () => {
    expect(hex(encodeSeqKey(0x0102030405060708n))).toBe('0807060504030201')
    expect(hex(encodeSeqKey(0x1234))).toBe('3412000000000000')
  })

  it('covers the whole unsigned 64-bit range', () => {
    expect(hex(encodeSeqKey(0))).toBe('0000000000000000')
    expect(hex(encodeSeqKey(SEQ_ID_MAX))).toBe('ffffffffffffffff')
    expect(hex(encodeSeqKey(Number.MAX_SAFE_INTEGER))).toBe('ffffffffffff1f00')
  })

  it('returns a Buffer of SEQ_KEY_LENGTH bytes', () => {
    const key = encodeSeqKey(42)
    expect(Buffer.isBuffer(key)).toBe(true)
    expect(key).toHaveLength(SEQ_KEY_LENGTH)
  })

  it.each([
    ['a negative number', -1, 'sequential id must be in 0..2^64-1, got -1'],
    ['a fraction', 1.5, 'sequential id must be a safe integer'],
    ['NaN', Number.NaN, 'sequential id must be a safe integer'],
    ['Infinity', Number.POSITIVE_INFINITY, 'sequential id must be a safe integer'],
    ['a number above 2^53-1, which may already be rounded', 2 ** 53, 'sequential id must be a safe integer'],
    ['a negative bigint', -1n, 'sequential id must be in 0..2^64-1, got -1'],
    [
      'a bigint above 2^64-1',
      SEQ_ID_MAX + 1n,
      'sequential id must be in 0..2^64-1, got 18446744073709551616',
    ],
    ['a string', '1' as unknown as number, 'sequential id must be a bigint or a number, got string'],
  ])('rejects %s with ERR_ZDB_FORMAT', (_, id, message) => {
    const error = formatError(() => encodeSeqKey(id))
    expect(error.code).toBe('ERR_ZDB_FORMAT')
    expect(error.name).toBe('ZdbFormatError')
    expect(error.field).toBe('id')
    expect(error.message).toContain(message)
  })
})

describe('decodeSeqKey', () => {
  it('reads 8 little-endian bytes as an unsigned bigint', () => {
    expect(decodeSeqKey(Buffer.from('0100000000000000', 'hex'))).toBe(1n)
    expect(decodeSeqKey(Buffer.from('0807060504030201', 'hex'))).toBe(0x0102030405060708n)
    expect(decodeSeqKey(Buffer.from('ffffffffffffffff', 'hex'))).toBe(SEQ_ID_MAX)
  })

  it('reads a key that is a view into a larger buffer at an odd offset', () => {
    const backing = new Uint8Array(20).fill(0xee)
    backing.set([0x2a, 0, 0, 0, 0, 0, 0, 0x80], 3)
    expect(decodeSeqKey(backing.subarray(3, 11))).toBe(0x800000000000002an)
  })

  it.each([0, 4, 7, 9])('rejects a %i-byte key with ERR_ZDB_FORMAT', (length) => {
    const error = formatError(() => decodeSeqKey(new Uint8Array(length)))
    expect(error.code).toBe('ERR_ZDB_FORMAT')
    expect(error.field).toBe('key')
    expect(error.message).toBe(`sequential key must be 8 bytes, got ${length}`)
  })

  it('gets back every bigint id it encoded', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: SEQ_ID_MAX }), (id) => {
        expect(decodeSeqKey(encodeSeqKey(id))).toBe(id)
      }),
    )
  })

  it('gets back every safe-integer number id it encoded, as a bigint', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (id) => {
        expect(decodeSeqKey(encodeSeqKey(id))).toBe(BigInt(id))
      }),
    )
  })
})
