import { describe, expect, it } from 'vitest'
import { createStandardRs, ErasureCodeError, standardRsMatrix } from '../src/index.js'
import { thrown } from './helpers.js'

const create = (k: unknown, m: unknown) => () => createStandardRs(k as number, m as number)

describe('argument validation at the boundary', () => {
  const badParams: [string, () => unknown, string][] = [
    ['k = 0', create(0, 1), '`k` (data shards) must be an integer 1..255, got 0'],
    ['k = 256', create(256, 1), '`k` (data shards) must be an integer 1..255, got 256'],
    ['a fractional k', create(2.5, 1), 'got 2.5'],
    ['a string k', create('4', 2), 'got "4"'],
    [
      'm = 0',
      create(4, 0),
      '`m` (parity shards) must be an integer 1..252 so that k + m ≤ 256 (k = 4), got 0',
    ],
    ['k + m = 257', create(200, 57), '`m` (parity shards) must be an integer 1..56'],
    ['a NaN m', create(4, Number.NaN), 'got NaN'],
    ['m missing', create(4, undefined), 'got undefined'],
  ]
  for (const [what, fn, message] of badParams) {
    it(`refuses ${what} with ERR_RS_PARAMS, naming the parameter`, () => {
      const error = thrown(ErasureCodeError, fn)
      expect([error.name, error.code]).toEqual(['ErasureCodeError', 'ERR_RS_PARAMS'])
      expect(error.message).toContain(message)
    })
  }

  it('checks standardRsMatrix arguments the same way', () => {
    expect(thrown(ErasureCodeError, () => standardRsMatrix(3, 0)).code).toBe('ERR_RS_PARAMS')
  })

  it('accepts the extremes k = 1, m = 1 and k = 255, m = 1', () => {
    expect(createStandardRs(1, 1).k).toBe(1)
    expect(createStandardRs(255, 1).m).toBe(1)
  })

  const rs = createStandardRs(3, 2)
  const shard = (n: number) => new Uint8Array(n)

  const badEncode: [string, unknown, string, string][] = [
    [
      'too few data shards',
      [shard(4), shard(4)],
      'ERR_RS_SHARD_COUNT',
      'must be an array of k = 3 shards, got 2',
    ],
    ['too many', [shard(4), shard(4), shard(4), shard(4)], 'ERR_RS_SHARD_COUNT', 'got 4 shards'],
    ['something not an array', shard(12), 'ERR_RS_SHARD_COUNT', 'got Uint8Array'],
    [
      'a null data shard',
      [shard(4), null, shard(4)],
      'ERR_RS_SHARD_TYPE',
      '`dataShards[1]` must be a Uint8Array, got null',
    ],
    ['a plain array as a shard', [shard(4), shard(4), [1, 2, 3, 4]], 'ERR_RS_SHARD_TYPE', 'got Array'],
    [
      'shards of unequal length',
      [shard(4), shard(4), shard(5)],
      'ERR_RS_SHARD_SIZE',
      '`dataShards[2]` is 5 bytes but `dataShards[0]` is 4',
    ],
  ]
  for (const [what, input, code, message] of badEncode) {
    it(`encode refuses ${what} with ${code}`, () => {
      const error = thrown(ErasureCodeError, () => rs.encodeSync(input as Uint8Array[]))
      expect(error.code).toBe(code)
      expect(error.message).toContain(message)
    })
  }

  const badStripes: [string, unknown, string, string][] = [
    [
      'a stripe of the wrong size',
      [shard(4), shard(4), shard(4), shard(4)],
      'ERR_RS_SHARD_COUNT',
      'k + m = 5 slots',
    ],
    ['a number as a shard', [shard(4), 7, shard(4), shard(4), null], 'ERR_RS_SHARD_TYPE', '`shards[1]`'],
    [
      'present shards of unequal length',
      [null, shard(4), shard(4), shard(3), null],
      'ERR_RS_SHARD_SIZE',
      '`shards[3]` is 3 bytes but `shards[1]` is 4',
    ],
    [
      'fewer than k present shards',
      [null, shard(4), null, shard(4), null],
      'ERR_RS_TOO_FEW_SHARDS',
      'only 2 of 5 shards are present and k = 3 are needed to reconstruct; fetch at least 1 more',
    ],
  ]
  for (const [what, input, code, message] of badStripes) {
    it(`reconstruct refuses ${what} with ${code}`, () => {
      const error = thrown(ErasureCodeError, () => rs.reconstructSync(input as Uint8Array[]))
      expect(error.code).toBe(code)
      expect(error.message).toContain(message)
    })
  }

  it('puts the stable code first in the message, hypercore-errors style', () => {
    expect(thrown(ErasureCodeError, create(0, 1)).message).toMatch(/^ERR_RS_PARAMS: /)
  })
})
