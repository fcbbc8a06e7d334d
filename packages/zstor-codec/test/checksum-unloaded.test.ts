import { describe, expect, it } from 'vitest'
import { availableChecksumEngines, blake2b128, CryptoError, createBlake2b128 } from '../src/index.js'
import { hex, thrown } from './helpers.js'

// Its own file, so that no other test has loaded the WebAssembly engine in this module graph.
describe('BLAKE2b-128 before loadWasmChecksum()', () => {
  it('runs on noble and refuses engine wasm with ERR_CHECKSUM_ENGINE saying what to await', () => {
    expect(availableChecksumEngines()).toEqual(['noble'])
    expect(hex(blake2b128(new TextEncoder().encode('abc')))).toBe('cf4ab791c62b8d2b2109c90275287816')
    const error = thrown(CryptoError, () => createBlake2b128({ engine: 'wasm' }))
    expect(error.code).toBe('ERR_CHECKSUM_ENGINE')
    expect(error.message).toContain('await loadWasmChecksum()')
  })
})
