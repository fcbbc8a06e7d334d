/**
 * The RESP2 connection under the namespaces, against a scripted server: every reply type whole
 * and one byte per write, pipelining and reply order, values read into the caller's buffer,
 * and the timeout that drops a silent connection.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { ReplyError } from '@qsfs/zdb-protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { type Reply, ZdbConnection } from '../src/connection.js'

/** A server that answers each command with `answer(args)`, written whole, byte by byte, or in pieces. */
async function scriptedServer(
  answer: (args: string[]) => Buffer | undefined,
  options: { bytewise?: boolean; pieces?: () => number } = {},
): Promise<{ server: Server; port: number; commands: string[][] }> {
  const commands: string[][] = []
  const server = createServer((socket: Socket) => {
    socket.setNoDelay(true)
    let pending = Buffer.alloc(0)
    let writing = Promise.resolve()
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      for (;;) {
        const parsed = parseCommand(pending)
        if (!parsed) return
        pending = pending.subarray(parsed.used)
        commands.push(parsed.args)
        const reply = answer(parsed.args)
        if (!reply) continue
        writing = writing.then(async () => {
          if (options.pieces) {
            for (let at = 0; at < reply.length; ) {
              const n = options.pieces()
              socket.write(reply.subarray(at, at + n))
              at += n
              await new Promise((r) => setImmediate(r))
            }
            return
          }
          if (!options.bytewise) return void socket.write(reply)
          for (const byte of reply) {
            socket.write(Buffer.from([byte]))
            await new Promise((r) => setImmediate(r))
          }
        })
      }
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  servers.push(server)
  return { server, port: address.port, commands }
}

/** One RESP2 command (`*N`, then `$len` bulk arguments) from the front of `buf`. */
function parseCommand(buf: Buffer): { args: string[]; used: number } | undefined {
  let at = 0
  const line = (): string | undefined => {
    const end = buf.indexOf('\r\n', at)
    if (end < 0) return undefined
    const text = buf.toString('latin1', at, end)
    at = end + 2
    return text
  }
  const head = line()
  if (head === undefined) return undefined
  const args: string[] = []
  for (let i = 0; i < Number(head.slice(1)); i++) {
    const len = line()
    if (len === undefined) return undefined
    const n = Number(len.slice(1))
    if (buf.length < at + n + 2) return undefined
    args.push(buf.toString('latin1', at, at + n))
    at += n + 2
  }
  return { args, used: at }
}

const servers: Server[] = []
const connections: ZdbConnection[] = []
afterEach(async () => {
  for (const c of connections.splice(0)) c.close()
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

async function connectTo(port: number, timeout = 2000): Promise<ZdbConnection> {
  let ready!: () => void
  const isReady = new Promise<void>((r) => {
    ready = r
  })
  const conn = new ZdbConnection({
    host: '127.0.0.1',
    port,
    select: ['SELECT', 'ns'],
    timeout,
    onReady: () => ready(),
    onError: () => {},
  })
  connections.push(conn)
  conn.open()
  await isReady
  return conn
}

const big = Buffer.alloc(700_000)
for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 251

/** Replies of every type, keyed by the command name the test sends. */
const replies: Record<string, Buffer> = {
  SELECT: Buffer.from('+OK\r\n'),
  SIMPLE: Buffer.from('+PONG\r\n'),
  ERROR: Buffer.from('-Namespace is temporarily locked\r\n'),
  INT: Buffer.from(':42\r\n'),
  NIL: Buffer.from('$-1\r\n'),
  EMPTY: Buffer.from('$0\r\n\r\n'),
  BULK: Buffer.from('$5\r\nhe\r\no\r\n'),
  ARRAY: Buffer.from('*3\r\n$1\r\na\r\n$-1\r\n*1\r\n:7\r\n'),
  BIG: Buffer.concat([Buffer.from(`$${big.length}\r\n`), big, Buffer.from('\r\n')]),
}

async function sendAll(conn: ZdbConnection): Promise<(Reply | Error)[]> {
  const names = ['SIMPLE', 'ERROR', 'INT', 'NIL', 'EMPTY', 'BULK', 'ARRAY', 'BIG', 'SIMPLE']
  return Promise.all(names.map((n) => conn.send([n]).catch((e: Error) => e)))
}

function expectEveryType(got: (Reply | Error)[]): void {
  expect(got[0]).toBe('PONG')
  expect(got[1]).toBeInstanceOf(ReplyError)
  expect((got[1] as Error).message).toBe('Namespace is temporarily locked')
  expect(got[2]).toBe(42)
  expect(got[3]).toBeNull()
  expect(Buffer.isBuffer(got[4]) && (got[4] as Buffer).length).toBe(0)
  expect((got[5] as Buffer).toString()).toBe('he\r\no')
  expect(got[6]).toEqual([Buffer.from('a'), null, [7]])
  expect((got[7] as Buffer).equals(big)).toBe(true)
  expect(got[8]).toBe('PONG')
}

describe('a zdb connection', () => {
  it('parses every reply type, pipelined, and gives each caller its own reply in order', async () => {
    const { port, commands } = await scriptedServer((args) => replies[args[0]!])
    const conn = await connectTo(port)
    expectEveryType(await sendAll(conn))
    // SELECT came first on the connection.
    expect(commands[0]).toEqual(['SELECT', 'ns'])
  })

  it('parses the same replies arriving one byte per read', async () => {
    const { port } = await scriptedServer((args) => replies[args[0]!], { bytewise: true })
    const conn = await connectTo(port)
    const names = ['SIMPLE', 'ERROR', 'INT', 'NIL', 'EMPTY', 'BULK', 'ARRAY']
    const got = await Promise.all(names.map((n) => conn.send([n]).catch((e: Error) => e)))
    expectEveryType([...got, big, 'PONG'])
  }, 20_000)

  it('frames binary and large arguments exactly', async () => {
    const { port, commands } = await scriptedServer((args) =>
      args[0] === 'SELECT' ? replies.SELECT : replies.INT,
    )
    const conn = await connectTo(port)
    const key = Buffer.from([0, 13, 10, 255, 1, 2, 3, 4])
    await Promise.all([conn.send(['SET', key, big]), conn.send(['SET', Buffer.alloc(0), Buffer.from('x')])])
    expect(Buffer.from(commands[1]![1]!, 'latin1').equals(key)).toBe(true)
    expect(Buffer.from(commands[1]![2]!, 'latin1').equals(big)).toBe(true)
    expect(commands[2]).toEqual(['SET', '', 'x'])
  })

  it('reads a bulk reply into the buffer the caller gives, which may be longer', async () => {
    const { port } = await scriptedServer((args) => replies[args[0]!])
    const conn = await connectTo(port)
    const target = Buffer.alloc(1_000_000, 0xee)
    const got = (await conn.send(['BIG'], () => target)) as Buffer
    expect(got.buffer).toBe(target.buffer)
    expect(got.length).toBe(big.length)
    expect(got.equals(big)).toBe(true)
    expect(target[big.length]).toBe(0xee)
  })

  it("reads a stream of large values, cut anywhere, into the callers' buffers, small replies between", async () => {
    // Pieces of 1 byte to 200 KiB (seeded LCG): cuts fall in headers, CRLFs and values alike.
    let seed = 7
    const pieces = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed % 3 === 0 ? 1 + (seed % 13) : 1 + (seed % 200_000)
    }
    const value = (i: number) => Buffer.alloc(131_072 - (i % 3) * 1000, i + 1)
    const { port } = await scriptedServer(
      (args) => {
        if (args[0] === 'SELECT') return replies.SELECT
        if (args[0] === 'INT') return replies.INT
        const v = value(Number(args[1]))
        return Buffer.concat([Buffer.from(`$${v.length}\r\n`), v, Buffer.from('\r\n')])
      },
      { pieces },
    )
    const conn = await connectTo(port)
    const targets = Array.from({ length: 40 }, () => Buffer.alloc(131_072))
    const got = await Promise.all(
      targets.map((t, i) => (i % 5 === 4 ? conn.send(['INT']) : conn.send(['GET', String(i)], () => t))),
    )
    for (const [i, g] of got.entries()) {
      if (i % 5 === 4) {
        expect(g).toBe(42)
        continue
      }
      expect((g as Buffer).buffer).toBe(targets[i]!.buffer)
      expect((g as Buffer).equals(value(i))).toBe(true)
    }
  })

  it('fails every command in flight when one gets no reply within the timeout, then reconnects', async () => {
    let silent = true
    const { port } = await scriptedServer((args) =>
      args[0] === 'SELECT' ? replies.SELECT : silent ? undefined : replies.INT,
    )
    const conn = await connectTo(port, 300)
    const started = Date.now()
    const failed = await Promise.all(
      [conn.send(['A']), conn.send(['B'])].map((p) => p.catch((e: Error) => e)),
    )
    expect(failed.every((e) => e instanceof Error && !(e instanceof ReplyError))).toBe(true)
    expect(Date.now() - started).toBeLessThan(1500)
    silent = false
    for (let i = 0; i < 50 && !conn.ready; i++) await new Promise((r) => setTimeout(r, 20))
    expect(await conn.send(['C'])).toBe(42)
  })

  it('refuses to send before it is connected', async () => {
    const conn = new ZdbConnection({
      port: 1,
      select: ['SELECT', 'ns'],
      timeout: 100,
      onReady: () => {},
      onError: () => {},
    })
    await expect(conn.send(['GET'])).rejects.toThrow(/not connected/)
  })
})
