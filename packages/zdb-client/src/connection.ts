/**
 * One RESP2 connection to a zdb, shaped for bulk traffic (spec zdb.md §1, RESP2):
 * - commands are pipelined: every command issued in one tick leaves in one write, and 128 KiB
 *   values are handed to the socket as they are, never copied into the command;
 * - the socket reads into one fixed buffer, and a bulk reply is copied once, into a buffer the
 *   caller may provide (a recycled block), so streaming 128 KiB values allocates nothing per
 *   value and keeps the garbage collector out of the data path;
 * - replies are matched to commands in order; error replies reject with `ReplyError`;
 * - a command unanswered for `timeout` ms, or a dropped connection, fails every command in
 *   flight, and the connection is made again after a short pause. Each new connection sends
 *   `select` first, and only once that succeeded does {@link ZdbConnection.ready} hold.
 * @module
 */
import { connect, type Socket } from 'node:net'
import { ReplyError } from '@qsfs/zdb-protocol'

/**
 * Where a bulk reply of `length` bytes goes: a buffer of at least that many bytes (the value is
 * written at its start). Called once the reply's length is known, before its bytes arrive.
 */
export type Alloc = (length: number) => Buffer

/** A parsed reply. Error replies are not values: they reject the command with `ReplyError`. */
export type Reply = Buffer | string | number | null | Reply[]

export interface ZdbConnectionOptions {
  host?: string
  port?: number
  /** Unix socket path; when set, `host` and `port` are not used. */
  socket?: string
  /** The command every new connection starts with (SELECT); `ready` holds once it succeeded. */
  select: (string | Buffer)[]
  /** A command unanswered this long (ms) fails with everything in flight on its connection. */
  timeout: number
  /** Called once `select` succeeded on a new connection. */
  onReady: () => void
  /** Called with why a connection attempt failed or a connection ended. */
  onError: (err: Error) => void
}

interface Pending {
  resolve: (reply: Reply) => void
  reject: (err: Error) => void
  alloc: Alloc | undefined
  sentAt: number
}

/** An array reply being filled. */
interface Frame {
  items: Reply[]
  left: number
}

const LF = 0x0a
/** Values at least this long are written as their own chunk instead of being copied. */
const INLINE_MAX = 16 * 1024
const READ_BUFFER = 256 * 1024

/** Joins text and small binary pieces into one buffer. */
function join(run: (string | Buffer)[]): Buffer {
  let length = 0
  for (const p of run) length += typeof p === 'string' ? Buffer.byteLength(p) : p.length
  const out = Buffer.allocUnsafe(length)
  let at = 0
  for (const p of run) at += typeof p === 'string' ? out.write(p, at) : p.copy(out, at)
  return out
}

/** Appends the RESP2 frame of one command to `out`; large values are chunks of their own. */
function frame(args: readonly (string | Buffer)[], out: Buffer[]): void {
  let run: (string | Buffer)[] = [`*${args.length}\r\n`]
  for (const a of args) {
    if (typeof a === 'string') {
      run.push(`$${Buffer.byteLength(a)}\r\n`, a, '\r\n')
    } else if (a.length < INLINE_MAX) {
      run.push(`$${a.length}\r\n`, a, '\r\n')
    } else {
      run.push(`$${a.length}\r\n`)
      out.push(join(run), a)
      run = ['\r\n']
    }
  }
  out.push(join(run))
}

export class ZdbConnection {
  readonly #options: ZdbConnectionOptions
  #socket: Socket | undefined
  #ready = false
  #closed = false
  #attempts = 0
  #reconnectTimer: NodeJS.Timeout | undefined
  #watchdog: NodeJS.Timeout | undefined
  readonly #pending: Pending[] = []
  /** Chunks of the commands issued in this tick, written together at its end. */
  #batch: Buffer[] = []
  readonly #readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER)

