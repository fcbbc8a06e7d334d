import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ErasureCodeError, joinAndUnpad, padAndSplit } from '../src/index.js'
import { thrown } from './helpers.js'

describe('padAndSplit and joinAndUnpad (upstream erasure.rs padding)', () => {
  it('pads with pad = k - len % k bytes of value pad, always 1..k, then splits into k equal shards', () => {
    const shards = padAndSplit(new Uint8Array([1, 2, 3, 4, 5]), 4)
    expect(shards.map((s) => [...s])).toEqual([
      [1, 2],
      [3, 4],
      [5, 3],
      [3, 3],
    ])
    // a length that is already a multiple of k still gets k bytes of padding
    expect(padAndSplit(new Uint8Array([9, 9]), 2).map((s) => [...s])).toEqual([
      [9, 9],
      [2, 2],
    ])
  })

  it('spreads the padding over several shards when the object is shorter than k', () => {
    expect(padAndSplit(new Uint8Array(0), 3).map((s) => [...s])).toEqual([[3], [3], [3]])
  })

  it('starts every shard at an 8-byte boundary and copies the object', () => {
    const object = new Uint8Array(31).fill(7)
    const shards = padAndSplit(object, 5)
    expect(shards.every((s) => s.byteOffset % 8 === 0 && s.length === 7)).toBe(true)
    object.fill(0)
    expect(shards[0]![0]).toBe(7)
  })

  it('round-trips any object for any k', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 255 }), (object, k) => {
        const shards = padAndSplit(object, k)
        expect(shards).toHaveLength(k)
        expect(new Set(shards.map((s) => s.length)).size).toBe(1)
        expect(joinAndUnpad(shards)).toEqual(object)
      }),
    )
  })

  it('refuses padding that padAndSplit cannot have written, with ERR_RS_PADDING', () => {
    const shards = padAndSplit(new Uint8Array([1, 2, 3]), 2) // [1, 2] [3, 1]
    shards[1]![1] = 0
    expect(thrown(ErasureCodeError, () => joinAndUnpad(shards)).code).toBe('ERR_RS_PADDING')
    shards[1]![1] = 3 // longer than k
    expect(thrown(ErasureCodeError, () => joinAndUnpad(shards)).message).toContain(
      'padding length 1..2, got 3',
    )
    const inconsistent = padAndSplit(new Uint8Array([1, 2]), 2) // [1, 2] [2, 2]
    inconsistent[1]![0] = 9
    expect(thrown(ErasureCodeError, () => joinAndUnpad(inconsistent)).message).toContain(
      'byte 2 of the joined shards is 9, expected the padding value 2',
    )
  })

  it('refuses bad arguments with typed errors', () => {
    expect(thrown(ErasureCodeError, () => padAndSplit(new Uint8Array(1), 0)).code).toBe('ERR_RS_PARAMS')
    expect(thrown(ErasureCodeError, () => padAndSplit('abc' as unknown as Uint8Array, 2)).code).toBe(
      'ERR_RS_ARGUMENT',
    )
    expect(thrown(ErasureCodeError, () => joinAndUnpad([])).code).toBe('ERR_RS_SHARD_COUNT')
    expect(thrown(ErasureCodeError, () => joinAndUnpad([new Uint8Array(2), new Uint8Array(3)])).code).toBe(
      'ERR_RS_SHARD_SIZE',
    )
    expect(thrown(ErasureCodeError, () => joinAndUnpad([new Uint8Array(0)])).code).toBe('ERR_RS_PADDING')
  })
})
