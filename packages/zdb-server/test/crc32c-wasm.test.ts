import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { assembleCrc32c, crc32cModuleSource } from '../scripts/build-crc32c-wasm.mjs'
import { CRC32C_TABLES, crc32c, crc32cTables, WASM_FROM } from '../src/crc32c.js'
import { createCrc32cKernel } from '../src/crc32c-wasm.js'

const kernel = createCrc32cKernel(CRC32C_TABLES)!

/** Bytes that are not a repeating pattern of any short period. */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

describe('the WebAssembly CRC-32C kernel', () => {
  it('is available here', () => {
    expect(kernel).toBeTypeOf('function')
  })

  it('agrees with the JavaScript tables at every length and offset, from any previous CRC', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(15), fc.nat(0xffffffff), (bytes, skip, seed) => {
        const view = bytes.subarray(Math.min(skip, bytes.length))
        expect(kernel(view, seed)).toBe(crc32cTables(view, seed))
      }),
      { seed: 0xc32, numRuns: 400 },
    )
  })

  it('agrees with the JavaScript tables across its 96 KiB chunks and on 2 MiB values', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(96 * 1024 - 1, 96 * 1024, 96 * 1024 + 17, 3 * 96 * 1024 + 5, 2 * 1024 * 1024),
        fc.nat(15),
        fc.nat(0xffffffff),
        (length, skip, seed) => {
          const view = noise(length + skip, seed).subarray(skip)
          expect(kernel(view, seed)).toBe(crc32cTables(view, seed))
        },
      ),
      { seed: 0xc33, numRuns: 30 },
    )
  })

  it('is what crc32c uses from WASM_FROM bytes on, with the same results below and above', () => {
    for (const length of [WASM_FROM - 1, WASM_FROM, WASM_FROM + 1, 4096, 65_537]) {
      const data = noise(length, length)
      expect(crc32c(data)).toBe(crc32cTables(data))
      expect(crc32c(data, 0x12345678)).toBe(crc32cTables(data, 0x12345678))
    }
    // Continuing across the threshold: a short part, then a long one.
    const all = noise(5000, 7)
    expect(crc32c(all.subarray(100), crc32c(all.subarray(0, 100)))).toBe(crc32cTables(all))
  })

  it('is the module scripts/build-crc32c-wasm.mjs assembles (wat2wasm, Debian package wabt)', () => {
    expect(() => execFileSync('wat2wasm', ['--version'])).not.toThrow()
    const committed = readFileSync(new URL('../src/crc32c-wasm-module.ts', import.meta.url), 'utf8')
    expect(committed).toBe(crc32cModuleSource(assembleCrc32c()))
  })
})
