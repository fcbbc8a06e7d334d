/**
 * The bulk kernel of every matrix-based coder in this package: `outputs ^= M × inputs`, where
 * `M` is a small GF(2^8) matrix and each input and output is a whole shard (spec
 * shared/specs/zstor.md §2, step 4: encoding is the parity rows times the data shards,
 * reconstruction a decode matrix times k present shards).
 *
 * Speed within plain JavaScript comes from three choices, each measured (see the README):
 * - each coefficient `c` gets a 256-byte product row (`c · x` for every byte x), so a product
 *   is one table load;
 * - shards are read and written as 32-bit words (4 products per load/store), the 4 byte lanes
 *   split out with shifts; lanes never carry into each other, so this is endian-neutral;
 * - each input word feeds up to 4 output rows at once, and shards are walked in 8 KiB blocks
 *   so the outputs being built stay in cache while every input passes over them.
 * @module
 */

import { mulAccumulateSimd, nibbleTables } from './gf-simd.js'
import { GF_MUL_TABLE } from './gf256.js'
import type { GfMatrix } from './matrix.js'

/** Output rows handled per pass over an input. More would spill registers in V8. */
const GROUP = 4
/** Words per block: 8 KiB of every shard, so `m + 1` blocks and the tables fit in L1/L2. */
const BLOCK_WORDS = 2048

/** A matrix turned into per-coefficient product rows, ready for {@link mulAccumulate}. */
export interface MulPlan {
  /** Output shards (matrix rows). */
  readonly rows: number
  /** Input shards (matrix columns). */
  readonly cols: number
  /**
   * `tables[g * cols + j]` holds, for output rows `4g ..` (up to 4) and input `j`, one 256-byte
   * product row per output row, back to back.
   */
  readonly tables: readonly Uint8Array[]
  /** The matrix as the SIMD kernel's split-nibble tables (gf-simd.ts). */
  readonly nibbles: Uint8Array
  /** Bytes held by the tables, for cache accounting. */
  readonly bytes: number
}

let simdEnabled = true

/**
 * Turns the WebAssembly SIMD kernel off (or back on) for this thread, so tests and benches can
 * run the scalar kernel where SIMD exists. Both give the same bytes.
 */
export function setGfSimdEnabled(enabled: boolean): void {
  simdEnabled = enabled
}

export function createMulPlan(matrix: GfMatrix): MulPlan {
  const { rows, cols, data } = matrix
  const store = new Uint8Array(rows * cols * 256)
  const tables: Uint8Array[] = []
  let at = 0
  for (let r0 = 0; r0 < rows; r0 += GROUP) {
    const n = Math.min(GROUP, rows - r0)
    for (let j = 0; j < cols; j++) {
      const t = store.subarray(at, at + n * 256)
      for (let r = 0; r < n; r++) {
        const c = data[(r0 + r) * cols + j]!
        t.set(GF_MUL_TABLE.subarray(c << 8, (c << 8) + 256), r * 256)
      }
      tables.push(t)
      at += n * 256
    }
  }
  const nibbles = nibbleTables(rows, cols, data)
  return { rows, cols, tables, nibbles, bytes: store.length + nibbles.length }
}

const scratch = new Uint32Array(BLOCK_WORDS)
const scratch8 = new Uint8Array(scratch.buffer)

/**
 * XORs `plan × inputs` into `outputs` over the first `length` bytes of every shard. Outputs
 * are usually fresh zeroed arrays. Inputs may sit at any byte offset (unaligned blocks are
 * copied to an aligned scratch block first); outputs must start at a multiple of 4 bytes.
 */
