import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { crc32c, loadWasmCrc32c, maskedCrc32c } from '../src/crc32c.js'
import { COMPRESSIONS, CompressionError, compress, decompress } from '../src/index.js'
import { compressBlock, decompressBlock } from '../src/snappy-block.js'
import { snappyFrameCompress, snappyFrameDecompress } from '../src/snappy-frame.js'
import { loadZstd, zstdContentSize, zstdDecompressLoaded } from '../src/zstd.js'
import { bytes, hex, unhex } from './helpers.js'

type Input = { utf8: string; repeat?: number } | { pattern: number } | { hex: string }
type SnappyCase =
  | (Input & { compress: string; framed: string })
  | { description: string; expected: string; framed: string }

const load = <T>(name: string) =>
  JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8')) as {
    source: string
    cases: T[]
  }
const snappyVectors = load<SnappyCase>('snappy-frame.json')
const zstdVectors = load<Input & { flags: string; frame: string }>('zstd.json')

function message(c: Input): Uint8Array {
  if ('hex' in c) return unhex(c.hex)
  if ('pattern' in c) return Uint8Array.from({ length: c.pattern }, (_, i) => i % 251)
  return new TextEncoder().encode(c.utf8.repeat(c.repeat ?? 1))
}
const label = (c: Input) =>
  'hex' in c
    ? `${c.hex.length / 2} random bytes`
    : 'pattern' in c
      ? `${c.pattern} pattern bytes`
      : `${c.utf8.length * (c.repeat ?? 1)} bytes of text`

/** The error `fn` throws, which must be a CompressionError `ERR_DECOMPRESS`. */
function decompressError(fn: () => unknown): CompressionError {
  try {
    fn()
  } catch (error) {
    if (error instanceof CompressionError && error.code === 'ERR_DECOMPRESS') return error
    throw error
  }
  throw new Error('expected ERR_DECOMPRESS')
}

/** Compressible bytes: runs of a few symbols with repeats, the kind snappy and zstd shrink. */
const compressible = fc
  .array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 300 })), {
    maxLength: 60,
  })
  .map((runs) => {
    const parts = runs.flatMap(([piece, times]) => Array<Uint8Array>(times).fill(piece))
    return Uint8Array.from(parts.flatMap((p) => [...p]))
  })

