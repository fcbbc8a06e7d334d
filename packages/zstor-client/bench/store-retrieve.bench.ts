/**
 * End-to-end throughput of `store` and `retrieve`: a file of BENCH_SIZE_MIB (1 GiB by default)
 * of random bytes stored and retrieved over k + m local data backends (4+2 over 6, 16+4 over
 * 20) plus 4 meta backends, every backend its own `zdb-server` process on loopback. Next to it,
 * measured in the same run over the same bytes with the same settings as the client
 * (k, m, compression, object size, concurrency 2), the codec alone: `encodeStream` of the file
 * (read from memory in the client's 1 MiB chunks) with its shards dropped, and `decodeStream` of
 * as many objects from their `k` data shards (what the client's retrieve fetches when every
 * backend is well), replaying the first 8 encoded objects in turn so memory stays bounded.
 * MB/s are 10^6 bytes of file per second. Also printed: wall time and CPU seconds of this process
 * and of the backend processes per phase, to tell which side is the bottleneck.
 *
 * Backend data lives under /dev/shm when it has room (so no disk limits the figures), else under
 * the OS temp directory; the output says which. The process holds the file in memory (plus about
 * 350 MiB of replayed objects): budget about BENCH_SIZE_MIB + 500 MiB of RAM, and up to
 * (2 + 1.5 × BENCH_ROUNDS) × BENCH_SIZE_MIB in the data directory. Needs a built server
 * (`pnpm --filter @qsfs/zdb-server build`).
 *
 *   pnpm --filter @qsfs/zstor-client bench
 *
 * Environment:
 *   BENCH_SIZE_MIB     file size in MiB (default 1024)
 *   BENCH_CONFIGS      code layouts to run, comma-separated k+m (default "4+2,16+4"); each runs
 *                      over k + m data backends
 *   BENCH_OBJECT_MIB   `object_size` in MiB written into the config (default: unset, the client's
 *                      32 MiB)
 *   BENCH_COMPRESSION  `snappy` (default, as the config), `zstd` or `none`
 *   BENCH_META         meta backends (default 4)
 *   BENCH_DIR          where to put the file and the backends' data (default: /dev/shm if it has
 *                      room, else the OS temp directory)
 *   BENCH_ROUNDS       store + retrieve rounds per layout, on the same backends, each under its
 *                      own key (default 3); the tables show the median round, a list every round
 */
import type { ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnZdbServer, ZDB_SERVER_CLI, type ZdbServerProcess } from '@qsfs/zdb-server/testing'
import {
  DEFAULT_OBJECT_SIZE,
  decodeStream,
  encodeStream,
  loadWasmChecksum,
  type StoredStreamObject,
} from '@qsfs/zstor-codec'
import { type CompressionName, createZstorClient, parseConfig } from '../src/index.js'

const MIB = 2 ** 20
const SIZE = Math.round(Number(process.env.BENCH_SIZE_MIB ?? 1024) * MIB)
const OBJECT_SIZE = process.env.BENCH_OBJECT_MIB
  ? Math.round(Number(process.env.BENCH_OBJECT_MIB) * MIB)
  : null
const COMPRESSION = (process.env.BENCH_COMPRESSION ?? 'snappy') as CompressionName
const META_BACKENDS = Number(process.env.BENCH_META ?? 4)
/** Store + retrieve rounds per layout: this machine's speed varies by a quarter from run to run. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const LAYOUTS = (process.env.BENCH_CONFIGS ?? '4+2,16+4').split(',').map((spec) => {
  const [k, m] = spec.trim().split('+').map(Number)
  if (!Number.isInteger(k) || !Number.isInteger(m) || k! < 1 || m! < 1) {
    throw new Error(`BENCH_CONFIGS: "${spec}" is not k+m (e.g. 16+4)`)
  }
  return { k: k!, m: m! }
})
/** The targets, for 16+4 on a 2-core machine, in MB/s. */
const TARGETS: Record<string, { store: number; retrieve: number }> = { '16+4': { store: 150, retrieve: 200 } }
/** The client reads files in chunks of this size (store.ts `createReadStream` highWaterMark). */
const READ_CHUNK = MIB
const GENERATE_CHUNK = 64 * MIB
/** Encoded objects the codec-only decode replays in turn (a whole 1 GiB file's would cost 1.3 GiB of RAM). */
const REPLAY_OBJECTS = 8
const KEY_HEX = '4d4a5c7b1d0e3f2a6b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c'

