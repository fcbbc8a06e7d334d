/**
 * MIRROR and MASTER (spec zdb.md §1): a mirror connection receives upstream's frame
 * `*<argc+3> :<time> $<ns> :<owner> <command..>` for every write another client applied; a
 * master connection's requests end with the owner id of the write. Mirrors are read as raw
 * bytes, so the exact frames are checked.
 */
import { connect, type Socket } from 'node:net'
import { encodeCommand } from '@qsfs/zdb-protocol'
import { describe, expect, it } from 'vitest'
import { errorText, text } from './helpers/client.js'
import { serverFixture } from './helpers/fixture.js'

const f = serverFixture()
const NOW = 1_700_000_000

/** A raw socket: bytes in, bytes out, nothing parsed. */
class RawClient {
  received = Buffer.alloc(0)
  readonly #socket: Socket
  #wake: (() => void) | undefined

  private constructor(socket: Socket) {
    this.#socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk])
      this.#wake?.()
    })
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new RawClient(socket)
  }

  send(...args: (string | Buffer)[]): void {
    this.#socket.write(encodeCommand(args))
  }

  /** Waits until `n` bytes arrived (or 5 s passed), then takes them. */
  async take(n: number): Promise<string> {
    const deadline = Date.now() + 5000
    while (this.received.length < n && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve
        setTimeout(resolve, 50)
      })
    }
    const out = this.received.subarray(0, n).toString('latin1')
    this.received = this.received.subarray(n)
    return out
  }

  /** Stops reading: the server's writes pile up in its buffers. */
  pause(): void {
    this.#socket.pause()
  }

  /** Reads again and resolves once the server closed the connection. */
  closed(): Promise<void> {
    this.#socket.on('error', () => {})
    const closed = new Promise<void>((resolve) => this.#socket.once('close', () => resolve()))
    this.#socket.resume()
    return closed
  }

  close(): void {
    this.#socket.destroy()
  }
}

