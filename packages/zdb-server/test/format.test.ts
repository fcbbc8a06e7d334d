import { describe, expect, it } from 'vitest'
import { ZdbFormatError } from '../src/errors.js'
import {
  DATA_ENTRY_SIZE,
  DATA_HEADER_SIZE,
  decodeDataEntryHeader,
  decodeDataHeader,
  encodeDataEntryHead,
  encodeDataHeader,
} from '../src/format/data-file.js'
import {
  decodeIndexEntry,
  decodeIndexHeader,
  encodeIndexEntry,
  encodeIndexHeader,
  INDEX_ENTRY_SIZE,
  INDEX_HEADER_SIZE,
} from '../src/format/index-file.js'
import { decodeNamespaceDescriptor, encodeNamespaceDescriptor } from '../src/format/namespace-descriptor.js'
import {
  ascii,
  cat,
  specDataEntry,
  specDataHeader,
  specIndexEntry,
  specIndexHeader,
  u8,
  u32,
  u64,
} from './helpers/bytes.js'

const TS = 1_600_000_000

describe('index file format (spec §2)', () => {
  it('the header is 29 bytes and byte-identical to the spec layout', () => {
    expect(INDEX_HEADER_SIZE).toBe(29)
    expect(specIndexHeader(7, 0)).toHaveLength(29)
    expect(encodeIndexHeader({ fileId: 7, mode: 0 })).toEqual(specIndexHeader(7, 0))
    expect(decodeIndexHeader(specIndexHeader(7, 1), 'i7')).toEqual({ fileId: 7, mode: 1 })
  })

  it('a header with another magic or version is refused with a format error', () => {
    const bad = specIndexHeader(0)
    bad.write('XXX0', 0, 'latin1')
    expect(() => decodeIndexHeader(bad, 'i0')).toThrow(ZdbFormatError)
    const v3 = cat(ascii('IDX0'), u32(3), u64(0n), u64(0n), u32(0), u8(0))
    expect(() => decodeIndexHeader(v3, 'i0')).toThrow(/version 3/)
  })

  it('an entry is 34 bytes plus the key, each field where the spec puts it', () => {
    const fields = {
      key: 'ab',
      offset: 28,
      length: 5,
      previous: 29,
      flags: 1,
      dataId: 3,
      timestamp: TS,
      crc: 0x12345678,
      parentId: 2,
      parentOff: 64,
    }
    const bytes = specIndexEntry(fields)
    expect(INDEX_ENTRY_SIZE).toBe(34)
    expect(bytes).toHaveLength(36)
    const entry = {
      key: ascii('ab'),
      dataOffset: 28,
      length: 5,
      previous: 29,
      flags: 1,
      dataId: 3,
      timestamp: TS,
      crc: 0x12345678,
      parentId: 2,
      parentOffset: 64,
    }
    expect(encodeIndexEntry(entry)).toEqual(bytes)
    expect(decodeIndexEntry(cat(Buffer.alloc(5), bytes), 5)).toEqual(entry)
  })

  it('a truncated entry decodes as null, whether the fixed part or the key is cut', () => {
    const bytes = specIndexEntry({
      key: 'abc',
      offset: 0,
      length: 0,
      previous: 0,
      flags: 0,
      dataId: 0,
      timestamp: 0,
      crc: 0,
      parentId: 0,
      parentOff: 0,
    })
    for (let cut = 1; cut <= bytes.length; cut++) {
      expect(decodeIndexEntry(bytes.subarray(0, bytes.length - cut), 0)).toBeNull()
    }
  })
})

describe('data file format (spec §2)', () => {
  it('the header is 28 bytes and byte-identical to the spec layout', () => {
    expect(DATA_HEADER_SIZE).toBe(28)
    expect(encodeDataHeader(4)).toEqual(specDataHeader(4))
    expect(decodeDataHeader(specDataHeader(4), 'd4')).toBe(4)
    expect(() => decodeDataHeader(specDataHeader(4).subarray(0, 27), 'd4')).toThrow(ZdbFormatError)
  })

  it('an entry is 18 bytes, the key, then the payload', () => {
    const bytes = specDataEntry({
      key: 'k',
      payload: 'XYZ',
      previous: 28,
      crc: 0xfb355d37,
      flags: 0,
      timestamp: TS,
    })
    expect(DATA_ENTRY_SIZE).toBe(18)
    expect(bytes).toHaveLength(18 + 1 + 3)
    const head = encodeDataEntryHead(
      { dataLength: 3, previous: 28, crc: 0xfb355d37, flags: 0, timestamp: TS },
      ascii('k'),
    )
    expect(cat(head, ascii('XYZ'))).toEqual(bytes)
    expect(decodeDataEntryHeader(bytes)).toEqual({
      keyLength: 1,
      dataLength: 3,
      previous: 28,
      crc: 0xfb355d37,
      flags: 0,
      timestamp: TS,
    })
    expect(decodeDataEntryHeader(bytes.subarray(0, 17))).toBeNull()
  })
})

describe('namespace descriptor (spec §2)', () => {
  it('encodes version, lengths, maxsize, flags with extended set, name, then password', () => {
    const expected = cat(u32(1), u8(3), u8(2), u64(1024n), u8(1 | 4), ascii('foo'), ascii('pw'))
    const d = { name: 'foo', password: 'pw', maxsize: 1024n, public: true, worm: false }
    expect(encodeNamespaceDescriptor(d)).toEqual(expected)
    expect(decodeNamespaceDescriptor(expected, 'x')).toEqual(d)
  })

  it('reads the worm flag and a namespace without password', () => {
    const bytes = cat(u32(1), u8(7), u8(0), u64(0n), u8(2 | 4), ascii('default'))
    expect(decodeNamespaceDescriptor(bytes, 'x')).toEqual({
      name: 'default',
      password: '',
      maxsize: 0n,
      public: false,
      worm: true,
    })
  })
})
