/**
 * Resident memory per key and reopen time of our zdb-server (a child process, user mode):
 * loads BENCH_KEYS (default 1,000,000) keys of 16 bytes with 16-byte values over a pipelined
 * connection, reads the server's VmRSS before and after, then kills it and times a restart on
 * the same directories until it answers PING. The baseline is the same server, empty.
 *
 *   pnpm --filter @qsfs/zdb-server bench:memory
 *   BENCH_ZDB_ARGS='--cache 0' pnpm --filter @qsfs/zdb-server bench:memory   # without the value cache
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeCommand, ReplyParser } from '@qsfs/zdb-protocol'
import { type Started, startZdbServer } from './processes.js'

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000)
const BATCH = 1000

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)
  if (!kb) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(kb[1]) * 1024
}

/** Sends KEYS SETs in pipelined batches and waits for every reply. */
async function load(port: number): Promise<void> {
  const socket = new Socket()
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.connect(port, '127.0.0.1', resolve)
  })
  let pending = 0
  let wake: (() => void) | null = null
  const parser = new ReplyParser({
    onReply: (r) => {
      if (r instanceof Error) throw r
      if (--pending === 0) wake?.()
    },
    onError: (e) => {
      throw e
    },
  })
  socket.on('data', (chunk) => parser.feed(chunk))
  for (let i = 0; i < KEYS; i += BATCH) {
    const parts: Buffer[] = []
    for (let j = i; j < Math.min(i + BATCH, KEYS); j++) {
      const key = `k${j.toString(16).padStart(15, '0')}`
      parts.push(encodeCommand(['SET', key, `v${j.toString(16).padStart(15, '0')}`]))
    }
    pending = parts.length
    const done = new Promise<void>((resolve) => (wake = resolve))
    socket.write(Buffer.concat(parts))
    await done
  }
  socket.destroy()
}

const dir = mkdtempSync(join(tmpdir(), 'zdb-mem-'))
let server: Started | undefined
try {
  server = await startZdbServer(dir)
  const empty = rssBytes(server.child.pid!)
  const t0 = performance.now()
  await load(server.port)
  const loadSeconds = (performance.now() - t0) / 1000
  await new Promise((r) => setTimeout(r, 500))
  const loaded = rssBytes(server.child.pid!)
  server.child.kill('SIGKILL')
  await new Promise((r) => server!.child.once('exit', r))

  const t1 = performance.now()
  server = await startZdbServer(dir)
  const reopenSeconds = (performance.now() - t1) / 1000
  const reopened = rssBytes(server.child.pid!)

  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`
  console.log(
    `keys                    ${KEYS} (16-byte keys, 16-byte values), loaded in ${loadSeconds.toFixed(1)} s`,
  )
  console.log(`RSS empty / loaded      ${mib(empty)} / ${mib(loaded)}`)
  console.log(`resident bytes per key  ${((loaded - empty) / KEYS).toFixed(0)} B (target <= 100)`)
  console.log(
    `reopen after kill -9    ${reopenSeconds.toFixed(2)} s to first PONG (target < 3 s), RSS ${mib(reopened)}`,
  )
  console.log(`after reopen, per key   ${((reopened - empty) / KEYS).toFixed(0)} B`)
  console.log(`zdb-server flags         '${process.env.BENCH_ZDB_ARGS ?? ''}'`)
} finally {
  server?.stop()
  rmSync(dir, { recursive: true, force: true })
}