if (!Number.isFinite(SIZE) || SIZE < 1) throw new Error('BENCH_SIZE_MIB must be a positive number')
if (!existsSync(ZDB_SERVER_CLI)) {
  throw new Error(`${ZDB_SERVER_CLI} is missing: build it with \`pnpm --filter @qsfs/zdb-server build\``)
}

// ---------------------------------------------------------------------------------------------
// Backend processes

interface Backend {
  readonly role: 'data' | 'meta'
  readonly port: number
  readonly child: ChildProcess
  readonly process: ZdbServerProcess
}

const live = new Set<Backend>()

async function startBackend(role: 'data' | 'meta', dir: string): Promise<Backend> {
  // Forces every namespace, the default one included, to the mode the role needs.
  const server = await spawnZdbServer({ dir, args: ['--mode', role === 'data' ? 'seq' : 'user'] })
  const backend: Backend = { role, port: server.port, child: server.child, process: server }
  live.add(backend)
  server.child.once('exit', () => live.delete(backend))
  return backend
}

/** Stops every backend still running: SIGTERM, then SIGKILL for any left after 10 s. */
async function stopAll(): Promise<void> {
  await Promise.all([...live].map((b) => b.process.stop()))
}

/** CPU seconds (user + system) a process has used so far, from /proc; `null` where unreadable. */
function processCpu(pid: number | undefined): number | null {
  if (pid === undefined) return null
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime; USER_HZ is 100 on Linux
  } catch {
    return null
  }
}

function backendsCpu(backends: readonly Backend[]): number | null {
  let sum = 0
  for (const b of backends) {
    const s = processCpu(b.child.pid)
    if (s === null) return null
    sum += s
  }
  return sum
}

const selfCpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface Timed {
  /** Seconds of wall-clock time. */
  readonly wall: number
  /** CPU seconds of this process during it. */
  readonly selfCpu: number
  /** CPU seconds of all backend processes during it, or `null`. */
  readonly backendCpu: number | null
}

async function timed(run: () => Promise<unknown>, backends: readonly Backend[] = []): Promise<Timed> {
  const c0 = selfCpu()
  const b0 = backends.length > 0 ? backendsCpu(backends) : null
  const t0 = performance.now()
  await run()
  const wall = (performance.now() - t0) / 1000
  const b1 = backendsCpu(backends)
  return {
    wall,
    selfCpu: selfCpu() - c0,
    backendCpu: b0 === null || b1 === null ? null : b1 - b0,
  }
}

const mbps = (t: Timed) => SIZE / 1e6 / t.wall

/** The file as the client reads it: chunks of {@link READ_CHUNK}, from memory. */
function* fileChunks(chunks: readonly Buffer[]): Generator<Uint8Array> {
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += READ_CHUNK) yield chunk.subarray(at, at + READ_CHUNK)
  }
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * MIB })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

function pickDir(): { dir: string; where: string } {
  // The file, the output, every round's stored shards (×(k+m)/k ≤ 1.5), and slack.
  const need = SIZE * (2 + 1.5 * ROUNDS) + 256 * MIB
  if (process.env.BENCH_DIR)
    return { dir: process.env.BENCH_DIR, where: `${process.env.BENCH_DIR} (BENCH_DIR)` }
  try {
    const fs = statfsSync('/dev/shm')
    if (fs.bavail * fs.bsize >= need) return { dir: '/dev/shm', where: '/dev/shm (tmpfs, in memory)' }
  } catch {
    // no /dev/shm: fall through
  }
  return { dir: tmpdir(), where: `${tmpdir()} (OS temp directory, on disk: /dev/shm missing or too small)` }
}

function toml(k: number, m: number, data: readonly Backend[], meta: readonly Backend[]): string {
  const line = (role: string) => (b: Backend) => `[[${role}]]\naddress = "127.0.0.1:${b.port}"\n`
  return [
    `minimal_shards = ${k}`,
    `expected_shards = ${k + m}`,
    'redundant_groups = 0',
    'redundant_nodes = 0',
    OBJECT_SIZE === null ? '' : `object_size = ${OBJECT_SIZE}`,
    '[encryption]',
    'algorithm = "AES"',
    `key = "${KEY_HEX}"`,
    '[compression]',
    `algorithm = "${COMPRESSION}"`,
    '[meta]',
    'type = "zdb"',
    '[meta.config]',
    'prefix = "bench"',
    ...meta.map(line('meta.config.backends')),
    '[[groups]]',
    ...data.map(line('groups.backends')),
  ].join('\n')
}

interface Row {
  readonly layout: string
  readonly backends: number
  /** The median round's. */
  readonly store: Timed
  readonly encode: Timed
  /** The median round's. */
  readonly retrieve: Timed
  readonly decode: Timed
  readonly stores: readonly Timed[]
  readonly retrieves: readonly Timed[]
}

