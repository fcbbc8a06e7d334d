/**
 * Throughput of the compressors, the WebAssembly BLAKE2b-128 and the whole object pipeline
 * (k = 16, m = 4; decode with 4 data shards missing, so Reed-Solomon has to rebuild them) on
 * BENCH_MIB of random data, next to a plain memory copy of the same bytes measured in the same
 * run, with the ratio to it. Compressors are also timed on compressible text, which is what they
 * are for. Best of BENCH_ROUNDS after a 4 MiB warm-up; MB/s are 10^6 bytes of object per second.
 *
 *   pnpm --filter @qsfs/zstor-codec bench:pipeline   # BENCH_ROUNDS=3, BENCH_MIB=256 by default
 *   BENCH_ROWS=pipeline BENCH_THREADS=2 ...          # pipeline rows only; pool size
 */
import { randomFillSync } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import {
  blake2b128,
  type Compression,
  compress,
  createCodecPool,
  decodeObject,
  decompress,
  encodeObject,
  loadWasmChecksum,
} from '../src/index.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const TOTAL = Number(process.env.BENCH_MIB ?? 256) * 2 ** 20
const K = 16
const M = 4
/** Object size of the pool rows: the default object size of encodeStream. */
const OBJECT = 32 * 2 ** 20
const POOL_THREADS = Number(process.env.BENCH_THREADS ?? 2)

/**
 * Best wall time of ROUNDS, and the CPU time of that round (every thread of the process, so
 * pool workers count): on a machine shared with other work, CPU time per byte is what a
 * quiet machine would turn into throughput.
 */
async function best(run: (input: Uint8Array) => unknown, input: Uint8Array): Promise<[number, number]> {
  await run(input.subarray(0, 4 * 2 ** 20)) // warm-up: JIT, WebAssembly memory, first allocations
  let ms = Number.POSITIVE_INFINITY
  let cpu = 0
  for (let i = 0; i < ROUNDS; i++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    await run(input)
    const wall = performance.now() - t0
    const used = process.cpuUsage(c0)
    if (wall < ms) {
      ms = wall
      cpu = (used.user + used.system) / 1000
    }
  }
  return [ms, cpu]
}

await loadWasmChecksum()
const data = randomFillSync(Buffer.allocUnsafe(TOTAL))
const words = ['zstor ', 'shard ', 'parity ', '0-db ', 'QSFS ', 'object ', 'quantum ', 'safe ']
const text = Buffer.allocUnsafe(TOTAL)
for (let i = 0; i < TOTAL; ) i += text.write(words[data[i]! & 7]!, i)
const copyTarget = Buffer.allocUnsafe(TOTAL)
const key = randomFillSync(new Uint8Array(32))

const rows: [string, [number, number]][] = []
const row = async (name: string, run: (input: Uint8Array) => unknown, input: Uint8Array = data) => {
  rows.push([name, await best(run, input)])
}

