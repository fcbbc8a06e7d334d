/**
 * Durability under `kill -9`: a server started with `--sync` is killed at seeded random
 * moments while a client keeps writing; after each restart, every write it acknowledged reads
 * back with its value, and the server starts every time.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TestClient } from './helpers/client.js'
import { type TempDirs, tempDirs } from './helpers/server.js'

const CLI = join(import.meta.dirname, '../dist/cli.js')
const ROUNDS = 20

let dirs: TempDirs
let child: ChildProcess | undefined

beforeEach(() => {
  dirs = tempDirs()
})
afterEach(() => {
  child?.kill('SIGKILL')
  dirs.remove()
})

/** mulberry32: a small seeded PRNG, so every run kills at the same moments. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function valueFor(key: string, length: number): Buffer {
  const v = Buffer.alloc(length)
  for (let i = 0; i < length; i++) v[i] = (key.charCodeAt(i % key.length) + i) & 0xff
  return v
}

async function startServer(
  extra: string[] = [],
): Promise<{ proc: ChildProcess; port: number; exit: Promise<unknown> }> {
  const proc = spawn(process.execPath, [
    CLI,
    '--port',
    '0',
    '--sync',
    '--datasize',
    '524288',
    '--data',
    dirs.dataDir,
    '--index',
    dirs.indexDir,
    ...extra,
  ])
  child = proc
  const exit = new Promise((resolve) => proc.once('exit', resolve))
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    let err = ''
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /listening on .*:(\d+)/.exec(out)
      if (m) resolve(Number(m[1]))
    })
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
    })
    proc.once('exit', (code) => reject(new Error(`server exited with ${code} before listening: ${err}`)))
  })
  return { proc, port, exit }
}

describe('kill -9 with --sync', () => {
  it(`every acknowledged SET survives ${ROUNDS} kills at random moments, and the server always restarts`, async () => {
    const random = prng(20261121)
    const acked = new Map<string, number>() // key -> value length
    for (let round = 0; round < ROUNDS; round++) {
      const { proc, port, exit } = await startServer()
      const c = await TestClient.connect('127.0.0.1', port)
      const killAt = 20 + Math.floor(random() * 120)
      setTimeout(() => proc.kill('SIGKILL'), killAt)
      // Up to 8 SETs in flight; a reply is the acknowledgement.
      let i = 0
      const writer = async (): Promise<void> => {
        for (;;) {
          const key = `r${round}-${i++}`
          const length = Math.floor(random() * 3000)
          const reply = await c.call('SET', key, valueFor(key, length)).catch(() => undefined)
          if (reply === undefined) return
          expect(Buffer.isBuffer(reply) && reply.toString()).toBe(key)
          acked.set(key, length)
        }
      }
      await Promise.all(Array.from({ length: 8 }, writer))
      await exit

      const check = await startServer()
      const reader = await TestClient.connect('127.0.0.1', check.port)
      const keys = [...acked.keys()]
      const values = await reader.pipeline(keys.map((k) => ['GET', k]))
      const wrong = keys.filter((k, j) => {
        const got = values[j]
        return !Buffer.isBuffer(got) || !got.equals(valueFor(k, acked.get(k)!))
      })
      expect(wrong, `round ${round}: acknowledged keys missing or wrong after restart`).toEqual([])
      check.proc.kill('SIGKILL')
      await check.exit
    }
    expect(acked.size).toBeGreaterThan(ROUNDS)
  }, 120_000)
})