/** The round of median wall time. */
const medianRound = (rounds: readonly Timed[]) =>
  [...rounds].sort((a, b) => a.wall - b.wall)[Math.floor((rounds.length - 1) / 2)]!

async function runLayout(
  k: number,
  m: number,
  file: string,
  input: readonly Buffer[],
  inputSha: string,
  base: string,
): Promise<Row> {
  const layout = `${k}+${m}`
  const key = Buffer.from(KEY_HEX, 'hex')
  const objectSize = OBJECT_SIZE ?? DEFAULT_OBJECT_SIZE

  // Codec alone, as the client calls it (store.ts, retrieve.ts): concurrency 2 both ways. Only the
  // first REPLAY_OBJECTS objects and the last are kept, as a healthy retrieve fetches them: the
  // k data shards, parity absent.
  const ring: StoredStreamObject[] = []
  let last: StoredStreamObject | undefined
  let count = 0
  const encode = await timed(async () => {
    const objects = encodeStream(fileChunks(input), {
      k,
      m,
      compression: COMPRESSION,
      key,
      objectSize,
      concurrency: 2,
    })
    for await (const o of objects) {
      count++
      if (!o.last && ring.length >= REPLAY_OBJECTS) continue
      const kept = {
        index: o.index,
        last: o.last,
        shards: o.shards.map((s, i) => (i < k ? s : null)),
        meta: o.meta,
      }
      if (o.last) last = kept
      else ring.push(kept)
    }
  })
  // The same number of objects, of the same sizes, in stream order: the kept full objects in
  // turn under each index, then the real last one.
  function* replay(): Generator<StoredStreamObject> {
    for (let index = 0; index < count - 1; index++) {
      const o = ring[index % ring.length]!
      yield { index, last: false, shards: o.shards, meta: o.meta }
    }
    yield { ...last!, index: count - 1 }
  }
  let decoded = 0
  const decode = await timed(async () => {
    for await (const chunk of decodeStream(replay(), { key, concurrency: 2 })) decoded += chunk.length
  })
  ring.length = 0
  last = undefined
  if (decoded !== SIZE) throw new Error(`${layout}: the codec decoded ${decoded} bytes of ${SIZE}`)
  console.error(
    `${layout}: codec encode ${mbps(encode).toFixed(0)} MB/s, decode ${mbps(decode).toFixed(0)} MB/s`,
  )

  // The client, against k + m data backends and the meta backends, each its own process.
  const dir = mkdtempSync(join(base, `zstor-bench-${layout.replace('+', '-')}-`))
  const backends: Backend[] = []
  try {
    const data: Backend[] = []
    const meta: Backend[] = []
    const t0 = performance.now()
    await Promise.all([
      ...Array.from({ length: k + m }, async (_, i) =>
        data.push(await startBackend('data', join(dir, `data${i}`))),
      ),
      ...Array.from({ length: META_BACKENDS }, async (_, i) =>
        meta.push(await startBackend('meta', join(dir, `meta${i}`))),
      ),
    ])
    backends.push(...data, ...meta)
    console.error(
      `${layout}: ${data.length} data + ${meta.length} meta backends up in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    )
    const client = createZstorClient({ config: await parseConfig(toml(k, m, data, meta)) })
    const output = join(dir, 'retrieved')
    try {
      const stores: Timed[] = []
      const retrieves: Timed[] = []
      for (let round = 0; round < ROUNDS; round++) {
        // Each round stores the file under a key of its own: the same key would be skipped as
        // already stored.
        const keyPath = join(dir, `round${round}`)
        let path = ''
        const store = await timed(async () => {
          const result = await client.store(file, { keyPath })
          if (result.skipped || result.size !== SIZE)
            throw new Error(`${layout}: store gave ${JSON.stringify(result)}`)
          path = result.path
        }, backends)
        console.error(`${layout}: round ${round + 1}: store ${mbps(store).toFixed(0)} MB/s`)
        const retrieve = await timed(async () => {
          const result = await client.retrieve(path, { output })
          if (result.size !== SIZE)
            throw new Error(`${layout}: retrieve gave ${result.size} bytes of ${SIZE}`)
        }, backends)
        console.error(`${layout}: round ${round + 1}: retrieve ${mbps(retrieve).toFixed(0)} MB/s`)
        const outputSha = await sha256File(output)
        if (outputSha !== inputSha)
          throw new Error(`${layout}: sha256 of the retrieved file differs from the input`)
        await rm(output)
        stores.push(store)
        retrieves.push(retrieve)
      }
      return {
        layout,
        backends: data.length,
        store: medianRound(stores),
        encode,
        retrieve: medianRound(retrieves),
        decode,
        stores,
        retrieves,
      }
    } finally {
      await client.close()
    }
  } finally {
    await stopAll()
    await rm(dir, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------------------------------------
// Main

const { dir: baseDir, where } = pickDir()
const work = mkdtempSync(join(baseDir, 'zstor-bench-'))

let cleaned = false
function cleanupSync(): void {
  if (cleaned) return
  cleaned = true
  for (const b of live) b.child.kill('SIGKILL')
  rmSync(work, { recursive: true, force: true })
}
process.once('exit', cleanupSync)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the backends and removing ${work}`)
    cleanupSync()
    process.exit(130)
  })
}