  // Reply parser state.
  #line: Buffer[] = []
  #bulk: Buffer | undefined
  #bulkLength = 0
  #bulkDone = 0
  /** CRLF bytes still to skip after a bulk value. */
  #skip = 0
  #frames: Frame[] = []

  constructor(options: ZdbConnectionOptions) {
    this.#options = options
  }

  /** Whether the connection is up and `select` succeeded. */
  get ready(): boolean {
    return this.#ready
  }

  /** Starts connecting (and reconnecting after failures) until {@link close}. */
  open(): void {
    if (!this.#socket && !this.#closed && !this.#reconnectTimer) this.#connect()
  }

  /** Sends a command on a ready connection; the reply, or `ReplyError` / a connection error. */
  send(args: readonly (string | Buffer)[], alloc?: Alloc): Promise<Reply> {
    if (!this.#ready) return Promise.reject(new Error('not connected'))
    return this.#send(args, alloc)
  }

  #send(args: readonly (string | Buffer)[], alloc?: Alloc): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      if (this.#batch.length === 0) process.nextTick(this.#flush)
      frame(args, this.#batch)
      this.#pending.push({ resolve, reject, alloc, sentAt: Date.now() })
      this.#watch()
    })
  }

  readonly #flush = (): void => {
    const batch = this.#batch
    this.#batch = []
    const socket = this.#socket
    if (!socket || batch.length === 0) return
    if (batch.length === 1) {
      socket.write(batch[0]!)
      return
    }
    socket.cork()
    for (const b of batch) socket.write(b)
    socket.uncork()
  }

  #connect(): void {
    this.#reconnectTimer = undefined
    const { socket: path, host, port, timeout } = this.#options
    const onread = {
      buffer: this.#readBuffer,
      callback: (n: number): boolean => {
        this.#onData(n)
        return true
      },
    }
    const socket = path
      ? connect({ path, onread })
      : connect({ host: host ?? 'localhost', port: port ?? 9900, onread, noDelay: true })
    this.#socket = socket
    this.#resetParser()
    const connectTimer = setTimeout(
      () => socket.destroy(new Error(`connecting took longer than ${Math.min(timeout, 5000)} ms`)),
      Math.max(1000, Math.min(timeout, 5000)),
    )
    socket.once('connect', () => {
      clearTimeout(connectTimer)
      this.#send(this.#options.select).then(
        () => {
          if (this.#socket !== socket) return
          this.#attempts = 0
          this.#ready = true
          this.#options.onReady()
        },
        (err: Error) => {
          this.#options.onError(err)
          // A refused SELECT (missing namespace, wrong password) is not fixed by retrying fast.
          socket.destroy()
        },
      )
    })
    socket.on('error', (err) => this.#options.onError(err))
    socket.once('close', () => {
      clearTimeout(connectTimer)
      if (this.#socket !== socket) return
      this.#socket = undefined
      this.#ready = false
      this.#failPending(new Error('connection closed'))
      if (this.#closed) return
      this.#attempts++
      this.#reconnectTimer = setTimeout(() => this.#connect(), Math.min(50 * this.#attempts, 500))
    })
  }

  #failPending(err: Error): void {
    this.#batch = []
    const pending = this.#pending.splice(0)
    for (const p of pending) p.reject(err)
    this.#resetParser()
  }

  /** Destroys the connection when the oldest command waited longer than the timeout. */
  #watch(): void {
    if (this.#watchdog) return
    const period = Math.max(50, Math.min(1000, this.#options.timeout / 4))
    this.#watchdog = setInterval(() => {
      const oldest = this.#pending[0]
      if (!oldest) {
        clearInterval(this.#watchdog)
        this.#watchdog = undefined
        return
      }
      if (Date.now() - oldest.sentAt >= this.#options.timeout) {
        this.#socket?.destroy(new Error(`no reply within ${this.#options.timeout} ms`))
      }
    }, period)
    this.#watchdog.unref()
  }

  /** Closes for good; commands in flight fail. */
  close(): void {
    this.#closed = true
    this.#ready = false
    clearTimeout(this.#reconnectTimer)
    clearInterval(this.#watchdog)
    this.#watchdog = undefined
    const socket = this.#socket
    this.#socket = undefined
    socket?.destroy()
    this.#failPending(new Error('connection closed'))
  }

  // ---- replies ----

  #resetParser(): void {
    this.#line = []
    this.#bulk = undefined
    this.#skip = 0
    this.#frames = []
  }

  /** Parses the `n` bytes just read into the read buffer. */
  #onData(n: number): void {
    const chunk = this.#readBuffer
    let pos = 0
    try {
      while (pos < n) {
        if (this.#skip > 0) {
          const k = Math.min(this.#skip, n - pos)
          this.#skip -= k
          pos += k
          continue
        }
        if (this.#bulk) {
          const k = Math.min(this.#bulkLength - this.#bulkDone, n - pos)
          chunk.copy(this.#bulk, this.#bulkDone, pos, pos + k)
          this.#bulkDone += k
          pos += k
          if (this.#bulkDone === this.#bulkLength) {
            const bulk = this.#bulk
            this.#bulk = undefined
            this.#skip = 2
            this.#value(bulk.length === this.#bulkLength ? bulk : bulk.subarray(0, this.#bulkLength))
          }
          continue
        }
        const lf = chunk.indexOf(LF, pos)
        if (lf < 0 || lf >= n) {
          // A line cut by the end of the read: keep a copy, the read buffer is reused.
          this.#line.push(Buffer.from(chunk.subarray(pos, n)))
          pos = n
          continue
        }
        let line: Buffer
        if (this.#line.length > 0) {
          this.#line.push(chunk.subarray(pos, lf))
          line = Buffer.concat(this.#line)
          this.#line = []
        } else {
          line = chunk.subarray(pos, lf)
        }
        pos = lf + 1
        this.#onLine(line.subarray(0, line.length - 1))
      }
    } catch (err) {
      this.#socket?.destroy(err as Error)
    }
  }

  #onLine(line: Buffer): void {
    const type = line[0]
    const text = line.toString('utf8', 1)
    if (type === 0x2b /* + */) this.#value(text)
    else if (type === 0x2d /* - */) this.#value(new ReplyError(text))
    else if (type === 0x3a /* : */) this.#value(Number(text))
    else if (type === 0x24 /* $ */) this.#startBulk(Number(text))
    else if (type === 0x2a /* * */) {
      const count = Number(text)
      if (count < 0) this.#value(null)
      else if (count === 0) this.#value([])
      else this.#frames.push({ items: [], left: count })
    } else {
      throw new Error(`a reply starts with byte ${type}: the stream is not RESP2`)
    }
  }

  /** A bulk value of `length` bytes follows: into the caller's buffer for a top-level reply. */
  #startBulk(length: number): void {
    if (length < 0) {
      this.#value(null)
      return
    }
    const alloc = this.#frames.length === 0 ? this.#pending[0]?.alloc : undefined
    const target = alloc ? alloc(length) : Buffer.allocUnsafe(length)
    if (target.length < length) throw new Error('a reply buffer is shorter than the value')
    this.#bulkLength = length
    this.#bulkDone = 0
    if (length > 0) this.#bulk = target
    else {
      this.#skip = 2
      this.#value(target.subarray(0, 0))
    }
  }

  #value(value: Reply | ReplyError): void {
    let v = value
    for (;;) {
      const frame = this.#frames.at(-1)
      if (!frame) break
      frame.items.push(v instanceof ReplyError ? null : v)
      if (--frame.left > 0) return
      this.#frames.pop()
      v = frame.items
    }
    const p = this.#pending.shift()
    if (!p) throw new Error('a reply came for no command')
    if (v instanceof ReplyError) p.reject(v)
    else p.resolve(v)
  }
}
