/**
 * Erasure-coding throughput of the standard Reed-Solomon engine (k = 16, m = 4, 64 MiB of
 * random data, 4 MiB shards) next to a plain memory copy of the same bytes, and next to the
 * native `@ronomon/reed-solomon` addon, called raw and through `createRonomonRs` (the
 * `erasure: 'ronomon'` profile, which copies shards in and out of the addon's contiguous
 * buffers). RonomonAddon uses a Cauchy matrix, so its shards differ from the standard code's. All measured in the same run; best of BENCH_ROUNDS.
 *
 *   pnpm --filter @qsfs/zstor-codec bench        # BENCH_ROUNDS=5 by default
 */
import { randomFillSync } from 'node:crypto'
import { createRequire } from 'node:module'
import { cpus } from 'node:os'
import { setGfSimdEnabled } from '../src/gf-kernel.js'
import { createRonomonRs, createStandardRs } from '../src/index.js'
import type { RonomonAddon } from '../src/ronomon-rs.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const K = 16
const M = 4
const TOTAL = 64 * 1024 * 1024
const SHARD = TOTAL / K

async function best(run: () => unknown): Promise<number> {
  await run() // warm-up: JIT, caches, decode plan
  let ms = Number.POSITIVE_INFINITY
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now()
    await run()
    ms = Math.min(ms, performance.now() - t0)
  }
  return ms
}

const data = randomFillSync(Buffer.allocUnsafe(TOTAL))
const shards = Array.from({ length: K }, (_, i) => data.subarray(i * SHARD, (i + 1) * SHARD))
const copyTarget = Buffer.allocUnsafe(TOTAL)

const rs = createStandardRs(K, M)
const parity = await rs.encode(shards)
const damaged = [...shards, ...parity].map((s, i) => (i < M ? null : s))
const rebuilt = await rs.reconstruct(damaged)
if (!rebuilt.every((s, i) => Buffer.compare(s, i < K ? shards[i]! : parity[i - K]!) === 0)) {
  throw new Error('reconstruct did not give back the original shards')
}

const ronomon = createRequire(import.meta.url)('@ronomon/reed-solomon') as RonomonAddon
const context = ronomon.create(K, M)
const ronomonParity = Buffer.alloc(SHARD * M)
const mask = (from: number, to: number) => {
  let bits = 0
  for (let i = from; i < to; i++) bits |= 1 << i
  return bits
}
const ronomonEncode = () =>
  new Promise<void>((resolve, reject) =>
    ronomon.encode(context, mask(0, K), mask(K, K + M), data, 0, TOTAL, ronomonParity, 0, SHARD * M, (e) =>
      e ? reject(e) : resolve(),
    ),
  )

const ronomonData = Buffer.from(data)
const lostData = mask(0, M)
const ronomonReconstruct = () =>
  new Promise<void>((resolve, reject) =>
    ronomon.encode(
      context,
      mask(M, K + M),
      lostData,
      ronomonData,
      0,
      TOTAL,
      ronomonParity,
      0,
      SHARD * M,
      (e) => (e ? reject(e) : resolve()),
    ),
  )

const profile = createRonomonRs(K, M)
const profileParity = await profile.encode(shards)
const profileDamaged = [...shards, ...profileParity].map((s, i) => (i < M ? null : s))
const profileRebuilt = await profile.reconstruct(profileDamaged)
if (!profileRebuilt.slice(0, K).every((s, i) => Buffer.compare(s, shards[i]!) === 0)) {
  throw new Error('the ronomon profile did not give back the original shards')
}

/** `run` with the SIMD kernel off, as where WebAssembly SIMD is missing. */
const scalar = (run: () => Promise<unknown>) => async () => {
  setGfSimdEnabled(false)
  try {
    await run()
  } finally {
    setGfSimdEnabled(true)
  }
}

const rows: [string, number][] = [
  ['Buffer.copy (baseline)', await best(() => data.copy(copyTarget))],
  ['encode, standard engine (WebAssembly SIMD kernel)', await best(() => rs.encode(shards))],
  [`reconstruct ${M} data shards, standard engine (SIMD)`, await best(() => rs.reconstruct(damaged))],
  ['encode, standard engine, scalar kernel (no SIMD)', await best(scalar(() => rs.encode(shards)))],
  [
    `reconstruct ${M} data shards, standard engine, scalar kernel`,
    await best(scalar(() => rs.reconstruct(damaged))),
  ],
  ['encode, @ronomon/reed-solomon (native, raw)', await best(ronomonEncode)],
  [`reconstruct ${M} data shards, @ronomon/reed-solomon (native, raw)`, await best(ronomonReconstruct)],
  ["encode, createRonomonRs (erasure: 'ronomon')", await best(() => profile.encode(shards))],
  [
    `reconstruct ${M} data shards, createRonomonRs (erasure: 'ronomon')`,
    await best(() => profile.reconstruct(profileDamaged)),
  ],
]

const mbps = (ms: number) => TOTAL / 1e6 / (ms / 1000)
const baseline = mbps(rows[0]![1])
console.log(
  `k = ${K}, m = ${M}, ${TOTAL / 2 ** 20} MiB of data (${SHARD / 2 ** 20} MiB shards), best of ${ROUNDS}`,
)
console.log(`Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)\n`)
console.log('| operation | time | MB/s of data | ratio to copy |')
console.log('|---|---|---|---|')
for (const [name, ms] of rows) {
  console.log(
    `| ${name} | ${ms.toFixed(1)} ms | ${mbps(ms).toFixed(0)} | ${(mbps(ms) / baseline).toFixed(3)}× |`,
  )
}
