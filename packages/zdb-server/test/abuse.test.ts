import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { encodeCommand } from '@qsfs/zdb-protocol'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ZdbServer } from '../src/index.js'
import { errorText, TestClient, text } from './helpers/client.js'
import { startServer, type TempDirs, tempDirs } from './helpers/server.js'

let dirs: TempDirs
let server: ZdbServer
const sockets: Socket[] = []

beforeEach(async () => {
  dirs = tempDirs()
  server = await startServer(dirs)
})

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  await server.close()
  dirs.remove()
})

const client = () => TestClient.connect('127.0.0.1', server.address.port)

function rawSocket(port = server.address.port): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s))
    s.once('error', reject)
    sockets.push(s)
  })
}

/** A healthy client's round trip, to show the server still serves others. */
async function stillServes(): Promise<void> {
  const c = await client()
  expect(await c.call('SET', 'probe', 'ok')).toBeInstanceOf(Buffer)
  expect(text(await c.call('GET', 'probe'))).toBe('ok')
  await c.close()
}

describe('bad input and abusive clients', () => {
  it('a payload over 8 MiB gets -Payload too big, its connection closes, and others are served', async () => {
    const c = await client()
    c.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${8 * 1024 * 1024 + 1}\r\n`)
    expect(errorText(await c.next())).toBe('Payload too big')
    await c.ended
    await stillServes()
  })

  it('1025 arguments get -Too many arguments and the same connection keeps working', async () => {
    const c = await client()
    const args = ['MGET', ...Array.from({ length: 1024 }, (_, i) => `k${i}`)]
    expect(errorText(await c.call(...args))).toBe('Too many arguments')
    expect(await c.call('PING')).toBe('PONG')
    await c.close()
  })

  it('binary garbage gets an error reply or a close, never a crash, and others are served', async () => {
    const garbage = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 512 }), { numRuns: 40, seed: 7 })
    for (const bytes of garbage) {
      const s = await rawSocket()
      s.on('error', () => {}) // a reset is an acceptable way to be turned away
      s.resume()
      // The server ends its side: after an error reply, or when our FIN arrives mid-frame.
      const ended = new Promise((resolve) => {
        s.once('end', resolve)
        s.once('close', resolve)
      })
      s.end(Buffer.from(bytes))
      await ended
    }
    await stillServes()
  })

  it('a client trickling one request byte by byte does not hold up other clients', async () => {
    const slow = await client()
    const request = encodeCommand(['SET', 'slow', Buffer.alloc(2000, 0x61)])
    let sent = 0
    const timer = setInterval(() => {
      if (sent < request.length) slow.write(request.subarray(sent, ++sent))
    }, 1)
    try {
      const fast = await client()
      const replies = await fast.pipeline(Array.from({ length: 200 }, (_, i) => ['SET', `fast${i}`, 'v']))
      expect(replies.every((r) => Buffer.isBuffer(r))).toBe(true)
      expect(sent).toBeLessThan(request.length) // the slow request was still incomplete
      await fast.close()
    } finally {
      clearInterval(timer)
    }
    slow.write(request.subarray(sent))
    expect(text(await slow.next())).toBe('slow')
    await slow.close()
  })

  it('two thousand idle connections do not stop a new client from being served', async () => {
    for (let i = 0; i < 2000; i++) await rawSocket()
    await stillServes()
  })
})

describe('a client that writes without reading its replies', () => {
  let child: ChildProcess | undefined
  afterEach(() => {
    child?.kill('SIGKILL')
    child = undefined
  })

  it('is throttled by backpressure: the server holds far less than the replies it owes', async () => {
    // A separate server process, so its resident memory can be read from /proc.
    const cli = join(import.meta.dirname, '../dist/cli.js')
    child = spawn(process.execPath, [
      cli,
      '--port',
      '0',
      '--data',
      `${dirs.dataDir}2`,
      '--index',
      `${dirs.indexDir}2`,
    ])
    const port = await new Promise<number>((resolve, reject) => {
      let out = ''
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /listening on .*:(\d+)/.exec(out)
        if (m) resolve(Number(m[1]))
      })
      child!.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
    })
    const rss = () =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child!.pid}/status`, 'utf8'))![1]) * 1024

    const value = Buffer.alloc(64 * 1024, 0x62)
    const s = await rawSocket(port)
    s.write(encodeCommand(['SET', 'big', value]))
    await new Promise((resolve) => s.once('data', resolve))
    s.pause() // read nothing more
    const before = rss()
    const gets = Buffer.concat(Array.from({ length: 1000 }, () => encodeCommand(['GET', 'big'])))
    const owed = 16 * 1000 * value.length // 1 GiB of replies
    for (let i = 0; i < 16; i++) s.write(gets)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const grown = rss() - before
    expect(grown).toBeLessThan(owed / 8)

    // Reading resumes: every reply arrives, in full.
    let received = 0
    s.on('data', (d: Buffer) => {
      received += d.length
    })
    s.resume()
    const perReply = value.length + `$${value.length}\r\n\r\n`.length
    while (received < (owed / value.length) * perReply)
      await new Promise((resolve) => setTimeout(resolve, 20))
    expect(received).toBe((owed / value.length) * perReply)
  }, 30_000)
})
