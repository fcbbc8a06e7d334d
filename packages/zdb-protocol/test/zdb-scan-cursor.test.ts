import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeScanCursor,
  encodeScanCursor,
  SCAN_CURSOR_LENGTH,
  type ScanCursor,
  ZdbFormatError,
} from '../src/zdb/index.js'
import { thrown } from './helpers.js'

const formatError = (fn: () => unknown) => thrown(ZdbFormatError, fn)

// The first entry of index file 0x04030201 (it starts right after the 29-byte index header),
// a 5-byte key with a 16-byte value whose CRC-32C (init 0, no final XOR) is 0xfb355d37.
const HAND_BUILT = Buffer.from([
  0x05, // idlength
  0x01,
  0x02,
  0x03,
  0x04, // fileid
  0x10,
  0x00,
  0x00,
  0x00, // length
  0x1d,
  0x00,
  0x00,
  0x00, // idxoffset
  0x37,
  0x5d,
  0x35,
  0xfb, // crc
])
const HAND_BUILT_FIELDS: ScanCursor = {
  idLength: 5,
  indexFileId: 0x04030201,
  valueLength: 16,
  indexOffset: 29,
  crc: 0xfb355d37,
}

const cursor = fc.record({
  idLength: fc.integer({ min: 0, max: 0xff }),
  indexFileId: fc.integer({ min: 0, max: 0xffff_ffff }),
  valueLength: fc.integer({ min: 0, max: 0xffff_ffff }),
  indexOffset: fc.integer({ min: 0, max: 0xffff_ffff }),
  crc: fc.integer({ min: 0, max: 0xffff_ffff }),
})

describe('decodeScanCursor', () => {
  it('reads the packed u8 idlen, u32 fileid, u32 length, u32 idxoffset, u32 crc, little-endian', () => {
    expect(decodeScanCursor(HAND_BUILT)).toEqual(HAND_BUILT_FIELDS)
  })

  it('reads a cursor that is a view into a larger buffer at an odd offset', () => {
    const backing = Buffer.concat([Buffer.from([0xaa]), HAND_BUILT, Buffer.from([0xbb, 0xcc])])
    expect(decodeScanCursor(new Uint8Array(backing.buffer, backing.byteOffset + 1, 17))).toEqual(
      HAND_BUILT_FIELDS,
    )
  })

  it('reads every field as unsigned', () => {
    expect(decodeScanCursor(Buffer.alloc(17, 0xff))).toEqual({
      idLength: 255,
      indexFileId: 0xffff_ffff,
      valueLength: 0xffff_ffff,
      indexOffset: 0xffff_ffff,
      crc: 0xffff_ffff,
    })
  })

  it.each([
    [0, 'an empty argument'],
    [12, 'a truncated cursor'],
    [15, 'a 0-db v1 cursor (u16 fileid)'],
    [16, 'one byte short'],
    [18, 'one byte too many'],
  ])('rejects %i bytes (%s) with ERR_ZDB_FORMAT', (length) => {
    const error = formatError(() => decodeScanCursor(new Uint8Array(length)))
    expect(error.code).toBe('ERR_ZDB_FORMAT')
    expect(error.name).toBe('ZdbFormatError')
    expect(error.field).toBe('cursor')
    expect(error.message).toBe(`scan cursor must be 17 bytes, got ${length}`)
  })
})

describe('encodeScanCursor', () => {
  it('writes the fields in upstream index_bkey_t layout', () => {
    expect(encodeScanCursor(HAND_BUILT_FIELDS).equals(HAND_BUILT)).toBe(true)
  })

  it('returns a Buffer of SCAN_CURSOR_LENGTH bytes', () => {
    const out = encodeScanCursor(HAND_BUILT_FIELDS)
    expect(Buffer.isBuffer(out)).toBe(true)
    expect(out).toHaveLength(SCAN_CURSOR_LENGTH)
  })

  it('gets back every cursor it encoded', () => {
    fc.assert(
      fc.property(cursor, (c) => {
        expect(decodeScanCursor(encodeScanCursor(c))).toEqual(c)
      }),
    )
  })

  it('gets back every 17-byte string it decoded', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 17, maxLength: 17 }), (bytes) => {
        expect(hexOf(encodeScanCursor(decodeScanCursor(bytes)))).toBe(hexOf(bytes))
      }),
    )
  })

  it.each([
    ['idLength', 256, 255],
    ['idLength', -1, 255],
    ['indexFileId', 2 ** 32, 4294967295],
    ['valueLength', 1.5, 4294967295],
    ['indexOffset', Number.NaN, 4294967295],
    ['crc', -1, 4294967295],
  ] as const)('rejects %s = %s with ERR_ZDB_FORMAT', (field, value, max) => {
    const error = formatError(() => encodeScanCursor({ ...HAND_BUILT_FIELDS, [field]: value }))
    expect(error.code).toBe('ERR_ZDB_FORMAT')
    expect(error.field).toBe(field)
    expect(error.message).toBe(`scan cursor ${field} must be an integer in 0..${max}, got ${value}`)
  })
})

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}