/** Upstream's mirror frame, built by hand. */
function frame(ns: string, owner: number, ...command: string[]): string {
  const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`
  return `*${command.length + 3}\r\n:${NOW}\r\n${bulk(ns)}:${owner}\r\n${command.map(bulk).join('')}`
}

async function instanceId(): Promise<number> {
  const c = await f.connect()
  return Number(/instance_id: (\d+)/.exec(text(await c.call('INFO')) ?? '')?.[1])
}

async function mirrorOf(port: number): Promise<RawClient> {
  const m = await RawClient.open(port)
  m.send('MIRROR')
  expect(await m.take('+Starting mirroring\r\n'.length)).toBe('+Starting mirroring\r\n')
  return m
}

describe('MIRROR', () => {
  it('forwards every applied write of other clients, in order, and nothing else', async () => {
    const server = await f.start({ now: () => NOW })
    const iid = await instanceId()
    const m = await mirrorOf(server.address.port)
    const c = await f.connect()
    expect(text(await c.call('SET', 'k', 'v1'))).toBe('k')
    expect(await c.call('SET', 'k', 'v1')).toBe(null) // unchanged: nothing written
    expect(text(await c.call('GET', 'k'))).toBe('v1')
    expect(text(await c.call('s', 'j', 'abbreviated'))).toBe('j')
    expect(await c.call('DEL', 'k')).toBe('OK')
    expect(errorText(await c.call('DEL', 'k'))).toBe('Key not found')
    expect(await c.call('NSNEW', 'other')).toBe('OK')
    expect(await c.call('NSSET', 'other', 'password', 'pw')).toBe('OK')
    expect(await c.call('SELECT', 'other', 'pw')).toBe('OK')
    expect(text(await c.call('SETX', 'x', 'y'))).toBe('x')
    expect(await c.call('NSSET', 'other', 'public', '0')).toBe('OK')
    expect(await c.call('FLUSH')).toBe('OK')
    expect(await c.call('NSJUMP')).toBe('OK')
    expect(await c.call('AUTH', 'SECURE', 'CHALLENGE')).toMatch(/^[0-9a-f]{16}$/)
    expect(await c.call('SELECT', 'default')).toBe('OK')
    expect(await c.call('NSDEL', 'other')).toBe('OK')
    const expected = [
      frame('default', iid, 'SET', 'k', 'v1'),
      frame('default', iid, 'SET', 'j', 'abbreviated'),
      frame('default', iid, 'DEL', 'k'),
      frame('default', iid, 'NSNEW', 'other'),
      frame('default', iid, 'NSSET', 'other', 'password', 'pw'),
      frame('other', iid, 'SETX', 'x', 'y'),
      frame('other', iid, 'NSSET', 'other', 'public', '0'),
      frame('other', iid, 'FLUSH'),
      frame('other', iid, 'NSJUMP'),
      frame('default', iid, 'NSDEL', 'other'),
    ].join('')
    expect(await m.take(expected.length)).toBe(expected)
    m.close()
  })

  it('a seq-mode append is forwarded as the SET the client sent, binary values intact', async () => {
    const server = await f.start({ now: () => NOW, mode: 'seq' })
    const iid = await instanceId()
    const m = await mirrorOf(server.address.port)
    const c = await f.connect()
    const value = Buffer.from([0, 13, 10, 255, 42])
    expect(await c.call('SET', '', value)).toEqual(Buffer.alloc(8))
    const want = Buffer.concat([
      Buffer.from(`*6\r\n:${NOW}\r\n$7\r\ndefault\r\n:${iid}\r\n$3\r\nSET\r\n$0\r\n\r\n$5\r\n`),
      value,
      Buffer.from('\r\n'),
    ]).toString('latin1')
    expect(await m.take(want.length)).toBe(want)
    m.close()
  })

  it('does not send a mirror its own writes; every other mirror gets them', async () => {
    const server = await f.start({ now: () => NOW })
    const iid = await instanceId()
    const a = await mirrorOf(server.address.port)
    const b = await mirrorOf(server.address.port)
    a.send('SET', 'from-a', '1')
    expect(await a.take(12)).toBe('$6\r\nfrom-a\r\n')
    const c = await f.connect()
    expect(text(await c.call('SET', 'from-c', '2'))).toBe('from-c')
    const fromA = frame('default', iid, 'SET', 'from-a', '1')
    const fromC = frame('default', iid, 'SET', 'from-c', '2')
    expect(await b.take(fromA.length + fromC.length)).toBe(fromA + fromC)
    expect(await a.take(fromC.length)).toBe(fromC)
    a.close()
    b.close()
  })

  it('a mirror that stops reading is dropped once 64 MiB of frames are owed to it; writers go on', async () => {
    const server = await f.start()
    const m = await mirrorOf(server.address.port)
    m.pause()
    const c = await f.connect()
    const value = Buffer.alloc(8 * 1024 * 1024, 0x61)
    for (let i = 0; i < 12; i++) expect(text(await c.call('SET', `big${i}`, value))).toBe(`big${i}`)
    await m.closed()
    // Less than the 12 frames reached it: it was cut off, not drained.
    expect(m.received.length).toBeLessThan(11 * value.length)
    expect(text(await c.call('SET', 'after', 'x'))).toBe('after')
  }, 30_000)

  it('with --admin, MIRROR and MASTER need AUTH first', async () => {
    const server = await f.start({ admin: 'pw' })
    const m = await RawClient.open(server.address.port)
    m.send('MIRROR')
    m.send('MASTER')
    m.send('AUTH', 'pw')
    m.send('MIRROR')
    m.send('MASTER')
    const want =
      '-Permission denied\r\n-Permission denied\r\n+OK\r\n+Starting mirroring\r\n+Hello, master\r\n'
    expect(await m.take(want.length)).toBe(want)
    m.close()
  })
})

describe('MASTER', () => {
  it('takes the owner id off each request and passes it on to the mirrors', async () => {
    const server = await f.start({ now: () => NOW })
    const iid = await instanceId()
    const m = await mirrorOf(server.address.port)
    const master = await RawClient.open(server.address.port)
    master.send('MASTER')
    master.send('NSNEW', 'ns', '77')
    master.send('SELECT', 'ns', '77')
    master.send('SET', 'k', 'v', '77')
    master.send('GET', 'k', '77')
    const replies = '+Hello, master\r\n+OK\r\n+OK\r\n$1\r\nk\r\n$1\r\nv\r\n'
    expect(await master.take(replies.length)).toBe(replies)
    const frames = frame('default', 77, 'NSNEW', 'ns') + frame('ns', 77, 'SET', 'k', 'v')
    expect(await m.take(frames.length)).toBe(frames)
    // Its own writes coming back through a replication loop are not run again.
    master.send('SET', 'k', 'changed', String(iid))
    master.send('GET', 'k', '1')
    const skipped = '+Skipped, own write\r\n$1\r\nv\r\n'
    expect(await master.take(skipped.length)).toBe(skipped)
    // Owner 0: run, not replicated. A plain client's write still is, with this server's id.
    master.send('SET', 'local', 'x', '0')
    expect(await master.take(11)).toBe('$5\r\nlocal\r\n')
    const c = await f.connect()
    expect(await c.call('SELECT', 'ns')).toBe('OK')
    expect(text(await c.call('SET', 'plain', 'y'))).toBe('plain')
    const plain = frame('ns', iid, 'SET', 'plain', 'y')
    expect(await m.take(plain.length)).toBe(plain)
    master.close()
    m.close()
  })

  it('a request without a valid owner id is refused and not run', async () => {
    const server = await f.start()
    const master = await RawClient.open(server.address.port)
    master.send('MASTER')
    master.send('PING')
    master.send('SET', 'k', 'v', 'x1')
    master.send('SET', 'k', 'v', '4294967296')
    master.send('EXISTS', 'k', '5')
    const want = `+Hello, master\r\n${'-Invalid owner id\r\n'.repeat(3)}:0\r\n`
    expect(await master.take(want.length)).toBe(want)
    master.close()
  })
})
