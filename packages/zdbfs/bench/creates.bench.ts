/**
 * File creations per second on the mount, with the event loop kept awake after metadata
 * requests (awake-loop.ts, the default) and without (`ZDBFS_AWAKE_MICROS=0`), in alternated
 * rounds on fresh mounts in the same run, beside the local disk. Each round creates
 * BENCH_FILES empty files (default 10,000) three times in new directories, from a child
 * process (the mount is served by another child).
 *
 *   pnpm --filter @qsfs/zdbfs bench:creates      # BENCH_ROUNDS=4 BENCH_FILES=10000
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startMount } from '../test/helpers/mount-process.js'
import { startZdb } from '../test/helpers/zdb-process.js'

const FILES = Number(process.env.BENCH_FILES ?? 10_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4)

const CREATOR = `
const { mkdirSync, writeFileSync } = require('node:fs')
const dir = process.argv[1]
mkdirSync(dir)
const t = process.hrtime.bigint()
for (let i = 0; i < ${FILES}; i++) writeFileSync(dir + '/f' + i, '')
console.log(${FILES} / (Number(process.hrtime.bigint() - t) / 1e9))
`

/** Creations per second in a new directory `dir`, measured by a child process. */
function creates(dir: string): number {
  return Number(execFileSync(process.execPath, ['-e', CREATOR, dir], { encoding: 'utf8' }))
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function onMount(awakeMicros: string | undefined): Promise<number[]> {
  const zdb = await startZdb({})
  if (awakeMicros === undefined) delete process.env.ZDBFS_AWAKE_MICROS
  else process.env.ZDBFS_AWAKE_MICROS = awakeMicros
  const m = await startMount({ port: zdb.port })
  try {
    return [0, 1, 2].map((i) => creates(join(m.mountpoint, `d${i}`)))
  } finally {
    await m.stop()
    await zdb.stop()
    rmSync(m.mountpoint, { recursive: true, force: true })
    rmSync(zdb.dir, { recursive: true, force: true })
  }
}

const awake: number[] = []
const asleep: number[] = []
const local: number[] = []
const base = mkdtempSync(join(tmpdir(), 'zdbfs-creates-local-'))
try {
  for (let r = 0; r < ROUNDS; r++) {
    awake.push(...(await onMount(undefined)))
    asleep.push(...(await onMount('0')))
    local.push(creates(join(base, `r${r}`)))
  }
} finally {
  rmSync(base, { recursive: true, force: true })
}
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const lines = [
  '| mount | creates/s, median | all runs |',
  '|---|---|---|',
  `| event loop kept awake (default) | ${fmt(median(awake))} | ${awake.map(fmt).join(', ')} |`,
  `| \`ZDBFS_AWAKE_MICROS=0\` | ${fmt(median(asleep))} | ${asleep.map(fmt).join(', ')} |`,
  `| local disk (${tmpdir()}) | ${fmt(median(local))} | ${local.map(fmt).join(', ')} |`,
  '',
  `awake / asleep: ${(median(awake) / median(asleep)).toFixed(2)}×; ${FILES} files per run, ${ROUNDS} rounds of 3 runs per mount, target ≥ 3,000`,
]
console.log(lines.join('\n'))
