import { describe, expect, it } from 'vitest'
import {
  createRonomonRs,
  createStandardRs,
  ErasureCodeError,
  RONOMON_MAX_K,
  RONOMON_MAX_M,
  RONOMON_RS_ID,
} from '../src/index.js'
import { describeErasureCoder } from './erasure-coder.suite.js'
import { bytes, thrown } from './helpers.js'

// The same properties as the standard engine, over the addon's whole range of k and m, with
// shard lengths both multiples of 8 and not (head by the addon, tail by the standard code).
describeErasureCoder('the @ronomon/reed-solomon engine', createRonomonRs, {
  maxK: RONOMON_MAX_K,
  maxM: RONOMON_MAX_M,
  maxLength: 70,
})

const stripeOf = (k: number, length: number, seed: number) =>
  Array.from({ length: k }, (_, i) => bytes(length, seed + i))

describe('the @ronomon/reed-solomon engine', () => {
  it('has its own id and the limits of the addon (k ≤ 24, m ≤ 6)', () => {
    const rs = createRonomonRs(24, 6)
    expect([rs.id, rs.k, rs.m]).toEqual(['rs-cauchy-ronomon', 24, 6])
    expect(RONOMON_RS_ID).toBe('rs-cauchy-ronomon')
    expect([RONOMON_MAX_K, RONOMON_MAX_M]).toEqual([24, 6])
  })

  it('refuses k > 24, m > 6 and the standard range errors with ERR_RS_PARAMS naming the limit', () => {
    for (const [k, m, text] of [
      [
        25,
        2,
        '`k` (data shards) must be an integer 1..24 for the ronomon engine (@ronomon/reed-solomon MAX_K = 24',
      ],
      [
        4,
        7,
        '`m` (parity shards) must be an integer 1..6 for the ronomon engine (@ronomon/reed-solomon MAX_M = 6',
      ],
      [0, 2, '`k` (data shards) must be an integer 1..24'],
      [4, 0, '`m` (parity shards) must be an integer 1..6'],
      [2.5, 2, 'got 2.5'],
    ] as const) {
      const error = thrown(ErasureCodeError, () => createRonomonRs(k, m))
      expect(error.code).toBe('ERR_RS_PARAMS')
      expect(error.message).toContain(text)
    }
  })

  it('makes other parity than the standard code: the shards are not interchangeable', async () => {
    const data = stripeOf(4, 64, 1)
    const ours = await createRonomonRs(4, 2).encode(data)
    const standard = await createStandardRs(4, 2).encode(data)
    expect(ours).not.toEqual(standard)
  })

  it('rebuilds lengths that are not multiples of 8, which padding and cutting parity back would not', async () => {
    // 8·⌊L/8⌋ head bytes by the addon, L mod 8 tail bytes by the standard code
    for (const length of [1, 5, 7, 8, 9, 15, 17, 1001]) {
      const rs = createRonomonRs(3, 2)
      const data = stripeOf(3, length, length)
      const parity = await rs.encode(data)
      expect(parity.map((p) => p.length)).toEqual([length, length])
      const rebuilt = await rs.reconstruct([null, data[1], null, parity[0], parity[1]])
      expect(rebuilt.slice(0, 3)).toEqual(data)
      const fromParity = await rs.reconstruct([data[0], null, data[2], null, parity[1]])
      expect(fromParity).toEqual([...data, ...parity])
    }
  })

  it('rebuilds a large stripe (k = 16, m = 4, 1 MiB + 3 bytes per shard) losing 4 data shards', async () => {
    const rs = createRonomonRs(16, 4)
    const data = stripeOf(16, 2 ** 20 + 3, 9)
    const parity = await rs.encode(data)
    const rebuilt = await rs.reconstruct([null, null, null, null, ...data.slice(4), ...parity])
    expect(rebuilt.slice(0, 4).every((s, i) => Buffer.compare(s, data[i]!) === 0)).toBe(true)
  })

  it('rejects argument errors with the same typed errors as the standard engine', async () => {
    const rs = createRonomonRs(2, 1)
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: unknown) => (e instanceof ErasureCodeError ? e.code : String(e)),
      )
    expect(await codeOf(rs.encode([new Uint8Array(8)]))).toBe('ERR_RS_SHARD_COUNT')
    expect(await codeOf(rs.encode([new Uint8Array(8), new Uint8Array(16)]))).toBe('ERR_RS_SHARD_SIZE')
    expect(await codeOf(rs.encode([new Uint8Array(8), [1] as never]))).toBe('ERR_RS_SHARD_TYPE')
    expect(await codeOf(rs.reconstruct([null, null, new Uint8Array(8)]))).toBe('ERR_RS_TOO_FEW_SHARDS')
  })
})
