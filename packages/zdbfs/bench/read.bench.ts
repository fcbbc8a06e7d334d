/**
 * Cold sequential read, and the CPU it costs: one zdb, one file written once, then rounds that
 * each drop the page cache, mount, read the file with fio (bs=1M) and unmount. Each round
 * prints MB/s and CPU seconds per GiB read of the mount (its JavaScript thread, and its other
 * threads: libfuse's and V8's), the zdb (kernel side apart: cold pages cost it most) and fio.
 * The machine is shared, so MB/s moves a lot between rounds; CPU per GiB much less.
 *
 * BENCH_CLI_B names another `src/cli.ts` (a copy of an earlier version of the package, say):
 * rounds then alternate between the two, so that both see the same load, and the medians of
 * each come last. The first read after the write costs the zdb more whichever version reads
 * (this virtual machine's memory): it is a warm-up, left out, unless BENCH_FRESH=1: then each
 * round's mount writes the file anew and reads that, as `bench` does. BENCH_NODE_ARGS are given
 * to the mounts' node (`--cpu-prof --cpu-prof-dir=/tmp/prof`, say).
 *
 *   pnpm --filter @qsfs/zdbfs bench:read     # BENCH_SIZE=1G BENCH_ROUNDS=4 BENCH_FRESH=0 BENCH_CLI_B=...
 */
import { execFileSync, spawn } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { CLI, forceUnmount, PACKAGE_DIR, tempMountpoint } from '../test/helpers/mount-process.js'
import { startZdb } from '../test/helpers/zdb-process.js'

const SIZE = process.env.BENCH_SIZE ?? '1G'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4)
const FRESH = process.env.BENCH_FRESH === '1'
const NODE_ARGS = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []
const variants: [string, string][] = [['A', CLI]]
if (process.env.BENCH_CLI_B) variants.push(['B', process.env.BENCH_CLI_B])

/** USER_HZ: /proc times are in these ticks. */
const TICK = 100

/** [user, system] CPU seconds of a process or thread. */
function cpu(path: string): [number, number] {
  const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ')
  return [Number(fields[11]) / TICK, Number(fields[12]) / TICK]
}

const total = (path: string) => cpu(path).reduce((a, b) => a + b)

function dropCaches(): void {
  execFileSync('sync')
  writeFileSync('/proc/sys/vm/drop_caches', '3')
}

function fio(args: string[]): { bw: number; cpu: number } {
  const out = execFileSync('fio', [...args, '--output-format=json'], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  })
  const job = JSON.parse(out.slice(out.indexOf('{'))).jobs[0]
  const side = job.write.io_bytes > 0 ? job.write : job.read
  // fio's bw is KiB/s; MB/s (10^6) as the issue reports.
  return { bw: (side.bw * 1024) / 1e6, cpu: ((job.usr_cpu + job.sys_cpu) / 100) * (job.job_runtime / 1000) }
}

async function mount(cli: string, port: number, mountpoint: string) {
  const child = spawn(
    process.execPath,
    [...NODE_ARGS, '--import', 'tsx', cli, '-o', `port=${port},autons`, mountpoint],
    {
      cwd: PACKAGE_DIR,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  await new Promise<void>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      if (out.includes('zdbfs: ready')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`zdbfs exited with ${code}: ${out}`)))
  })
  const pid = child.pid!
  return {
    /** CPU seconds of the JavaScript thread and of all the others. */
    cpu(): { main: number; others: number } {
      let others = 0
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        if (tid === String(pid)) continue
        try {
          others += total(`/proc/${pid}/task/${tid}/stat`)
        } catch {
          // The thread ended meanwhile; its time is in the process's total.
        }
      }
      const main = total(`/proc/${pid}/task/${pid}/stat`)
      return { main, others: Math.max(others, total(`/proc/${pid}/stat`) - main) }
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

interface Row {
  mbs: number
  main: number
  others: number
  zdbUser: number
  zdbSys: number
  fio: number
}

async function main(): Promise<void> {
  const zdb = await startZdb()
  const zdbStat = `/proc/${zdb.child.pid}/stat`
  const mountpoint = tempMountpoint()
  const file = join(mountpoint, 'seq')
  const m = /^(\d+)([KMG]?)$/i.exec(SIZE)
  if (!m) throw new Error(`BENCH_SIZE must look like 1G, 512M or 65536, got ${SIZE}`)
  const gib = (Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase())) / 2 ** 30
  const readArgs = ['--name=r', `--filename=${file}`, `--size=${SIZE}`, '--rw=read', '--bs=1M']
  const writeArgs = [
    '--name=w',
    `--filename=${file}`,
    `--size=${SIZE}`,
    '--rw=write',
    '--bs=1M',
    '--end_fsync=1',
  ]
  const results = new Map<string, Row[]>()
  try {
    if (!FRESH) {
      const w = await mount(CLI, zdb.port, mountpoint)
      fio(writeArgs)
      dropCaches()
      fio(readArgs)
      await w.stop()
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, cli] of round % 2 ? [...variants].reverse() : variants) {
        if (!FRESH) dropCaches()
        const mnt = await mount(cli, zdb.port, mountpoint)
        if (FRESH) {
          fio(writeArgs)
          dropCaches()
        }
        const m0 = mnt.cpu()
        const z0 = cpu(zdbStat)
        const r = fio(readArgs)
        const m1 = mnt.cpu()
        const z1 = cpu(zdbStat)
        if (FRESH) rmSync(file)
        await mnt.stop()
        const row: Row = {
          mbs: r.bw,
          main: (m1.main - m0.main) / gib,
          others: (m1.others - m0.others) / gib,
          zdbUser: (z1[0] - z0[0]) / gib,
          zdbSys: (z1[1] - z0[1]) / gib,
          fio: r.cpu / gib,
        }
        results.set(name, [...(results.get(name) ?? []), row])
        console.log(`${name} round ${round}: ${describe(row)}, load ${loadavg()[0]!.toFixed(2)}`)
      }
    }
  } finally {
    await forceUnmount(mountpoint)
    rmSync(mountpoint, { recursive: true, force: true })
    await zdb.stop()
    rmSync(zdb.dir, { recursive: true, force: true })
  }
  for (const [name, rows] of results) {
    const med = Object.fromEntries(
      (Object.keys(rows[0]!) as (keyof Row)[]).map((k) => [k, median(rows.map((r) => r[k]))]),
    ) as unknown as Row
    console.log(`${name} median of ${rows.length}: ${describe(med)}`)
  }
}

function describe(r: Row): string {
  const f = (n: number) => n.toFixed(2)
  return (
    `${r.mbs.toFixed(0)} MB/s; CPU s/GiB: mount ${f(r.main + r.others)} (JS thread ${f(r.main)}, others ` +
    `${f(r.others)}), zdb ${f(r.zdbUser + r.zdbSys)} (kernel ${f(r.zdbSys)}), fio ${f(r.fio)}`
  )
}

await main()
