/**
 * A minimal RESP client for tests: net + encodeCommand + ReplyParser. Replies are matched to
 * requests in order, so many commands can be written before reading any reply.
 */
import { connect, type Socket } from 'node:net'
import { type CommandArg, encodeCommand, ReplyParser, type RespValue } from '@qsfs/zdb-protocol'

export class TestClient {
  readonly #socket: Socket
  readonly #replies: RespValue[] = []
  readonly #waiters: { resolve: (v: RespValue) => void; reject: (e: Error) => void }[] = []
  readonly #parser: ReplyParser
  #ended = false
  /** Resolves when the server closes the connection. */
  readonly ended: Promise<void>

  private constructor(socket: Socket) {
    this.#socket = socket
    this.#parser = new ReplyParser({
      onReply: (v) => {
        const w = this.#waiters.shift()
        if (w) w.resolve(v)
        else this.#replies.push(v)
      },
      onError: (err) => this.#failAll(err),
    })
    socket.on('data', (chunk: Buffer) => this.#parser.feed(chunk))
    this.ended = new Promise((resolve) => {
      socket.on('close', () => {
        this.#ended = true
        this.#failAll(new Error('connection closed'))
        resolve()
      })
    })
    socket.on('error', (err) => this.#failAll(err))
  }

  static connect(host: string, port: number): Promise<TestClient> {
    return TestClient.connectTo({ host, port })
  }

  /** A client of a Unix socket server. */
  static connectPath(path: string): Promise<TestClient> {
    return TestClient.connectTo({ path })
  }

  static connectTo(target: { host: string; port: number } | { path: string }): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(target, () => {
        socket.off('error', reject)
        resolve(new TestClient(socket))
      })
      socket.once('error', reject)
    })
  }

  /** Sends one command and waits for its reply. */
  call(...args: CommandArg[]): Promise<RespValue> {
    this.#socket.write(encodeCommand(args))
    return this.next()
  }

  /** Writes raw bytes (for protocol-level tests). */
  write(bytes: Buffer | string): void {
    this.#socket.write(bytes)
  }

  /** The next reply not yet consumed. */
  next(): Promise<RespValue> {
    const ready = this.#replies.shift()
    if (ready !== undefined) return Promise.resolve(ready)
    if (this.#ended) return Promise.reject(new Error('connection closed'))
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  /** Writes every command in one write, then collects as many replies. */
  async pipeline(commands: CommandArg[][]): Promise<RespValue[]> {
    this.#socket.write(Buffer.concat(commands.map((c) => encodeCommand(c))))
    const out: RespValue[] = []
    for (let i = 0; i < commands.length; i++) out.push(await this.next())
    return out
  }

  close(): Promise<void> {
    this.#socket.end()
    return this.ended
  }

  #failAll(err: Error): void {
    for (const w of this.#waiters.splice(0)) w.reject(err)
  }
}

/** The message of an error reply, or a marker that makes a wrong assertion readable. */
export function errorText(v: RespValue): string {
  return v instanceof Error ? v.message : `<not an error: ${JSON.stringify(v)}>`
}

/** A bulk reply as text. */
export function text(v: RespValue): string | null {
  if (v === null) return null
  if (Buffer.isBuffer(v)) return v.toString('latin1')
  return `<not a bulk string: ${v instanceof Error ? `-${v.message}` : JSON.stringify(v)}>`
}
