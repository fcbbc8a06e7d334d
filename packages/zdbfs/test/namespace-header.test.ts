import { describe, expect, it } from 'vitest'
import { ZdbfsFormatError } from '../src/errors.js'
import {
  checkNamespaceHeader,
  decodeNamespaceHeader,
  encodeNamespaceHeader,
  NAMESPACE_HEADER_LENGTH,
} from '../src/namespace-header.js'
import { specHeader } from './helpers/spec-bytes.js'

describe('the key-0 namespace header (spec §1)', () => {
  it('is 24 bytes: magic, u16 version 1, u16 flags, 6 zero bytes of padding, u64 size', () => {
    const bytes = encodeNamespaceHeader({ magic: 'ZDBFSM', version: 1, flags: 0, size: 10 * 2 ** 30 })
    expect(bytes.length).toBe(NAMESPACE_HEADER_LENGTH)
    expect(bytes).toEqual(specHeader('ZDBFSM', 0, 10n * 2n ** 30n))
  })

  it('decodes a header whatever its padding bytes hold', () => {
    const h = decodeNamespaceHeader(specHeader('ZDBFSD', 1, 12345n, 0x42))
    expect(h).toEqual({ magic: 'ZDBFSD', version: 1, flags: 1, size: 12345 })
  })

  it('refuses a value shorter than 24 bytes', () => {
    for (let n = 0; n < NAMESPACE_HEADER_LENGTH; n++) {
      expect(() => decodeNamespaceHeader(specHeader('ZDBFSM', 0, 1n).subarray(0, n))).toThrow(
        ZdbfsFormatError,
      )
    }
  })

  it('rejects the magic of another namespace and an unknown version, naming the namespace', () => {
    const data = decodeNamespaceHeader(specHeader('ZDBFSD', 0, 1n))
    expect(() => checkNamespaceHeader('meta', data, 'zdbfs-meta')).toThrow(/zdbfs-meta.*ZDBFSD.*ZDBFSM/)
    const v2 = decodeNamespaceHeader(
      Buffer.concat([Buffer.from('ZDBFSM'), Buffer.of(2, 0), Buffer.alloc(16)]),
    )
    expect(() => checkNamespaceHeader('meta', v2, 'm')).toThrow(/version 2/)
    expect(() =>
      checkNamespaceHeader('temp', decodeNamespaceHeader(specHeader('ZDBFST', 0, 1n)), 't'),
    ).not.toThrow()
  })
})
