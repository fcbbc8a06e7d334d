import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
// @ts-expect-error: a plain ESM build script without types
import { assembleGfSimd, gfSimdModuleSource } from '../scripts/build-gf-simd.mjs'
import { createMulPlan, mulAccumulate, setGfSimdEnabled } from '../src/gf-kernel.js'
import { gfSimdAvailable } from '../src/gf-simd.js'
import { mulShardsRef } from './helpers.js'

afterEach(() => setGfSimdEnabled(true))

function run(
  simd: boolean,
  rows: number,
  cols: number,
  data: Uint8Array,
  inputs: Uint8Array[],
  start: Uint8Array[],
) {
  setGfSimdEnabled(simd)
  const outputs = start.map((o) => o.slice())
  mulAccumulate(createMulPlan({ rows, cols, data }), inputs, outputs, inputs[0]!.length)
  return outputs
}

describe('the WebAssembly SIMD GF(2^8) kernel', () => {
  it('runs here (Node 20 has WebAssembly SIMD)', () => {
    expect(gfSimdAvailable()).toBe(true)
  })

  it('gives the scalar kernel’s bytes for random matrices, lengths across chunks and offsets', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 20 }),
        fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 16_000, max: 50_000 })),
        fc.integer({ min: 0, max: 3 }),
        fc.integer(),
        (rows, cols, length, offset, seed) => {
          let x = seed | 1
          const next = () => {
            x ^= x << 13
            x ^= x >>> 17
            x ^= x << 5
            return x & 0xff
          }
          const data = Uint8Array.from({ length: rows * cols }, next)
          // Inputs at odd byte offsets: shards are often views into a larger buffer.
          const inputs = Array.from({ length: cols }, () =>
            Uint8Array.from({ length: length + offset }, next).subarray(offset),
          )
          const start = Array.from({ length: rows }, () => Uint8Array.from({ length }, next))
          const simd = run(true, rows, cols, data, inputs, start)
          const scalar = run(false, rows, cols, data, inputs, start)
          // Buffer.compare: a deep toEqual over 50 KB arrays takes seconds.
          expect(simd.map((o, r) => Buffer.compare(o, scalar[r]!))).toEqual(simd.map(() => 0))
        },
      ),
      { numRuns: 40 },
    )
  })

  it('matches a byte-at-a-time reference on a 16 + 4 stripe', () => {
    const data = Uint8Array.from({ length: 4 * 16 }, (_, i) => (i * 37 + 11) & 0xff)
    const inputs = Array.from({ length: 16 }, (_, j) =>
      Uint8Array.from({ length: 20_001 }, (_, i) => (i * 7 + j) & 0xff),
    )
    const rows = Array.from({ length: 4 }, (_, r) => data.subarray(r * 16, r * 16 + 16))
    const zero = Array.from({ length: 4 }, () => new Uint8Array(20_001))
    const expected = mulShardsRef(rows, inputs)
    const got = run(true, 4, 16, data, inputs, zero)
    expect(got.map((o, r) => Buffer.compare(o, expected[r]!))).toEqual([0, 0, 0, 0])
  })

  it('is the module scripts/build-gf-simd.mjs assembles (wat2wasm, Debian package wabt)', () => {
    expect(() => execFileSync('wat2wasm', ['--version'])).not.toThrow()
    const committed = readFileSync(new URL('../src/gf-simd-module.ts', import.meta.url), 'utf8')
    expect(committed).toBe(gfSimdModuleSource(assembleGfSimd()))
  })
})
