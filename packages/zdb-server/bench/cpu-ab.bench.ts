/**
 * Server CPU per pipelined request of this build next to another build of zdb-server, measured
 * in alternating runs of the same redis-benchmark (50 clients, pipeline 16, random keys): on a
 * shared machine CPU per request moves with the load, so only runs close in time are compared,
 * and the median of each is printed, with its user-space share. Both servers are preloaded
 * alike (SETs of 100 B) so that GETs and unchanged-value SETs find values. Needs
 * `redis-benchmark` and a built package.
 *
 *   BENCH_ZDB_BASE=/path/to/other/dist/cli.js pnpm --filter @qsfs/zdb-server bench:cpu
 *   BENCH_ROUNDS=9 BENCH_REQUESTS=200000 BENCH_PRELOAD=1200000 BENCH_KEYSPACE=1000000
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Started, startZdbServer } from './processes.js'

const BASE = process.env.BENCH_ZDB_BASE
if (!BASE) throw new Error('set BENCH_ZDB_BASE to the dist/cli.js of the build to compare with')
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9)
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200_000)
const PRELOAD = Number(process.env.BENCH_PRELOAD ?? 1_200_000)
const KEYSPACE = Number(process.env.BENCH_KEYSPACE ?? 1_000_000)
const TESTS = [
  ['set', 100],
  ['get', 100],
  ['set', 4096],
  ['get', 4096],
] as const

/** User and system CPU time (µs) a process used so far; /proc counts in ticks of 10 ms. */
function cpu(pid: number): { user: number; total: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  const user = Number(fields[11]) * 10_000
  return { user, total: user + Number(fields[12]) * 10_000 }
}

function redisBenchmark(port: number, test: string, size: number, requests: number): void {
  const args = ['-p', port, '-t', test, '-n', requests, '-c', 50, '-P', 16, '-d', size, '-r', KEYSPACE]
  execFileSync('redis-benchmark', [...args.map(String), '-q'], { stdio: 'ignore' })
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

interface Side {
  name: string
  server: Started
  dir: string
  runs: Map<string, { user: number; total: number }[]>
}

const sides: Side[] = []
try {
  for (const [name, cli] of [
    ['this build', undefined],
    ['base', BASE],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'zdb-cpu-ab-'))
    const server = await startZdbServer(dir, cli)
    sides.push({ name, server, dir, runs: new Map() })
    redisBenchmark(server.port, 'set', 100, PRELOAD)
  }
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first, so that neither always runs after the other's load.
    const order = round % 2 === 0 ? sides : [...sides].reverse()
    for (const [test, size] of TESTS) {
      for (const side of order) {
        const pid = side.server.child.pid!
        const before = cpu(pid)
        redisBenchmark(side.server.port, test, size, REQUESTS)
        const after = cpu(pid)
        const key = `${test.toUpperCase()} ${size} B`
        const runs = side.runs.get(key) ?? []
        runs.push({
          user: (after.user - before.user) / REQUESTS,
          total: (after.total - before.total) / REQUESTS,
        })
        side.runs.set(key, runs)
      }
    }
  }
  const [ours, base] = sides as [Side, Side]
  console.log('test        CPU/req base → this build (median)   user-space base → this build')
  for (const key of ours.runs.keys()) {
    const a = base.runs.get(key)!
    const b = ours.runs.get(key)!
    const total = [median(a.map((r) => r.total)), median(b.map((r) => r.total))]
    const user = [median(a.map((r) => r.user)), median(b.map((r) => r.user))]
    const change = ((total[1]! / total[0]! - 1) * 100).toFixed(0).replace(/^(?=\d)/, '+')
    console.log(
      `${key.padEnd(12)}${total[0]!.toFixed(2)} → ${total[1]!.toFixed(2)} µs (${change} %)`.padEnd(46) +
        `${user[0]!.toFixed(2)} → ${user[1]!.toFixed(2)} µs`,
    )
  }
  console.log(
    `${ROUNDS} alternating rounds of ${REQUESTS} requests, pipeline 16, keys over ${KEYSPACE}, preload ${PRELOAD}, node ${process.version}`,
  )
} finally {
  for (const side of sides) {
    side.server.stop()
    rmSync(side.dir, { recursive: true, force: true })
  }
}