await row('`Buffer.copy` (baseline)', () => data.copy(copyTarget))
await row('BLAKE2b-128, `wasm` engine (hash-wasm)', (d) => blake2b128(d))
// BENCH_ROWS=pipeline skips the compressor rows (a quicker run of the pipeline alone).
const compressors = process.env.BENCH_ROWS === 'pipeline' ? [] : (['snappy', 'zstd'] as Compression[])
for (const compression of compressors) {
  for (const [kind, input] of [
    ['random', data],
    ['text', text],
  ] as const) {
    const packed = await compress(input, compression)
    const ratio = ((packed.length / input.length) * 100).toFixed(1)
    await row(`${compression} compress, ${kind} (${ratio}% of input)`, (d) => compress(d, compression), input)
    await row(`${compression} decompress, ${kind}`, () => decompress(packed, compression), input)
  }
}
for (const compression of ['none', 'snappy', 'zstd'] as Compression[]) {
  const { shards, meta } = await encodeObject(data, { k: K, m: M, compression, key })
  const lost = shards.map((s, i) => (i < M ? null : s))
  const back = await decodeObject(lost, meta, key)
  if (Buffer.compare(back, data) !== 0) throw new Error(`pipeline with ${compression} did not round-trip`)
  await row(`encodeObject, ${compression}`, (d) => encodeObject(d, { k: K, m: M, compression, key }))
  await row(`decodeObject, ${compression}, 4 data shards missing`, () => decodeObject(lost, meta, key))
}
{
  // Objects of the default stream size, one after the other here and then spread over a pool of
  // worker threads (the way encodeStream/decodeStream and zstor-client use both cores).
  const objects = Array.from({ length: TOTAL / OBJECT }, (_, i) =>
    data.subarray(i * OBJECT, (i + 1) * OBJECT),
  )
  const options = { k: K, m: M, compression: 'none', key } as const
  const encoded = await Promise.all(objects.map((o) => encodeObject(o, options)))
  const lost = encoded.map(({ shards }) => shards.map((s, i) => (i < M ? null : s)))
  const each =
    <T>(items: readonly T[], run: (item: T) => Promise<unknown>) =>
    async () => {
      for (const item of items) await run(item)
    }
  const mib = OBJECT / 2 ** 20
  await row(
    `encodeObject, none, ${mib} MiB objects, main thread`,
    each(objects, (o) => encodeObject(o, options)),
  )
  await row(
    `decodeObject, none, ${mib} MiB objects, 4 data shards missing, main thread`,
    each(lost, async (s) => decodeObject(s, encoded[lost.indexOf(s)]!.meta, key)),
  )
  const pool = createCodecPool({ threads: POOL_THREADS })
  const inPool =
    <T>(items: readonly T[], run: (item: T) => Promise<unknown>) =>
    async () => {
      // Twice as many objects in flight as threads, so a thread never waits for the next one.
      let next = 0
      const lane = async () => {
        while (next < items.length) await run(items[next++]!)
      }
      await Promise.all(Array.from({ length: 2 * POOL_THREADS }, lane))
    }
  await row(
    `encodeObject, none, ${mib} MiB objects, pool of ${POOL_THREADS} threads`,
    inPool(objects, (o) => pool.encode(o, options)),
  )
  await row(
    `decodeObject, none, ${mib} MiB objects, 4 data shards missing, pool of ${POOL_THREADS} threads`,
    inPool(lost, (s) => pool.decode(s, encoded[lost.indexOf(s)]!.meta, key)),
  )
  await pool.close()
}
{
  // The optional native erasure profile (not readable by upstream 0-stor), compression off.
  const options = { k: K, m: M, compression: 'none', key, erasure: 'ronomon' } as const
  const { shards, meta } = await encodeObject(data, options)
  const lost = shards.map((s, i) => (i < M ? null : s))
  if (Buffer.compare(await decodeObject(lost, meta, key), data) !== 0)
    throw new Error('ronomon did not round-trip')
  await row('encodeObject, none, `ronomon` erasure profile', (d) => encodeObject(d, options))
  await row('decodeObject, none, `ronomon`, 4 data shards missing', () => decodeObject(lost, meta, key))
}

const mbps = (ms: number) => TOTAL / 1e6 / (ms / 1000)
const baseline = mbps(rows[0]![1][0])
console.log(`${TOTAL / 2 ** 20} MiB of random data (and of text for the text rows), best of ${ROUNDS}`)
console.log(`Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)\n`)
console.log(
  `load average at the end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
)
console.log('| operation | time | MB/s | ratio to copy | MB per CPU-second |')
console.log('|---|---|---|---|---|')
for (const [name, [ms, cpu]] of rows) {
  console.log(
    `| ${name} | ${ms.toFixed(1)} ms | ${mbps(ms).toFixed(0)} | ${(mbps(ms) / baseline).toFixed(3)}× | ${mbps(cpu).toFixed(0)} |`,
  )
}
