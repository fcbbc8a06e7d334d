/**
 * zdbfs against the local disk, in the same run: 1 GiB sequential write and read (bs=1M), 4 KiB
 * random reads (fio, Debian's `fio` package), and metadata (create, stat, unlink of 10,000
 * files). The zdb and the mount are child processes; the page cache is dropped before each
 * read test when this runs as root. Prints one table with both figures and their ratio, then
 * the ceiling of the sequential read: the same zdb serving the same amount of 128 KiB values,
 * cold, to a client that only GETs them (32 in flight, as the file system's read-ahead does).
 *
 *   pnpm --filter @qsfs/zdbfs bench            # BENCH_SIZE=1G BENCH_FILES=10000 BENCH_RANDTIME=15
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectAdmin, openZdbNamespace } from '../src/zdb-namespace.js'
import { forceUnmount, startMount } from '../test/helpers/mount-process.js'
import { startZdb } from '../test/helpers/zdb-process.js'

const SIZE = process.env.BENCH_SIZE ?? '1G'
const FILES = Number(process.env.BENCH_FILES ?? 10_000)
const RANDTIME = Number(process.env.BENCH_RANDTIME ?? 15)

interface Row {
  test: string
  unit: string
  zdbfs: number
  local: number
  target?: string
}

function haveFio(): boolean {
  try {
    execFileSync('fio', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function dropCaches(): boolean {
  try {
    execFileSync('sync')
    writeFileSync('/proc/sys/vm/drop_caches', '3')
    return true
  } catch {
    return false
  }
}

function fio(args: string[]): { bw: number; iops: number } {
  const out = execFileSync('fio', [...args, '--output-format=json'], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  })
  const job = JSON.parse(out.slice(out.indexOf('{'))).jobs[0]
  const side = job.write.io_bytes > 0 ? job.write : job.read
  // fio's bw is KiB/s; report MB/s (10^6) as dd and the issue do.
  return { bw: (side.bw * 1024) / 1e6, iops: side.iops }
}

function metadata(dir: string): { create: number; stat: number; unlink: number } {
  const d = join(dir, 'meta')
  mkdirSync(d)
  const names = Array.from({ length: FILES }, (_, i) => join(d, `f${i}`))
  const rate = (fn: (p: string) => void): number => {
    const t = process.hrtime.bigint()
    for (const n of names) fn(n)
    return FILES / (Number(process.hrtime.bigint() - t) / 1e9)
  }
  // Sync calls are safe here: the mount is served by another process.
  const create = rate((p) => writeFileSync(p, ''))
  const stat = rate((p) => statSync(p))
  const unlink = rate((p) => unlinkSync(p))
  return { create, stat, unlink }
}

function run(dir: string): Record<string, number> {
  const file = join(dir, 'fio-seq')
  const common = ['--name=bench', `--filename=${file}`, `--size=${SIZE}`, '--ioengine=psync', '--numjobs=1']
  const write = fio([...common, '--rw=write', '--bs=1M', '--end_fsync=1'])
  dropCaches()
  const read = fio([...common, '--rw=read', '--bs=1M'])
  dropCaches()
  const rand = fio([...common, '--rw=randread', '--bs=4k', `--runtime=${RANDTIME}`, '--time_based=1'])
  rmSync(file)
  const meta = metadata(dir)
  return {
    write: write.bw,
    read: read.bw,
    randread: rand.iops,
    create: meta.create,
    stat: meta.stat,
    unlink: meta.unlink,
  }
}

/** fio's size syntax, as far as BENCH_SIZE uses it: `1G`, `512M`, `64K` or bytes. */
function sizeBytes(size: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(size)
  if (!m) throw new Error(`BENCH_SIZE must look like 1G, 512M or 65536, got ${size}`)
  return Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase())
}

/** MB/s of cold GETs of SIZE bytes stored as 128 KiB values in a namespace of their own. */
async function zdbAlone(port: number): Promise<number> {
  const admin = connectAdmin({ port }, 5000)
  await admin.connect()
  await admin.call('NSNEW', 'bench-raw')
  admin.disconnect()
  const ns = await openZdbNamespace({ port, namespace: 'bench-raw', timeout: 30_000 })
  try {
    const block = 131072
    const count = Math.floor(sizeBytes(SIZE) / block)
    const value = Buffer.alloc(block, 0x5a)
    const ids: number[] = []
    for (let i = 0; i < count; i += 64) {
      ids.push(
        ...(await Promise.all(Array.from({ length: Math.min(64, count - i) }, () => ns.insert(value)))),
      )
    }
    dropCaches()
    const into = Buffer.alloc(block)
    const t = process.hrtime.bigint()
    for (let i = 0; i < ids.length; i += 32) {
      await Promise.all(ids.slice(i, i + 32).map((id) => ns.get(id, () => into)))
    }
    return (ids.length * block) / (Number(process.hrtime.bigint() - t) / 1e9) / 1e6
  } finally {
    await ns.close()
  }
}

async function main(): Promise<void> {
  if (!haveFio()) {
    console.error('fio not found: install it (apt-get install fio)')
    process.exit(1)
  }
  const cold = dropCaches()
  const local = mkdtempSync(join(tmpdir(), 'zdbfs-bench-local-'))
  const zdb = await startZdb({ args: (process.env.BENCH_ZDB_ARGS ?? '').split(' ').filter(Boolean) })
  const m = await startMount({ port: zdb.port })
  let ours: Record<string, number>
  let theirs: Record<string, number>
  let alone: number
  try {
    ours = run(m.mountpoint)
    theirs = run(local)
    alone = await zdbAlone(zdb.port)
  } finally {
    await m.stop().catch(() => {})
    await forceUnmount(m.mountpoint)
    rmSync(m.mountpoint, { recursive: true, force: true })
    await zdb.stop()
    rmSync(zdb.dir, { recursive: true, force: true })
    rmSync(local, { recursive: true, force: true })
  }
  const rows: Row[] = [
    {
      test: `sequential write ${SIZE}, bs=1M, end_fsync`,
      unit: 'MB/s',
      zdbfs: ours.write!,
      local: theirs.write!,
      target: '≥ 150',
    },
    {
      test: `sequential read ${SIZE}, bs=1M`,
      unit: 'MB/s',
      zdbfs: ours.read!,
      local: theirs.read!,
      target: '≥ 350',
    },
    {
      test: `random read 4 KiB, ${RANDTIME} s`,
      unit: 'IOPS',
      zdbfs: ours.randread!,
      local: theirs.randread!,
    },
    {
      test: `create ${FILES} files`,
      unit: 'files/s',
      zdbfs: ours.create!,
      local: theirs.create!,
      target: '≥ 3,000',
    },
    { test: `stat ${FILES} files`, unit: 'files/s', zdbfs: ours.stat!, local: theirs.stat! },
    { test: `unlink ${FILES} files`, unit: 'files/s', zdbfs: ours.unlink!, local: theirs.unlink! },
  ]
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
  console.log(`page cache dropped before reads: ${cold ? 'yes' : 'no (not root): reads may be warm'}`)
  console.log('| test | unit | zdbfs | local disk | ratio | target |')
  console.log('|---|---|---|---|---|---|')
  for (const r of rows) {
    console.log(
      `| ${r.test} | ${r.unit} | ${fmt(r.zdbfs)} | ${fmt(r.local)} | ${(r.zdbfs / r.local).toFixed(2)}× | ${r.target ?? ''} |`,
    )
  }
  console.log(`zdb alone, cold GET of ${SIZE} as 128 KiB values, 32 in flight: ${fmt(alone)} MB/s`)
}

await main()
