/**
 * Peak memory and throughput of the streaming pipeline (issue 4): STREAM_GIB of pseudo-random
 * bytes, generated chunk by chunk and never held whole, go through encodeStream → decodeStream
 * (k = 16, m = 4, compression none, objects of STREAM_OBJECT_MIB); a running BLAKE2b-128 of the
 * input is compared with one of the output. Prints peak RSS (VmHWM from /proc/self/status, and
 * the largest `process.memoryUsage().rss` sampled once per object) next to the object size, and
 * the MB/s of the whole run next to a baseline measured in the same run: generating and hashing
 * the same bytes with no codec between.
 *
 *   pnpm --filter @qsfs/zstor-codec bench:stream-memory
 *   STREAM_GIB=2 STREAM_OBJECT_MIB=32 STREAM_CONCURRENCY=1 STREAM_LOSE=0 (defaults; STREAM_LOSE
 *   data shards of every object are dropped before decoding, so Reed-Solomon rebuilds them)
 */
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import {
  createBlake2b128,
  decodeStream,
  encodeStream,
  loadWasmChecksum,
  type StoredStreamObject,
} from '../src/index.js'

const MIB = 2 ** 20
const TOTAL = Number(process.env.STREAM_GIB ?? 2) * 2 ** 30
const OBJECT_SIZE = Number(process.env.STREAM_OBJECT_MIB ?? 32) * MIB
const CONCURRENCY = Number(process.env.STREAM_CONCURRENCY ?? 1)
const LOSE = Number(process.env.STREAM_LOSE ?? 0)
const K = 16
const M = 4
const CHUNK = MIB + 20 // not a divisor of the object size: object boundaries fall inside chunks

function vmHwmMiB(): number {
  const line = readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s+(\d+) kB$/m)
  return line ? Number(line[1]) / 1024 : Number.NaN
}

let peakRss = 0
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
}

/** TOTAL pseudo-random bytes (xorshift128) in fresh chunks, as a file read would give them. */
async function* generate(hash: { update(data: Uint8Array): unknown }): AsyncGenerator<Uint8Array> {
  let a = 0x9e3779b9
  let b = 0x243f6a88
  let c = 0xb7e15162
  let d = 0x12345678
  for (let left = TOTAL; left > 0; left -= CHUNK) {
    const chunk = new Uint8Array(CHUNK)
    const words = new Uint32Array(chunk.buffer)
    for (let i = 0; i < words.length; i++) {
      let t = a ^ (a << 11)
      a = b
      b = c
      c = d
      d = d ^ (d >>> 19) ^ (t ^ (t >>> 8))
      t = d
      words[i] = t
    }
    const out = left < CHUNK ? chunk.subarray(0, left) : chunk
    hash.update(out)
    yield out
  }
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const mbps = (ms: number) => (TOTAL / 1e6 / (ms / 1000)).toFixed(0)

await loadWasmChecksum()
const key = crypto.getRandomValues(new Uint8Array(32))
sampleRss()
const rssBefore = process.memoryUsage().rss / MIB

// Baseline: the same generation and input hashing, plus hashing the bytes again as the output.
let t0 = performance.now()
{
  const inHash = createBlake2b128()
  const outHash = createBlake2b128()
  for await (const chunk of generate(inHash)) outHash.update(chunk)
  if (hex(inHash.digest()) !== hex(outHash.digest())) throw new Error('baseline hashes differ')
}
const baselineMs = performance.now() - t0
const baselineHwm = vmHwmMiB()

const inHash = createBlake2b128()
const outHash = createBlake2b128()
let objects = 0
let shardBytes = 0
let outBytes = 0
async function* stored(): AsyncGenerator<StoredStreamObject> {
  const options = {
    k: K,
    m: M,
    compression: 'none',
    key,
    objectSize: OBJECT_SIZE,
    concurrency: CONCURRENCY,
  } as const
  for await (const object of encodeStream(generate(inHash), options)) {
    objects++
    shardBytes += object.shards.reduce((n, s) => n + s.length, 0)
    sampleRss()
    yield { ...object, shards: object.shards.map((s, i) => (i < LOSE ? null : s)) }
  }
}
t0 = performance.now()
for await (const chunk of decodeStream(stored(), { key, concurrency: CONCURRENCY })) {
  outHash.update(chunk)
  outBytes += chunk.length
}
const ms = performance.now() - t0
sampleRss()
const inSum = hex(inHash.digest())
const outSum = hex(outHash.digest())
if (outBytes !== TOTAL || inSum !== outSum) {
  throw new Error(
    `output differs from input: ${outBytes} of ${TOTAL} bytes, BLAKE2b-128 ${outSum} vs ${inSum}`,
  )
}

const hwm = vmHwmMiB()
console.log(`Node ${process.versions.node}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`)
console.log(
  `${(TOTAL / 2 ** 30).toFixed(2)} GiB in ${objects} objects of ${OBJECT_SIZE / MIB} MiB, k = ${K}, m = ${M}, compression none, concurrency ${CONCURRENCY}, ${LOSE} data shards lost per object`,
)
console.log(
  `input and output BLAKE2b-128 equal: ${inSum}; ${(shardBytes / 2 ** 30).toFixed(2)} GiB of shards`,
)
console.log('')
console.log('| run | time | MB/s | peak RSS (VmHWM) | peak RSS / object size |')
console.log('|---|---|---|---|---|')
console.log(
  `| generate + hash in and out, no codec (baseline) | ${(baselineMs / 1000).toFixed(1)} s | ${mbps(baselineMs)} | ${baselineHwm.toFixed(0)} MiB | - |`,
)
console.log(
  `| encodeStream → decodeStream | ${(ms / 1000).toFixed(1)} s | ${mbps(ms)} | ${hwm.toFixed(0)} MiB | ${(hwm / (OBJECT_SIZE / MIB)).toFixed(1)}× |`,
)
console.log('')
console.log(
  `RSS before the streams ${rssBefore.toFixed(0)} MiB; largest sampled rss ${(peakRss / MIB).toFixed(0)} MiB; ratio of encode+decode to baseline time ${(ms / baselineMs).toFixed(1)}×`,
)