try {
  await loadWasmChecksum()
  // Warm-up of the codec paths (JIT, WebAssembly memory) on 4 MiB, not timed.
  const warm = randomBytes(4 * MIB)
  const warmKey = Buffer.from(KEY_HEX, 'hex')
  for await (const o of encodeStream(warm, { k: 4, m: 2, compression: COMPRESSION, key: warmKey })) {
    for await (const _ of decodeStream([o], { key: warmKey })) {
      // consumed
    }
  }

  const file = join(work, 'input.bin')
  const input: Buffer[] = []
  const hash = createHash('sha256')
  const handle = await open(file, 'w')
  try {
    for (let at = 0; at < SIZE; at += GENERATE_CHUNK) {
      const chunk = randomBytes(Math.min(GENERATE_CHUNK, SIZE - at))
      hash.update(chunk)
      await handle.write(chunk)
      input.push(chunk)
    }
  } finally {
    await handle.close()
  }
  const inputSha = hash.digest('hex')

  const rows: Row[] = []
  for (const { k, m } of LAYOUTS) rows.push(await runLayout(k, m, file, input, inputSha, work))

  const objectMib = (OBJECT_SIZE ?? DEFAULT_OBJECT_SIZE) / MIB
  console.log(
    `\n${(SIZE / MIB).toFixed(0)} MiB of random bytes, ${COMPRESSION} compression, objects of ${objectMib} MiB, ` +
      `${META_BACKENDS} meta backends; sha256 of every retrieved file matched`,
  )
  console.log(`data: ${where}`)
  console.log(`Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)\n`)
  console.log(
    '| config | backends | store MB/s | codec encode MB/s | store / codec | retrieve MB/s | codec decode MB/s | retrieve / codec | target |',
  )
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) {
    const target = TARGETS[r.layout]
    const verdict = target
      ? `store ≥ ${target.store} ${mbps(r.store) >= target.store ? 'met' : 'missed'}, retrieve ≥ ${target.retrieve} ${mbps(r.retrieve) >= target.retrieve ? 'met' : 'missed'}`
      : '—'
    console.log(
      `| ${r.layout} | ${r.backends} data + ${META_BACKENDS} meta | ${mbps(r.store).toFixed(0)} | ${mbps(r.encode).toFixed(0)} | ` +
        `${(mbps(r.store) / mbps(r.encode)).toFixed(2)} | ${mbps(r.retrieve).toFixed(0)} | ${mbps(r.decode).toFixed(0)} | ` +
        `${(mbps(r.retrieve) / mbps(r.decode)).toFixed(2)} | ${verdict} |`,
    )
  }
  console.log(`\nMedian of ${ROUNDS} rounds on the same backends; every round, in order (MB/s):\n`)
  for (const r of rows) {
    const list = (ts: readonly Timed[]) => ts.map((t) => mbps(t).toFixed(0)).join(', ')
    console.log(`- ${r.layout}: store ${list(r.stores)}; retrieve ${list(r.retrieves)}`)
  }
  console.log(
    '\nWhere the time went (seconds; CPU of this process and of all backend processes together; the median rounds):\n',
  )
  console.log('| config | phase | wall | client CPU | backends CPU |')
  console.log('|---|---|---|---|---|')
  const fmt = (s: number | null) => (s === null ? 'n/a' : s.toFixed(1))
  for (const r of rows) {
    for (const [phase, t] of [
      ['codec encode', r.encode],
      ['store', r.store],
      ['codec decode', r.decode],
      ['retrieve', r.retrieve],
    ] as const) {
      console.log(`| ${r.layout} | ${phase} | ${fmt(t.wall)} | ${fmt(t.selfCpu)} | ${fmt(t.backendCpu)} |`)
    }
  }
} finally {
  await stopAll()
  cleanupSync()
}
