import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeHistoryKey,
  encodeHistoryKey,
  HISTORY_KEY_LENGTH,
  type HistoryKey,
  ZdbFormatError,
} from '../src/zdb/index.js'
import { thrown } from './helpers.js'

const formatError = (fn: () => unknown) => thrown(ZdbFormatError, fn)

// The README's example `HISTORY mykey "\x00\x00\x1b\x00\x00\x00"` is a v1 key (u16 fileid);
// v2 widened fileid to u32, so the same position (file 0, offset 27) is 8 bytes.
const HAND_BUILT = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x1b, 0x00, 0x00, 0x00])

describe('decodeHistoryKey', () => {
  it('reads a packed u32 index file id then a u32 offset, little-endian', () => {
    expect(decodeHistoryKey(HAND_BUILT)).toEqual({ indexFileId: 0, indexOffset: 27 })
    expect(decodeHistoryKey(Buffer.from('0403020108070605', 'hex'))).toEqual({
      indexFileId: 0x01020304,
      indexOffset: 0x05060708,
    })
  })

  it('reads every field as unsigned', () => {
    expect(decodeHistoryKey(Buffer.alloc(8, 0xff))).toEqual({
      indexFileId: 0xffff_ffff,
      indexOffset: 0xffff_ffff,
    })
  })

  it('reads a key that is a view into a larger buffer at an odd offset', () => {
    const backing = Buffer.concat([Buffer.from([0xaa, 0xbb, 0xcc]), HAND_BUILT])
    expect(decodeHistoryKey(new Uint8Array(backing.buffer, backing.byteOffset + 3, 8))).toEqual({
      indexFileId: 0,
      indexOffset: 27,
    })
  })

  it.each([0, 6, 7, 9, 17])('rejects a %i-byte key with ERR_ZDB_FORMAT', (length) => {
    const error = formatError(() => decodeHistoryKey(new Uint8Array(length)))
    expect(error.code).toBe('ERR_ZDB_FORMAT')
    expect(error.name).toBe('ZdbFormatError')
    expect(error.field).toBe('key')
    expect(error.message).toBe(`history key must be 8 bytes, got ${length}`)
  })
})

describe('encodeHistoryKey', () => {
  it('writes the position in upstream index_ekey_t layout', () => {
    expect(encodeHistoryKey({ indexFileId: 0, indexOffset: 27 }).equals(HAND_BUILT)).toBe(true)
    expect(encodeHistoryKey({ indexFileId: 0x01020304, indexOffset: 0x05060708 }).toString('hex')).toBe(
      '0403020108070605',
    )
  })

  it('writes the end of the chain as eight zero bytes', () => {
    expect(encodeHistoryKey({ indexFileId: 0, indexOffset: 0 }).equals(Buffer.alloc(8))).toBe(true)
  })

  it('returns a Buffer of HISTORY_KEY_LENGTH bytes', () => {
    const out = encodeHistoryKey({ indexFileId: 1, indexOffset: 2 })
    expect(Buffer.isBuffer(out)).toBe(true)
    expect(out).toHaveLength(HISTORY_KEY_LENGTH)
  })

  it('gets back every position it encoded', () => {
    const u32 = fc.integer({ min: 0, max: 0xffff_ffff })
    fc.assert(
      fc.property(fc.record({ indexFileId: u32, indexOffset: u32 }), (key: HistoryKey) => {
        expect(decodeHistoryKey(encodeHistoryKey(key))).toEqual(key)
      }),
    )
  })

  it.each([
    ['indexFileId', -1],
    ['indexFileId', 2 ** 32],
    ['indexOffset', 0.5],
    ['indexOffset', Number.POSITIVE_INFINITY],
  ] as const)('rejects %s = %s with ERR_ZDB_FORMAT', (field, value) => {
    const error = formatError(() => encodeHistoryKey({ indexFileId: 0, indexOffset: 0, [field]: value }))
    expect(error.code).toBe('ERR_ZDB_FORMAT')
    expect(error.field).toBe(field)
    expect(error.message).toBe(`history key ${field} must be an integer in 0..4294967295, got ${value}`)
  })
})
