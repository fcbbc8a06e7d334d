/**
 * Throughput of the checksum and the cipher on 256 MiB of random data, next to a plain memory
 * copy of the same bytes measured in the same run, with the ratio to it. BLAKE2b-512 from
 * node:crypto is printed as a reference only: Node cannot output BLAKE2b-128, and a truncated
 * BLAKE2b-512 is a different function. Best of BENCH_ROUNDS after a 4 MiB warm-up.
 *
 *   pnpm --filter @qsfs/zstor-codec bench:crypto     # BENCH_ROUNDS=3, BENCH_MIB=256 by default
 */
import { createHash, randomFillSync } from 'node:crypto'
import { cpus } from 'node:os'
import {
  blake2b128,
  createCipher,
  DEFAULT_SCRYPT_PARAMS,
  deriveKey,
  loadWasmChecksum,
  type ObjectCipher,
} from '../src/index.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const TOTAL = Number(process.env.BENCH_MIB ?? 256) * 2 ** 20

function best(run: (input: Uint8Array) => unknown, input: Uint8Array): number {
  run(input.subarray(0, 4 * 2 ** 20)) // warm-up: JIT and first allocations
  let ms = Number.POSITIVE_INFINITY
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now()
    run(input)
    ms = Math.min(ms, performance.now() - t0)
  }
  return ms
}

await loadWasmChecksum()
const data = randomFillSync(Buffer.allocUnsafe(TOTAL))
const copyTarget = Buffer.allocUnsafe(TOTAL)
const key = randomFillSync(new Uint8Array(32))
const node = createCipher({ key, engine: 'node' })
const noble = createCipher({ key, engine: 'noble' })

// Both engines must open what the other sealed before their speed means anything.
const probe = data.subarray(0, 2 ** 20)
for (const [a, b] of [
  [node, noble],
  [noble, node],
] as [ObjectCipher, ObjectCipher][]) {
  if (Buffer.compare(b.decrypt(a.encrypt(probe)), probe) !== 0) throw new Error('engines disagree')
}
const sealedByNode = node.encrypt(data)

const rows: [string, number][] = [
  ['Buffer.copy (baseline)', best(() => data.copy(copyTarget), data)],
  ['BLAKE2b-128, wasm engine (hash-wasm)', best((d) => blake2b128(d, { engine: 'wasm' }), data)],
  ['BLAKE2b-128, noble engine (@noble/hashes)', best((d) => blake2b128(d, { engine: 'noble' }), data)],
  [
    'BLAKE2b-512, node:crypto (reference only, not BLAKE2b-128)',
    best((d) => createHash('blake2b512').update(d).digest(), data),
  ],
  ['AES-256-GCM encrypt, node:crypto', best((d) => node.encrypt(d), data)],
  ['AES-256-GCM decrypt, node:crypto', best(() => node.decrypt(sealedByNode), data)],
  ['AES-256-GCM encrypt, @noble/ciphers', best((d) => noble.encrypt(d), data)],
]

const t0 = performance.now()
await deriveKey({ passphrase: 'correct horse battery staple' })
const scryptMs = performance.now() - t0

const mbps = (ms: number) => TOTAL / 1e6 / (ms / 1000)
const baseline = mbps(rows[0]![1])
console.log(`${TOTAL / 2 ** 20} MiB of random data, best of ${ROUNDS}`)
console.log(`Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)\n`)
console.log('| operation | time | MB/s | ratio to copy |')
console.log('|---|---|---|---|')
for (const [name, ms] of rows) {
  console.log(
    `| ${name} | ${ms.toFixed(1)} ms | ${mbps(ms).toFixed(0)} | ${(mbps(ms) / baseline).toFixed(3)}× |`,
  )
}
const { N, r, p } = DEFAULT_SCRYPT_PARAMS
console.log(
  `\nderiveKey, scrypt N = 2^${Math.log2(N)}, r = ${r}, p = ${p}: ${scryptMs.toFixed(0)} ms (one run)`,
)
