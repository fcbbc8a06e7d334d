import { describe, expect, it } from 'vitest'
import {
  CodecError,
  CompressionError,
  CryptoError,
  createStandardRs,
  ErasureCodeError,
  PipelineError,
  parseHexKey,
} from '../src/index.js'

describe('typed errors', () => {
  it('every error class of the package is a CodecError with its own name, code and a message led by the code', () => {
    const cases: [CodecError, string][] = [
      [new ErasureCodeError('ERR_RS_PARAMS', 'x'), 'ErasureCodeError'],
      [new CryptoError('ERR_KEY_HEX', 'x'), 'CryptoError'],
      [new CompressionError('ERR_DECOMPRESS', 'x'), 'CompressionError'],
      [new PipelineError('ERR_TOO_FEW_SHARDS', 'x'), 'PipelineError'],
    ]
    for (const [err, name] of cases) {
      expect(err).toBeInstanceOf(CodecError)
      expect(err).toBeInstanceOf(Error)
      expect(err.name).toBe(name)
      expect(err.message).toBe(`${err.code}: x`)
    }
  })

  it('errors thrown by the API are CodecErrors', () => {
    expect(() => createStandardRs(0, 1)).toThrow(CodecError)
    expect(() => parseHexKey('zz')).toThrow(CodecError)
  })
})
