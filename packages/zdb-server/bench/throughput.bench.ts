/**
 * Requests/s of our zdb-server next to redis-server, both as separate processes on loopback,
 * driven by the same redis-benchmark in the same run: SET and GET, 100 B and 4 KiB values,
 * 50 clients, pipeline 1 and 16. Needs `redis-server` and `redis-benchmark` (Debian redis-server,
 * redis-tools) and a built package (`pnpm --filter @qsfs/zdb-server build`).
 *
 *   pnpm --filter @qsfs/zdb-server bench:throughput      # BENCH_REQUESTS=400000 by default
 *   BENCH_ZDB_ARGS='--cache 0' pnpm --filter @qsfs/zdb-server bench:throughput
 *   BENCH_KEYSPACE=100000 pnpm --filter @qsfs/zdb-server bench:throughput   # default: 1000000
 *   BENCH_ROUNDS=3 pnpm --filter @qsfs/zdb-server bench:throughput   # default: 5, medians shown
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Started, startProcess, startZdbServer, waitForPing } from './processes.js'

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400_000)
/**
 * Rounds per row; the table shows the medians. The machine's speed varies from run to run, and
 * now and then one round runs a third slower on either server: a median of 5 outlasts two.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
/** Keys are random over this many (redis-benchmark `-r`). */
const KEYSPACE = Number(process.env.BENCH_KEYSPACE ?? 1_000_000)
const CLIENTS = 50

/** CPU time (user + system, both servers are single-threaded) a process used so far, in µs. */
function cpuMicros(pid: number): number {
  // After the command name come the fields from state (3) on: utime (14) and stime (15) are
  // clock ticks, 100 per second.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

interface Run {
  /** Requests per second. */
  rate: number
  /** Server CPU per request, µs. */
  cpu: number
}

/** The median rate of the runs, with the median CPU per request. */
function medianRun(runs: Run[]): Run {
  const mid = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)]!
  return { rate: mid(runs.map((r) => r.rate)), cpu: mid(runs.map((r) => r.cpu)) }
}

/** Requests/s of one run, and the server's CPU per request, which other load disturbs less. */
function measure(server: Started, test: 'set' | 'get', size: number, pipeline: number, db: number) {
  const before = cpuMicros(server.child.pid!)
  const rate = redisBenchmark(server.port, test, size, pipeline, REQUESTS, db)
  return { rate, cpu: (cpuMicros(server.child.pid!) - before) / REQUESTS }
}

function redisBenchmark(
  port: number,
  test: 'set' | 'get',
  size: number,
  pipeline: number,
  requests = REQUESTS,
  db = 0,
): number {
  const args = [
    '-p',
    port,
    '-t',
    test,
    '-n',
    requests,
    '-c',
    CLIENTS,
    '-P',
    pipeline,
    '-d',
    size,
    '-r',
    KEYSPACE,
    '--dbnum',
    db,
  ]
  const csv = execFileSync('redis-benchmark', [...args.map(String), '--csv', '-q'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const row = csv.split('\n').find((l) => l.startsWith(`"${test.toUpperCase()}"`))
  if (!row) throw new Error(`redis-benchmark printed no ${test} row:\n${csv}`)
  return Number(row.split(',')[1]!.replaceAll('"', ''))
}

/** Runs one command with redis-cli; throws unless the server answers OK. */
function command(port: number, ...args: string[]): void {
  const reply = execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim()
  if (reply !== 'OK') throw new Error(`${args.join(' ')} on port ${port} answered ${JSON.stringify(reply)}`)
}

const dir = mkdtempSync(join(tmpdir(), 'zdb-bench-'))
const servers: Started[] = []
try {
  const ours = await startZdbServer(dir)
  servers.push(ours)
  const redis = await startProcess('redis-server', (port) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ])
  servers.push(redis)
  await waitForPing(redis.port)
  // Warm both up (JIT, allocator, first files) so the measured runs compare steady states.
  for (const port of [ours.port, redis.port]) {
    for (const test of ['set', 'get'] as const) redisBenchmark(port, test, 100, 16, REQUESTS / 4)
  }

  const rows = [
    ['test', 'value', 'pipeline', 'zdb-server req/s', 'redis-server req/s', 'ratio', 'CPU/req zdb / redis'],
  ]
  let pairs = 0
  const rounds: string[] = []
  for (const pipeline of [1, 16]) {
    for (const size of [100, 4096]) {
      const runs = {
        set: { ours: [] as Run[], redis: [] as Run[] },
        get: { ours: [] as Run[], redis: [] as Run[] },
      }
      for (let round = 0; round < ROUNDS; round++) {
        // Each round runs on an empty keyspace (a new namespace on zdb, a flushed database on
        // redis, both SELECTed as `--dbnum`) and SETs first, so that the GETs read values of the
        // row's size, as `redis-benchmark -t set,get -d <size>` on a fresh server does, and not
        // values earlier rows left. The servers alternate, so that a slow spell of the machine
        // falls on both.
        const db = 1 + (pairs++ % 15)
        command(ours.port, 'NSNEW', String(db))
        command(redis.port, 'FLUSHALL')
        for (const test of ['set', 'get'] as const) {
          runs[test].ours.push(measure(ours, test, size, pipeline, db))
          runs[test].redis.push(measure(redis, test, size, pipeline, db))
        }
        command(ours.port, 'NSDEL', String(db))
      }
      for (const test of ['set', 'get'] as const) {
        const list = (rs: Run[]) => rs.map((r) => r.rate.toFixed(0)).join(', ')
        rounds.push(
          `${test.toUpperCase()} ${size} B P${pipeline}: zdb-server ${list(runs[test].ours)}; redis-server ${list(runs[test].redis)}`,
        )
        const a = medianRun(runs[test].ours)
        const b = medianRun(runs[test].redis)
        rows.push([
          test.toUpperCase(),
          `${size} B`,
          String(pipeline),
          a.rate.toFixed(0),
          b.rate.toFixed(0),
          `${(a.rate / b.rate).toFixed(2)}x`,
          `${a.cpu.toFixed(2)} / ${b.cpu.toFixed(2)} µs`,
        ])
      }
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '))
  console.log(`\nEvery round, in order (req/s):\n${rounds.map((r) => `- ${r}`).join('\n')}\n`)
  console.log(
    `medians of ${ROUNDS} alternated rounds of ${REQUESTS} requests, ${CLIENTS} clients, random keys over ${KEYSPACE}, node ${process.version}, zdb-server flags '${process.env.BENCH_ZDB_ARGS ?? ''}'`,
  )
} finally {
  for (const s of servers) s.stop()
  rmSync(dir, { recursive: true, force: true })
}
