/**
 * Parse throughput of a pipelined stream of SET/GET requests: @qsfs/zdb-protocol's
 * RequestParser against redis-parser (the parser ioredis used for years), same input, same run.
 *
 *   pnpm --filter @qsfs/zdb-protocol-bench bench        # BENCH_SECONDS=2 by default
 */
import { encodeCommand, RequestParser } from '@qsfs/zdb-protocol'
// @ts-expect-error redis-parser ships no types
import RedisParser from 'redis-parser'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1)
const ROUNDS = 5
const CHUNK = 64 * 1024 // what a socket read typically hands over

function makeStream(valueSize: number, targetBytes: number): Buffer[] {
  const value = Buffer.alloc(valueSize, 0x61)
  const parts: Buffer[] = []
  let size = 0
  for (let i = 0; size < targetBytes; i++) {
    const key = `key:${i.toString().padStart(10, '0')}`
    const req = i % 2 === 0 ? encodeCommand(['SET', key, value]) : encodeCommand(['GET', key])
    parts.push(req)
    size += req.length
  }
  const stream = Buffer.concat(parts)
  const chunks: Buffer[] = []
  for (let at = 0; at < stream.length; at += CHUNK) chunks.push(stream.subarray(at, at + CHUNK))
  return chunks
}

type Runner = (chunks: Buffer[]) => number

/** The server's API: a zero-allocation frame view; arguments are materialised on demand. */
const oursFrame: Runner = (chunks) => {
  let frames = 0
  const parser = new RequestParser({
    onFrame: () => {
      frames++
    },
    onError: (e) => {
      throw e
    },
  })
  for (const c of chunks) parser.feed(c)
  return frames
}

/** Like redis-parser: every argument handed over as a Buffer. */
const oursBuffers: Runner = (chunks) => {
  let frames = 0
  const parser = new RequestParser({
    onRequest: () => {
      frames++
    },
    onError: (e) => {
      throw e
    },
  })
  for (const c of chunks) parser.feed(c)
  return frames
}

const redisParser: Runner = (chunks) => {
  let frames = 0
  const parser = new RedisParser({
    returnBuffers: true,
    returnReply: () => {
      frames++
    },
    returnError: (e: Error) => {
      throw e
    },
    returnFatalError: (e: Error) => {
      throw e
    },
  })
  for (const c of chunks) parser.execute(c)
  return frames
}

/** Best MB/s over rounds of at least SECONDS / ROUNDS each. */
function measure(run: Runner, chunks: Buffer[], bytes: number, expectFrames: number): number {
  let best = 0
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint()
    let done = 0
    let elapsed = 0
    do {
      const frames = run(chunks)
      if (frames !== expectFrames) throw new Error(`parsed ${frames} frames, expected ${expectFrames}`)
      done += bytes
      elapsed = Number(process.hrtime.bigint() - start) / 1e9
    } while (elapsed < SECONDS / ROUNDS)
    best = Math.max(best, done / elapsed / 1e6)
  }
  return best
}

const rows: string[][] = [
  [
    'workload',
    'stream',
    'ours (onFrame)',
    'ours (onRequest)',
    'redis-parser',
    'ratio onFrame',
    'ratio onRequest',
  ],
]
for (const [label, valueSize, target] of [
  ['SET/GET 100 B', 100, 4 * 1024 * 1024],
  ['SET/GET 4 KiB', 4096, 4 * 1024 * 1024],
] as const) {
  const chunks = makeStream(valueSize, target)
  const bytes = chunks.reduce((n, c) => n + c.length, 0)
  const frames = oursBuffers(chunks)
  const runners = [oursFrame, oursBuffers, redisParser]
  // Warm every runner up before measuring any, so none is measured before V8 optimised it.
  for (const run of runners) measure(run, chunks, bytes, frames)
  const [f, r, base] = runners.map((run) => measure(run, chunks, bytes, frames)) as [number, number, number]
  const mbs = (v: number) => `${v.toFixed(0)} MB/s`
  rows.push([
    label,
    `${(bytes / 2 ** 20).toFixed(0)} MiB`,
    mbs(f),
    mbs(r),
    mbs(base),
    `${(f / base).toFixed(2)}x`,
    `${(r / base).toFixed(2)}x`,
  ])
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '))
console.log(`node ${process.version}, ${CHUNK / 1024} KiB chunks, best of ${ROUNDS} rounds`)