describe('CRC-32C', () => {
  it('gives the standard check value of "123456789" and its masked form', () => {
    const data = new TextEncoder().encode('123456789')
    expect(crc32c(data).toString(16)).toBe('e3069283')
    const c = 0xe3069283
    expect(maskedCrc32c(data)).toBe((((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0)
  })

  it('gives the same value whatever the length modulo 8, as a bitwise reference does', () => {
    const ref = (d: Uint8Array) => {
      let c = 0xffffffff
      for (const b of d) {
        c ^= b
        for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
      }
      return (c ^ 0xffffffff) >>> 0
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (d) => crc32c(d) === ref(d)))
  })

  it('the WebAssembly engine, once loaded, gives the bitwise reference values too', async () => {
    await loadWasmCrc32c()
    const ref = (d: Uint8Array) => {
      let c = 0xffffffff
      for (const b of d) {
        c ^= b
        for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
      }
      return (c ^ 0xffffffff) >>> 0
    }
    fc.assert(fc.property(fc.uint8Array({ minLength: 64, maxLength: 400 }), (d) => crc32c(d) === ref(d)))
  })
})

describe('snappy framing against python-snappy over libsnappy (test/vectors/snappy-frame.json)', () => {
  it('has every case present, so none is skipped silently', () => {
    expect(snappyVectors.cases.length).toBeGreaterThanOrEqual(25)
  })

  for (const c of snappyVectors.cases) {
    const name = 'description' in c ? c.description : `${label(c)} (${c.compress} compression)`
    it(`decodes the framed stream of ${name}`, () => {
      const expected = 'description' in c ? unhex(c.expected) : message(c)
      expect(hex(snappyFrameDecompress(unhex(c.framed)))).toBe(hex(expected))
    })
  }

  it('writes the chunks libsnappy writes: same types and CRCs, same stored bytes, nothing for empty input', () => {
    /** `[type, crc, body]` of every chunk after the stream identifier. */
    const chunks = (framed: Uint8Array) => {
      const out: [number, string, string][] = []
      for (let pos = 10; pos < framed.length; ) {
        const length = framed[pos + 1]! | (framed[pos + 2]! << 8) | (framed[pos + 3]! << 16)
        const body = framed.subarray(pos + 8, pos + 4 + length)
        out.push([framed[pos]!, hex(framed.subarray(pos + 4, pos + 8)), framed[pos] === 1 ? hex(body) : ''])
        pos += 4 + length
      }
      return out
    }
    let compared = 0
    for (const c of snappyVectors.cases) {
      if ('description' in c || c.compress !== 'auto') continue
      const data = message(c)
      const ours = snappyFrameCompress(data)
      if (data.length === 0) {
        expect(ours.length).toBe(0) // snap's FrameEncoder writes no stream identifier for no data
        continue
      }
      expect(hex(ours.subarray(0, 10))).toBe(c.framed.slice(0, 20))
      // The snappy blocks themselves may differ: libsnappy 1.1.9 finds matches a little differently.
      expect(chunks(ours)).toEqual(chunks(unhex(c.framed)))
      compared++
    }
    expect(compared).toBe(9)
  })
})

describe('snappy framing', () => {
  it('after a run of incompressible chunks it stops trying, and compresses again once data allows', () => {
    const random = bytes(40 * 65536, 5)
    const text = new TextEncoder().encode('ledger entry 0001; '.repeat((20 * 65536) / 19))
    const input = new Uint8Array(random.length + text.length)
    input.set(random)
    input.set(text, random.length)
    const framed = snappyFrameCompress(input)
    expect(Buffer.compare(snappyFrameDecompress(framed), input)).toBe(0)
    // At most 8 chunks of the compressible tail (20 chunks) go raw before it is tried again.
    expect(framed.length).toBeLessThan(random.length + text.length / 2)
  })

  it('round-trips any bytes, random or compressible, and splits them into chunks of at most 64 KiB', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200_000 }), compressible), (data) => {
        const framed = snappyFrameCompress(data)
        expect(hex(snappyFrameDecompress(framed))).toBe(hex(data))
        let pos = 10
        let chunks = 0
        while (pos < framed.length) {
          const length = framed[pos + 1]! | (framed[pos + 2]! << 8) | (framed[pos + 3]! << 16)
          expect([0, 1]).toContain(framed[pos])
          pos += 4 + length
          chunks++
        }
        expect(chunks).toBe(Math.ceil(data.length / 65536))
      }),
      { numRuns: 40 },
    )
  })

  it('stores a chunk uncompressed when snappy saves less than an eighth, as snap does', () => {
    const framed = snappyFrameCompress(bytes(1000, 7))
    expect(framed[10]).toBe(0x01)
    expect(snappyFrameCompress(new Uint8Array(1000))[10]).toBe(0x00)
  })

  it('refuses a stream without the stream identifier, saying so', () => {
    const framed = snappyFrameCompress(new Uint8Array(100))
    expect(decompressError(() => snappyFrameDecompress(framed.subarray(10))).message).toContain(
      'does not start with the stream identifier',
    )
    const wrong = framed.slice()
    wrong[9] = 0x79 // "sNaPpy"
    expect(decompressError(() => snappyFrameDecompress(wrong)).message).toContain('not "sNaPpY"')
  })

  it('refuses a chunk whose data does not match its CRC, naming both values', () => {
    const framed = snappyFrameCompress(bytes(300, 3)) // one uncompressed chunk
    framed[30]! ^= 1
    expect(decompressError(() => snappyFrameDecompress(framed)).message).toMatch(/CRC mismatch .* stored 0x/)
  })

  it('skips the CRCs only when asked, for callers that check the output another way', async () => {
    const framed = snappyFrameCompress(bytes(300, 3))
    framed[14]! ^= 1 // the first chunk's CRC (after the 10-byte identifier and 4-byte header)
    await expect(decompress(framed, 'snappy')).rejects.toThrow(/CRC mismatch/)
    expect(hex(await decompress(framed, 'snappy', { verifyChecksums: false }))).toBe(hex(bytes(300, 3)))
  })

  it('refuses reserved unskippable chunk types 0x02..0x7f and skips 0x80..0xfe', () => {
    const framed = snappyFrameCompress(new Uint8Array(10))
    for (const type of [0x02, 0x40, 0x7f]) {
      const stream = Uint8Array.from([...framed, type, 1, 0, 0, 9])
      expect(decompressError(() => snappyFrameDecompress(stream)).message).toContain('reserved unskippable')
    }
    for (const type of [0x80, 0xc0, 0xfe]) {
      const stream = Uint8Array.from([...framed, type, 1, 0, 0, 9])
      expect(snappyFrameDecompress(stream)).toEqual(new Uint8Array(10))
    }
  })

  it('refuses an uncompressed chunk over 64 KiB and output over maxLength', () => {
    const big = new Uint8Array(65537 + 4)
    const length = big.length
    const stream = Uint8Array.from([
      ...snappyFrameCompress(new Uint8Array(1)).subarray(0, 10),
      0x01,
      length & 0xff,
      (length >> 8) & 0xff,
      length >> 16,
      ...big,
    ])
    expect(decompressError(() => snappyFrameDecompress(stream)).message).toContain('over the 65536 allowed')
    const framed = snappyFrameCompress(new Uint8Array(5000))
    expect(snappyFrameDecompress(framed, 5000).length).toBe(5000)
    expect(decompressError(() => snappyFrameDecompress(framed, 4999)).message).toContain('4999')
  })

  it('refuses every truncation of a stream with ERR_DECOMPRESS, except at a chunk boundary', () => {
    const data = new TextEncoder().encode('QSFS stores objects on 0-db backends; '.repeat(40))
    const framed = snappyFrameCompress(data)
    for (let cut = 1; cut < framed.length; cut++) {
      if (cut === 10) {
        expect(snappyFrameDecompress(framed.subarray(0, cut)).length).toBe(0)
        continue
      }
      decompressError(() => snappyFrameDecompress(framed.subarray(0, cut)))
    }
  })

  it('never throws anything but ERR_DECOMPRESS on corrupted streams or garbage', () => {
    fc.assert(
      fc.property(
        compressible,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        (data, flips) => {
          const framed = snappyFrameCompress(data)
          if (framed.length === 0) return
          for (const [at, mask] of flips) framed[at % framed.length]! ^= mask
          try {
            snappyFrameDecompress(framed, data.length + 100)
          } catch (error) {
            expect(error).toBeInstanceOf(CompressionError)
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('raw snappy blocks', () => {
  it('never throws anything but ERR_DECOMPRESS on corrupted blocks, and never writes past the stated length', () => {
    fc.assert(
      fc.property(
        compressible,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        (data, flips) => {
          const block = compressBlock(data)
          for (const [at, mask] of flips) block[at % block.length]! ^= mask
          try {
            const out = decompressBlock(block, 1 << 20)
            expect(out.length).toBeLessThanOrEqual(1 << 20)
          } catch (error) {
            expect(error).toBeInstanceOf(CompressionError)
          }
        },
      ),
      { numRuns: 500 },
    )
  })

  it('refuses a block stating more than maxLength before allocating it', () => {
    expect(
      decompressError(() => decompressBlock(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), 65536)).message,
    ).toContain('more than the 65536 allowed')
  })
})

describe('zstd against the zstd command-line tool (test/vectors/zstd.json)', () => {
  it('has every case present, so none is skipped silently', () => {
    expect(zstdVectors.cases.length).toBeGreaterThanOrEqual(20)
  })

  for (const c of zstdVectors.cases) {
    it(`decodes the frame of ${label(c)} written with zstd ${c.flags}`, async () => {
      const data = message(c)
      expect(hex(await decompress(unhex(c.frame), 'zstd'))).toBe(hex(data))
    })
  }
})

describe('zstd', () => {
  it('refuses input that is not a zstd frame, states no size, or states more than maxLength', async () => {
    await loadZstd()
    expect(decompressError(() => zstdDecompressLoaded(bytes(100, 1), 1000)).message).toContain(
      'not a zstd frame',
    )
    // Frame header descriptor 0x00: no content size, a window descriptor follows.
    const noSize = Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x01, 0x00, 0x00)
    expect(decompressError(() => zstdDecompressLoaded(noSize, 1000)).message).toContain(
      'does not state its content size',
    )
    const frame = await compress(new Uint8Array(5000), 'zstd')
    expect(zstdContentSize(frame)).toBe(5000)
    expect(decompressError(() => zstdDecompressLoaded(frame, 4999)).message).toContain(
      'more than the 4999 allowed',
    )
  })

  it('never throws anything but ERR_DECOMPRESS on corrupted frames', async () => {
    await loadZstd()
    const frames = [
      await compress(bytes(3000, 5), 'zstd'),
      await compress(message({ utf8: 'zstd ', repeat: 500 }), 'zstd'),
    ]
    fc.assert(
      fc.property(
        fc.constantFrom(...frames),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        (original, flips) => {
          const frame = original.slice()
          for (const [at, mask] of flips) frame[at % frame.length]! ^= mask
          try {
            zstdDecompressLoaded(frame, 10_000)
          } catch (error) {
            expect(error).toBeInstanceOf(CompressionError)
          }
        },
      ),
      { numRuns: 300 },
    )
    for (let cut = 0; cut < frames[1]!.length; cut++)
      decompressError(() => zstdDecompressLoaded(frames[1]!.subarray(0, cut), 10_000))
  })
})

describe('compress and decompress', () => {
  it('round-trip any bytes with every compression', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 100_000 }), compressible), async (data) => {
        for (const compression of COMPRESSIONS) {
          const packed = await compress(data, compression)
          const back = await decompress(packed, compression, { maxLength: data.length })
          expect(hex(back)).toBe(hex(data))
        }
      }),
      { numRuns: 40 },
    )
  })

  it('shrinks compressible data with snappy and zstd and leaves it as it is with none', async () => {
    const data = message({ utf8: 'QSFS stores objects on 0-db backends; ', repeat: 2000 })
    expect((await compress(data, 'snappy')).length).toBeLessThan(data.length / 4)
    expect((await compress(data, 'zstd')).length).toBeLessThan(data.length / 100)
    expect(await compress(data, 'none')).toBe(data)
  })

  it('refuses an unknown compression with ERR_COMPRESSION_ARGUMENT, and none over maxLength', async () => {
    const error = await compress(new Uint8Array(1), 'lz4' as 'none').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CompressionError)
    expect((error as CompressionError).code).toBe('ERR_COMPRESSION_ARGUMENT')
    expect((error as CompressionError).message).toContain("'snappy', 'zstd' or 'none'")
    const over = await decompress(new Uint8Array(10), 'none', { maxLength: 9 }).catch((e: unknown) => e)
    expect((over as CompressionError).code).toBe('ERR_DECOMPRESS')
  })
})
