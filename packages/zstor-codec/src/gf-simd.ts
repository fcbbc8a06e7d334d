/**
 * The WebAssembly SIMD form of the bulk kernel `outputs ^= M × inputs` (see gf-kernel.ts): 16
 * products per instruction pair instead of one table load per byte. Each coefficient `c` becomes
 * two 16-byte tables, `c · x` and `c · (x << 4)` for x = 0..15, and a product is the XOR of two
 * `i8x16.swizzle` lookups on the low and high nibble of each byte (the split-nibble method of
 * klauspost/reedsolomon's and ISA-L's SIMD kernels). Field and results are the same as the
 * scalar kernel's; only the speed differs. The module is built by scripts/build-gf-simd.mjs.
 *
 * Shards do not live in WebAssembly memory, so they pass through it in column chunks: every
 * input's chunk is copied in once, each group of up to 4 outputs is accumulated there, and the
 * results are copied back. 16 KiB chunks keep a 16 + 4 stripe (320 KiB) in L2.
 * @module
 */

import { GF_SIMD_WASM_BASE64 } from './gf-simd-module.js'
import { GF_MUL_TABLE } from './gf256.js'

/** Column chunk in bytes: a multiple of 16. */
const CHUNK = 16 * 1024
/** Output rows per kernel call: the module has `mul1` … `mul4`. */
const GROUP = 4
const PAGE = 65536

/** The part of the WebAssembly API used here (this package's TypeScript lib has no DOM types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object) => { exports: Record<string, unknown> }
}
interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}

type MulFn = (tab: number, nin: number, input: number, stride: number, out: number, len: number) => void

interface Kernel {
  readonly memory: WasmMemory
  readonly mul: readonly MulFn[]
}

let kernel: Kernel | null | undefined

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/**
 * The instantiated kernel, or `null` where WebAssembly or its SIMD extension is missing (the
 * scalar kernel is used then). Compiled synchronously on first use: the module is 1 KiB.
 */
function loadKernel(): Kernel | null {
  if (kernel !== undefined) return kernel
  kernel = null
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly
    const bytes = decodeBase64(GF_SIMD_WASM_BASE64)
    if (wasm?.validate(bytes)) {
      const { exports } = new wasm.Instance(new wasm.Module(bytes))
      const mul = [1, 2, 3, 4].map((g) => exports[`mul${g}`] as MulFn)
      kernel = { memory: exports.memory as WasmMemory, mul }
    }
  } catch {
    kernel = null
  }
  return kernel
}

/** Whether the SIMD kernel can run here. */
export function gfSimdAvailable(): boolean {
  return loadKernel() !== null
}

/**
 * The split-nibble tables of a `rows × cols` matrix, grouped as the kernel reads them: for the
 * group of output rows starting at `r0` (up to 4 rows, `n` of them), input `j` and row `r0 + r`,
 * 32 bytes at `(r0 · cols + j · n + r) · 32`.
 */
export function nibbleTables(rows: number, cols: number, data: Uint8Array): Uint8Array {
  const tables = new Uint8Array(rows * cols * 32)
  for (let r0 = 0; r0 < rows; r0 += GROUP) {
    const n = Math.min(GROUP, rows - r0)
    for (let j = 0; j < cols; j++) {
      for (let r = 0; r < n; r++) {
        const c = data[(r0 + r) * cols + j]!
        const at = (r0 * cols + j * n + r) * 32
        for (let x = 0; x < 16; x++) {
          tables[at + x] = GF_MUL_TABLE[(c << 8) | x]!
          tables[at + 16 + x] = GF_MUL_TABLE[(c << 8) | (x << 4)]!
        }
      }
    }
  }
  return tables
}

/**
 * `outputs ^= M × inputs` over `length` bytes with the SIMD kernel, `M` given as its
 * {@link nibbleTables}. Returns `false`, having done nothing, where the kernel cannot run.
 */
export function mulAccumulateSimd(
  tables: Uint8Array,
  rows: number,
  cols: number,
  inputs: readonly Uint8Array[],
  outputs: readonly Uint8Array[],
  length: number,
): boolean {
  const k = loadKernel()
  if (k === null) return false
  const tabBytes = (tables.length + 15) & ~15
  const inBase = tabBytes
  const outBase = inBase + cols * CHUNK
  const need = outBase + GROUP * CHUNK
  if (k.memory.buffer.byteLength < need) {
    k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / PAGE))
  }
  const heap = new Uint8Array(k.memory.buffer)
  heap.set(tables, 0)
  for (let s = 0; s < length; s += CHUNK) {
    const n = Math.min(CHUNK, length - s)
    // Bytes past `n` in the last chunk are left from the one before: they only reach output
    // bytes past `n`, which are never copied out.
    const len16 = (n + 15) & ~15
    for (let j = 0; j < cols; j++) heap.set(inputs[j]!.subarray(s, s + n), inBase + j * CHUNK)
    for (let r0 = 0; r0 < rows; r0 += GROUP) {
      const g = Math.min(GROUP, rows - r0)
      for (let r = 0; r < g; r++) heap.set(outputs[r0 + r]!.subarray(s, s + n), outBase + r * CHUNK)
      k.mul[g - 1]!(r0 * cols * 32, cols, inBase, CHUNK, outBase, len16)
      for (let r = 0; r < g; r++) {
        const at = outBase + r * CHUNK
        outputs[r0 + r]!.set(heap.subarray(at, at + n), s)
      }
    }
  }
  return true
}