export function mulAccumulate(
  plan: MulPlan,
  inputs: readonly Uint8Array[],
  outputs: readonly Uint8Array[],
  length: number,
): void {
  const { rows, cols, tables } = plan
  if (simdEnabled && mulAccumulateSimd(plan.nibbles, rows, cols, inputs, outputs, length)) return
  const words = length >>> 2
  const src32 = inputs.map((a) =>
    (a.byteOffset & 3) === 0 ? new Uint32Array(a.buffer, a.byteOffset, words) : undefined,
  )
  const dst32 = outputs.map((o) => {
    if ((o.byteOffset & 3) !== 0) throw new Error('mulAccumulate: outputs must be 4-byte aligned')
    return new Uint32Array(o.buffer, o.byteOffset, words)
  })

  for (let s = 0; s < words; s += BLOCK_WORDS) {
    const e = Math.min(words, s + BLOCK_WORDS)
    for (let j = 0; j < cols; j++) {
      let src = src32[j]
      let off = 0
      if (src === undefined) {
        scratch8.set(inputs[j]!.subarray(s << 2, e << 2))
        src = scratch
        off = -s
      }
      for (let g = 0, r0 = 0; r0 < rows; g++, r0 += GROUP) {
        const t = tables[g * cols + j]!
        switch (Math.min(GROUP, rows - r0)) {
          case 4:
            mul4(t, src, off, dst32[r0]!, dst32[r0 + 1]!, dst32[r0 + 2]!, dst32[r0 + 3]!, s, e)
            break
          case 3:
            mul3(t, src, off, dst32[r0]!, dst32[r0 + 1]!, dst32[r0 + 2]!, s, e)
            break
          case 2:
            mul2(t, src, off, dst32[r0]!, dst32[r0 + 1]!, s, e)
            break
          default:
            mul1(t, src, off, dst32[r0]!, s, e)
        }
      }
    }
  }

  for (let i = words << 2; i < length; i++) {
    for (let j = 0; j < cols; j++) {
      const x = inputs[j]![i]!
      for (let r = 0; r < rows; r++) {
        const t = tables[(r >> 2) * cols + j]!
        const o = outputs[r]!
        o[i] = o[i]! ^ t[((r & 3) << 8) | x]!
      }
    }
  }
}

// One kernel per group size keeps each loop monomorphic with its outputs in registers.

function mul4(
  t: Uint8Array,
  src: Uint32Array,
  off: number,
  o0: Uint32Array,
  o1: Uint32Array,
  o2: Uint32Array,
  o3: Uint32Array,
  s: number,
  e: number,
): void {
  for (let i = s; i < e; i++) {
    const w = src[i + off]!
    const b0 = w & 255
    const b1 = (w >>> 8) & 255
    const b2 = (w >>> 16) & 255
    const b3 = w >>> 24
    o0[i] = o0[i]! ^ t[b0]! ^ (t[b1]! << 8) ^ (t[b2]! << 16) ^ (t[b3]! << 24)
    o1[i] = o1[i]! ^ t[256 + b0]! ^ (t[256 + b1]! << 8) ^ (t[256 + b2]! << 16) ^ (t[256 + b3]! << 24)
    o2[i] = o2[i]! ^ t[512 + b0]! ^ (t[512 + b1]! << 8) ^ (t[512 + b2]! << 16) ^ (t[512 + b3]! << 24)
    o3[i] = o3[i]! ^ t[768 + b0]! ^ (t[768 + b1]! << 8) ^ (t[768 + b2]! << 16) ^ (t[768 + b3]! << 24)
  }
}

function mul3(
  t: Uint8Array,
  src: Uint32Array,
  off: number,
  o0: Uint32Array,
  o1: Uint32Array,
  o2: Uint32Array,
  s: number,
  e: number,
): void {
  for (let i = s; i < e; i++) {
    const w = src[i + off]!
    const b0 = w & 255
    const b1 = (w >>> 8) & 255
    const b2 = (w >>> 16) & 255
    const b3 = w >>> 24
    o0[i] = o0[i]! ^ t[b0]! ^ (t[b1]! << 8) ^ (t[b2]! << 16) ^ (t[b3]! << 24)
    o1[i] = o1[i]! ^ t[256 + b0]! ^ (t[256 + b1]! << 8) ^ (t[256 + b2]! << 16) ^ (t[256 + b3]! << 24)
    o2[i] = o2[i]! ^ t[512 + b0]! ^ (t[512 + b1]! << 8) ^ (t[512 + b2]! << 16) ^ (t[512 + b3]! << 24)
  }
}

function mul2(
  t: Uint8Array,
  src: Uint32Array,
  off: number,
  o0: Uint32Array,
  o1: Uint32Array,
  s: number,
  e: number,
): void {
  for (let i = s; i < e; i++) {
    const w = src[i + off]!
    const b0 = w & 255
    const b1 = (w >>> 8) & 255
    const b2 = (w >>> 16) & 255
    const b3 = w >>> 24
    o0[i] = o0[i]! ^ t[b0]! ^ (t[b1]! << 8) ^ (t[b2]! << 16) ^ (t[b3]! << 24)
    o1[i] = o1[i]! ^ t[256 + b0]! ^ (t[256 + b1]! << 8) ^ (t[256 + b2]! << 16) ^ (t[256 + b3]! << 24)
  }
}

function mul1(t: Uint8Array, src: Uint32Array, off: number, o0: Uint32Array, s: number, e: number): void {
  for (let i = s; i < e; i++) {
    const w = src[i + off]!
    o0[i] =
      o0[i]! ^ t[w & 255]! ^ (t[(w >>> 8) & 255]! << 8) ^ (t[(w >>> 16) & 255]! << 16) ^ (t[w >>> 24]! << 24)
  }
}
