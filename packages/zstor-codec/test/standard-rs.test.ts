import { describe, expect, it } from 'vitest'
import { createStandardRs, ErasureCodeError, STANDARD_RS_ID, standardRsMatrix } from '../src/index.js'
import { bytes, hex, mulShardsRef, shardsAt } from './helpers.js'

// The kernel walks shards in 8 KiB blocks of 32-bit words; these lengths cross block
// boundaries and leave 0..3 tail bytes.
const LENGTHS = [1, 4, 8191, 8192, 3 * 8192 + 3, 20_001]

describe('createStandardRs', () => {
  it('names its code and reports k and m, so metadata can record what made the shards', () => {
    const rs = createStandardRs(10, 4)
    expect([rs.id, rs.k, rs.m]).toEqual(['rs-vandermonde-gf256', 10, 4])
    expect(STANDARD_RS_ID).toBe('rs-vandermonde-gf256')
  })

  for (const length of LENGTHS) {
    for (const offset of [0, 1, 2]) {
      it(`encodes ${length}-byte shards at byte offset ${offset} exactly as the byte-by-byte reference`, () => {
        const k = 5
        const m = 6
        const data = shardsAt(
          offset,
          Array.from({ length: k }, (_, i) => bytes(length, 1000 * length + 17 * i + offset)),
        )
        const reference = mulShardsRef(standardRsMatrix(k, m).slice(k), data)
        expect(createStandardRs(k, m).encodeSync(data).map(hex)).toEqual(reference.map(hex))
      })
    }
  }

  it('rebuilds lost data and parity in one stripe across block boundaries and unaligned inputs', () => {
    const k = 7
    const m = 5
    const rs = createStandardRs(k, m)
    const data = shardsAt(
      3,
      Array.from({ length: k }, (_, i) => bytes(3 * 8192 + 3, i + 1)),
    )
    const whole = [...data, ...rs.encodeSync(data)]
    const lost = [0, 3, 6, 8, 11]
    const rebuilt = rs.reconstructSync(whole.map((s, i) => (lost.includes(i) ? null : s)))
    expect(rebuilt.map(hex)).toEqual(whole.map(hex))
  })

  it('gives the same shards when a loss pattern repeats (decode matrices are cached)', () => {
    const rs = createStandardRs(6, 3)
    const data = Array.from({ length: 6 }, (_, i) => bytes(100, i + 7))
    const whole = [...data, ...rs.encodeSync(data)]
    for (const lost of [
      [1, 2],
      [4, 7],
      [1, 2],
      [0, 1, 2],
      [4, 7],
      [1, 2],
    ]) {
      expect(rs.reconstructSync(whole.map((s, i) => (lost.includes(i) ? null : s)))).toEqual(whole)
    }
  })

  it('uses only k of the present shards, so extra present shards never change the result', () => {
    const rs = createStandardRs(4, 3)
    const data = Array.from({ length: 4 }, (_, i) => bytes(33, i + 99))
    const whole = [...data, ...rs.encodeSync(data)]
    expect(rs.reconstructSync([null, ...whole.slice(1)])).toEqual(whole)
    expect(rs.reconstructSync([null, null, null, ...whole.slice(3)])).toEqual(whole)
  })

  it('returns a copy of the stripe when nothing is lost, and never modifies its inputs', () => {
    const rs = createStandardRs(3, 2)
    const data = Array.from({ length: 3 }, (_, i) => bytes(16, i + 3))
    const copies = data.map((d) => d.slice())
    const whole = [...data, ...rs.encodeSync(data)]
    expect(data).toEqual(copies)
    const stripe = [null, ...whole.slice(1)]
    const rebuilt = rs.reconstructSync(stripe)
    expect(stripe[0]).toBeNull()
    expect(rebuilt).toEqual(whole)
    const same = rs.reconstructSync(whole)
    expect(same).not.toBe(whole)
    expect(same).toEqual(whole)
  })

  it('treats undefined like null: a lost shard', () => {
    const rs = createStandardRs(2, 1)
    const data = [bytes(5, 1), bytes(5, 2)]
    const whole = [...data, ...rs.encodeSync(data)]
    expect(rs.reconstructSync([undefined, whole[1], whole[2]])).toEqual(whole)
  })

  it('encodes empty shards to empty parity', () => {
    expect(
      createStandardRs(3, 2).encodeSync([new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)]),
    ).toEqual([new Uint8Array(0), new Uint8Array(0)])
  })

  it('copies the single data shard into every parity shard when k = 1', () => {
    const data = bytes(11, 5)
    expect(createStandardRs(1, 3).encodeSync([data])).toEqual([data, data, data])
  })

  it('works at the largest size GF(2^8) allows, k + m = 256', () => {
    const k = 250
    const m = 6
    const rs = createStandardRs(k, m)
    const data = Array.from({ length: k }, (_, i) => bytes(9, i + 1))
    const whole = [...data, ...rs.encodeSync(data)]
    const lost = [0, 1, 100, 249, 250, 255]
    expect(rs.reconstructSync(whole.map((s, i) => (lost.includes(i) ? null : s)))).toEqual(whole)
  })

  it('resolves through the async interface and rejects there with the typed error', async () => {
    const rs = createStandardRs(2, 2)
    const data = [bytes(8, 1), bytes(8, 2)]
    const parity = await rs.encode(data)
    expect(parity).toEqual(rs.encodeSync(data))
    expect(await rs.reconstruct([null, null, ...parity])).toEqual([...data, ...parity])
    await expect(rs.encode([data[0]!])).rejects.toBeInstanceOf(ErasureCodeError)
    await expect(rs.reconstruct([null, null, null, parity[1]!])).rejects.toMatchObject({
      code: 'ERR_RS_TOO_FEW_SHARDS',
    })
  })
})
