/**
 * MB/s of the CRC-32C kernels: the WebAssembly one (crc32c-wasm.ts) next to the slice-by-16
 * JavaScript loop it replaces from WASM_FROM bytes on, in the same process, alternating. Each
 * figure is the best of many timed passes (the least disturbed by other load), then the median
 * over passes, since the machine is shared.
 *
 *   pnpm --filter @qsfs/zdb-server bench:crc
 */
import { CRC32C_TABLES, crc32cTables } from '../src/crc32c.js'
import { createCrc32cKernel } from '../src/crc32c-wasm.js'

const kernel = createCrc32cKernel(CRC32C_TABLES)
if (!kernel) throw new Error('WebAssembly is not available here')
const wasm = kernel

const SIZES = [2 * 1024 * 1024, 64 * 1024, 4096, 1024, 256]
const PASSES = 60

/** ms of one pass of `reps` CRCs of `data`. */
function pass(fn: (data: Uint8Array) => number, data: Uint8Array, reps: number): number {
  const t = performance.now()
  for (let i = 0; i < reps; i++) fn(data)
  return performance.now() - t
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const rows = [['bytes', 'JS slice-by-16 MB/s', 'WASM MB/s', 'ratio (best)', 'ratio (median)']]
for (const size of SIZES) {
  const data = new Uint8Array(size)
  for (let i = 0; i < size; i++) data[i] = (i * 131 + (i >>> 7)) & 0xff
  if (wasm(data, 0) !== crc32cTables(data)) throw new Error(`the kernels disagree at ${size} bytes`)
  const reps = Math.max(1, Math.floor((4 * 1024 * 1024) / size))
  const js: number[] = []
  const wa: number[] = []
  for (let p = 0; p < PASSES; p++) {
    js.push(pass((d) => crc32cTables(d), data, reps))
    wa.push(pass((d) => wasm(d, 0), data, reps))
  }
  const mbs = (ms: number) => (reps * size) / 1e6 / (ms / 1000)
  const bestJs = mbs(Math.min(...js))
  const bestWasm = mbs(Math.min(...wa))
  rows.push([
    String(size),
    `${bestJs.toFixed(0)} (median ${mbs(median(js)).toFixed(0)})`,
    `${bestWasm.toFixed(0)} (median ${mbs(median(wa)).toFixed(0)})`,
    `${(bestWasm / bestJs).toFixed(2)}x`,
    `${(median(js) / median(wa)).toFixed(2)}x`,
  ])
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '))
console.log(`node ${process.version}`)
