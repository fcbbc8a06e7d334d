/**
 * The state machine behind the streaming RESP2 parsers: `RequestParser` for servers (zdb's
 * request rules, spec zdb.md §1) and `ReplyParser` for clients (every RESP2 reply type).
 *
 * Both are resumable state machines: a chunk may end anywhere, even inside a length header
 * or between the CR and LF, and parsing picks up there with the next chunk. Each input byte
 * is looked at once, so splitting a frame over many chunks costs nothing extra. A bulk string
 * that lies inside one chunk is returned as a zero-copy `subarray` of that chunk; one split
 * over several chunks is gathered as a list of slices and joined once, when complete.
 *
 * With borrowed chunks (the caller reads every chunk into the same memory), nothing may keep a
 * view of a chunk once `feed` returns: split bulk strings are copied as they arrive into one
 * buffer that grows by doubling, and the finished elements of an unfinished frame are copied
 * when the chunk ends.
 *
 * Memory held for an incomplete frame is bounded by the limits (bulk length, array length,
 * request bytes, line length, nesting depth), and garbage is rejected at the first byte that
 * cannot start or continue a frame, so no input can make a parser loop or grow without bound.
 * @module
 */
import { ProtocolError, type ProtocolErrorCode, ReplyError } from './errors.js'
import { RequestFrame } from './request-frame.js'

/** A decoded RESP2 value. Nil bulk strings and nil arrays decode to `null`. */
export type RespValue = string | number | bigint | Buffer | null | ReplyError | RespValue[]

const CR = 0x0d
const LF = 0x0a
const STAR = 0x2a
const DOLLAR = 0x24
const PLUS = 0x2b
const MINUS = 0x2d
const COLON = 0x3a

const S_TYPE = 0
const S_NUM = 1
const S_NUM_LF = 2
const S_BODY = 3
const S_BODY_CR = 4
const S_BODY_LF = 5
const S_LINE = 6
const S_LINE_LF = 7
const S_DEAD = 8

const EMPTY = Buffer.alloc(0)

/** Larger header numbers cannot be exact doubles; every limit is far below this anyway. */
const MAX_HEADER_DIGITS = 15

interface Frame {
  /** `null` while discarding the elements of a refused request. */
  items: RespValue[] | null
  left: number
}

export interface EngineLimits {
  maxArrayLength: number
  maxBulkLength: number
  maxRequestBytes: number
  maxDepth: number
  maxLineLength: number
}

/** The resumable RESP2 state machine behind both public parsers. */
export class RespEngine {
  private state = S_TYPE
  private type = 0
  private num = 0
  private neg = false
  private digits = 0
  private need = 0
  private parts: Buffer[] = []
  private partsLength = 0
  private bulk: Buffer | null = null
  /** Borrowed mode: the bytes so far of a bulk string split over chunks (`partsLength` of them). */
  private gathered: Buffer | null = null
  private stack: Frame[] = []
  private held = 0
  private requestBytes = 0

  constructor(
    private readonly request: boolean,
    private readonly limits: EngineLimits,
    private readonly emit: (value: RespValue) => void,
    private readonly fail: (error: ProtocolError) => void,
    /** Request mode: receives every request, with `frame` filled in (or use `emitArgs`). */
    private readonly emitFrame: ((frame: RequestFrame) => void) | null = null,
    private readonly emitArgs: ((args: Buffer[]) => void) | null = null,
    /** The caller reuses each chunk's memory once `feed` returns: copy whatever is kept of it. */
    private readonly borrowed = false,
  ) {}

  private readonly frame = new RequestFrame()

  get bufferedBytes(): number {
    return this.held + this.partsLength
  }

  get closed(): boolean {
    return this.state === S_DEAD
  }

  reset(): void {
    this.state = S_TYPE
    this.parts = []
    this.partsLength = 0
    this.bulk = null
    this.gathered = null
    this.stack = []
    this.held = 0
    this.requestBytes = 0
  }

  feed(chunk: Buffer): void {
    this.parse(chunk)
    if (this.borrowed && this.stack.length > 0) this.detach(chunk.buffer)
  }

  /** Replaces the finished elements of the unfinished frames that are views of `memory` by copies. */
  private detach(memory: ArrayBufferLike): void {
    const own = (items: RespValue[]): void => {
      for (let i = 0; i < items.length; i++) {
        const v = items[i]
        if (Buffer.isBuffer(v) && v.buffer === memory) items[i] = Buffer.from(v)
        else if (Array.isArray(v)) own(v)
      }
    }
    for (const frame of this.stack) if (frame.items !== null) own(frame.items)
  }

  private parse(chunk: Buffer): void {
    const len = chunk.length
    let pos = 0
    while (pos < len) {
      switch (this.state) {
        case S_TYPE: {
          if (this.request && this.stack.length === 0) {
            const end = this.wholeRequest(chunk, pos)
            if (end !== -1) {
              pos = end
              break
            }
          }
          const b = chunk[pos++]!
          if (!this.acceptType(b)) return
          this.type = b
          this.num = 0
          this.neg = false
          this.digits = 0
          this.state = b === STAR || b === DOLLAR ? S_NUM : S_LINE
          break
        }
        case S_NUM: {
          let num = this.num
          let digits = this.digits
          let b = 0
          while (pos < len) {
            b = chunk[pos]!
            if (b < 0x30 || b > 0x39) break
            num = num * 10 + (b - 0x30)
            digits++
            pos++
          }
          this.num = num
          this.digits = digits
          if (digits > MAX_HEADER_DIGITS) {
            this.headerTooLarge()
            return
          }
          if (pos === len) break
          pos++
          if (b === CR && digits > 0) this.state = S_NUM_LF
          else if (b === MINUS && digits === 0 && !this.neg) this.neg = true
          else {
            this.malformed(`invalid length header: byte 0x${hex(b)} after '${char(this.type)}'`)
            return
          }
          break
        }
        case S_NUM_LF: {
          if (chunk[pos++] !== LF) {
            this.malformed('length header not terminated by CRLF')
            return
          }
          if (!this.header()) return
          break
        }
        case S_BODY: {
          const need = this.need
          const avail = len - pos
          if (this.partsLength === 0 && avail >= need + 2) {
            // Fast path: the whole payload and its CRLF are in this chunk.
            if (chunk[pos + need] !== CR || chunk[pos + need + 1] !== LF) {
              this.malformed('bulk string not terminated by CRLF')
              return
            }
            const value = chunk.subarray(pos, pos + need)
            pos += need + 2
            this.state = S_TYPE
            this.complete(value)
            break
          }
          const take = Math.min(avail, need)
          const keep = this.keeping()
          if (take > 0) {
            if (keep) {
              if (this.borrowed) this.gather(chunk, pos, take, this.partsLength + need)
              else this.parts.push(chunk.subarray(pos, pos + take))
              this.partsLength += take
            }
            this.need = need - take
            pos += take
          }
          if (this.need === 0) {
            this.bulk = !keep ? EMPTY : this.borrowed ? this.takeGathered() : this.joinParts()
            this.state = S_BODY_CR
          }
          break
        }
        case S_BODY_CR: {
          if (chunk[pos++] !== CR) {
            this.malformed('bulk string not terminated by CRLF')
            return
          }
          this.state = S_BODY_LF
          break
        }
        case S_BODY_LF: {
          if (chunk[pos++] !== LF) {
            this.malformed('bulk string not terminated by CRLF')
            return
          }
          const value = this.bulk!
          this.bulk = null
          this.state = S_TYPE
          this.complete(value)
          break
        }
        case S_LINE: {
          const cr = chunk.indexOf(CR, pos)
          const end = cr === -1 ? len : cr
          if (this.partsLength + (end - pos) > this.limits.maxLineLength) {
            this.malformed(`line longer than ${this.limits.maxLineLength} bytes`)
            return
          }
          if (end > pos) {
            const part = chunk.subarray(pos, end)
            this.parts.push(this.borrowed ? Buffer.from(part) : part)
            this.partsLength += end - pos
          }
          pos = cr === -1 ? len : cr + 1
          if (cr !== -1) this.state = S_LINE_LF
          break
        }
        case S_LINE_LF: {
          if (chunk[pos++] !== LF) {
            this.malformed('line not terminated by CRLF')
            return
          }
          const line = this.joinParts()
          this.state = S_TYPE
          const value = this.lineValue(line)
          if (value === undefined) return
          this.complete(value)
          break
        }
        default:
          return
      }
    }
  }

  /**
   * Fast path for the common case of a complete, valid request inside one chunk: tight local
   * loops and no state. Returns the offset after the request it emitted, or -1 to let the
   * resumable state machine take the same bytes (incomplete frame, or any error to report).
   */
  private wholeRequest(chunk: Buffer, start: number): number {
    const len = chunk.length
    if (chunk[start] !== STAR) return -1
    let p = start + 1
    let n = 0
    let b = 0
    const digitsFrom = p
    while (p < len) {
      b = chunk[p]!
      if (b < 0x30 || b > 0x39) break
      n = n * 10 + (b - 0x30)
      p++
    }
    if (p === digitsFrom || p - digitsFrom > MAX_HEADER_DIGITS || p + 1 >= len) return -1
    if (b !== CR || chunk[p + 1] !== LF || n === 0 || n > this.limits.maxArrayLength) return -1
    p += 2
    const { maxBulkLength, maxRequestBytes } = this.limits
    const frame = this.frame
    // With an onRequest consumer, build its array here rather than through the frame.
    const args: Buffer[] | null = this.emitArgs === null ? null : new Array(n)
    let total = 0
    for (let i = 0; i < n; i++) {
      if (p >= len || chunk[p] !== DOLLAR) return -1
      p++
      let m = 0
      const from = p
      while (p < len) {
        b = chunk[p]!
        if (b < 0x30 || b > 0x39) break
        m = m * 10 + (b - 0x30)
        p++
      }
      if (p === from || p - from > MAX_HEADER_DIGITS || p + 1 >= len || b !== CR || chunk[p + 1] !== LF)
        return -1
      total += m
      if (m > maxBulkLength || total > maxRequestBytes) return -1
      p += 2
      const end = p + m
      if (end + 1 >= len || chunk[end] !== CR || chunk[end + 1] !== LF) return -1
      if (args === null) frame._set(i, chunk, p, end)
      else args[i] = chunk.subarray(p, end)
      p = end + 2
    }
    if (args !== null) {
      this.emitArgs!(args)
    } else {
      frame.length = n
      this.emitFrame!(frame)
    }
    return p
  }

  /** In request mode: `*` at top level, `$` inside; in reply mode: any RESP2 type. */
  private acceptType(b: number): boolean {
    if (this.request) {
      if (this.stack.length === 0) {
        if (b === STAR) return true
        this.fatal(
          'ERR_INLINE_REQUEST',
          'Malformed request, array expected',
          `request starts with byte 0x${hex(b)}, not '*': zdb accepts only RESP arrays of bulk strings (no inline commands)`,
        )
        return false
      }
      if (b === DOLLAR) return true
      this.fatal(
        'ERR_MALFORMED_QUERY',
        'Malformed query string',
        `request element starts with byte 0x${hex(b)}, not '$': every argument must be a bulk string`,
      )
      return false
    }
    if (b === STAR || b === DOLLAR || b === PLUS || b === MINUS || b === COLON) return true
    this.malformed(`byte 0x${hex(b)} does not start a RESP2 value`)
    return false
  }

  /** A complete `*N` or `$N` header. Returns false when the parser stopped. */
  private header(): boolean {
    const n = this.num
    const { maxArrayLength, maxBulkLength } = this.limits
    if (this.type === STAR) {
      if (this.neg) {
        if (this.request || n !== 1) return this.refuse(`negative array length -${n}`)
        this.state = S_TYPE
        this.complete(null)
        return !this.closed
      }
      if (this.request && this.stack.length === 0) {
        this.state = S_TYPE
        this.requestBytes = 0
        if (n === 0) {
          this.soft(
            'ERR_MISSING_ARGUMENTS',
            'Missing arguments',
            'empty request array (*0): a command name is needed',
          )
          return !this.closed
        }
        if (n > maxArrayLength) {
          this.soft(
            'ERR_TOO_MANY_ARGUMENTS',
            'Too many arguments',
            `request has ${n} elements, at most ${maxArrayLength} are allowed`,
          )
          // Stay framed: the elements are parsed and dropped, so the next request is read cleanly.
          this.stack.push({ items: null, left: n })
          return !this.closed
        }
      } else {
        if (n > maxArrayLength) return this.refuse(`array of ${n} elements exceeds ${maxArrayLength}`)
        if (n === 0) {
          this.state = S_TYPE
          this.complete([])
          return !this.closed
        }
        if (this.stack.length >= this.limits.maxDepth) {
          return this.refuse(`arrays nested deeper than ${this.limits.maxDepth}`)
        }
      }
      this.stack.push({ items: [], left: n })
      this.state = S_TYPE
      return true
    }
    if (this.neg) {
      if (this.request) {
        this.fatal('ERR_MALFORMED_QUERY', 'Malformed query string', `negative bulk length -${n} in a request`)
        return false
      }
      if (n !== 1) return this.refuse(`negative bulk length -${n}`)
      this.state = S_TYPE
      this.complete(null)
      return !this.closed
    }
    if (n > maxBulkLength) {
      if (this.request) {
        this.fatal(
          'ERR_PAYLOAD_TOO_BIG',
          'Payload too big',
          `bulk string of ${n} bytes exceeds the limit of ${maxBulkLength} bytes`,
        )
        return false
      }
      return this.refuse(`bulk string of ${n} bytes exceeds the limit of ${maxBulkLength} bytes`)
    }
    if (this.request && this.keeping()) {
      this.requestBytes += n
      if (this.requestBytes > this.limits.maxRequestBytes) {
        this.fatal(
          'ERR_PAYLOAD_TOO_BIG',
          'Payload too big',
          `request payload exceeds the limit of ${this.limits.maxRequestBytes} bytes`,
        )
        return false
      }
    }
    this.need = n
    this.state = S_BODY
    return true
  }

  private headerTooLarge(): void {
    if (this.request && this.type === DOLLAR) {
      this.fatal('ERR_PAYLOAD_TOO_BIG', 'Payload too big', 'bulk length header has more than 15 digits')
    } else if (this.request) {
      this.fatal(
        'ERR_TOO_MANY_ARGUMENTS',
        'Too many arguments',
        'array length header has more than 15 digits',
      )
    } else {
      this.malformed('length header has more than 15 digits')
    }
  }

  private keeping(): boolean {
    const top = this.stack[this.stack.length - 1]
    return top === undefined || top.items !== null
  }

  /**
   * Borrowed mode: appends `take` bytes of `chunk` at `pos` to the split bulk string of `total`
   * bytes. The buffer doubles as bytes arrive, so a client that announces a large value and
   * sends little makes the server hold little, and each byte is copied at most twice.
   */
  private gather(chunk: Buffer, pos: number, take: number, total: number): void {
    const have = this.partsLength
    let into = this.gathered
    // Read in place, into the buffer readTarget gave: nothing to copy.
    if (into !== null && chunk.buffer === into.buffer && chunk.byteOffset + pos === into.byteOffset + have)
      return
    if (into === null || into.length < have + take) {
      into = this.regather(Math.min(total, Math.max(have + take, 2 * (into?.length ?? 0), 16 * 1024)))
    }
    chunk.copy(into, have, pos, pos + take)
  }

  /**
   * Borrowed mode, while a bulk string with at least `min` bytes still to come is gathered:
   * the free part of its buffer (at most those bytes), where the caller may read the next
   * bytes and feed them as a view of it, which costs no copy. The buffer grows by doubling
   * as it does when fed, so it stays within twice what was received, plus `min`.
   */
  readTarget(min: number): Buffer | null {
    if (!this.borrowed || this.state !== S_BODY || this.need < min || !this.keeping()) return null
    const have = this.partsLength
    let into = this.gathered
    if (into === null || into.length === have)
      into = this.regather(Math.min(have + this.need, Math.max(2 * have, have + min)))
    return into.subarray(have, Math.min(into.length, have + this.need))
  }

  /** Moves the bytes gathered so far into a new buffer of `size` bytes, which it returns. */
  private regather(size: number): Buffer {
    const grown = Buffer.allocUnsafeSlow(size)
    this.gathered?.copy(grown, 0, 0, this.partsLength)
    this.gathered = grown
    return grown
  }

  private takeGathered(): Buffer {
    // An empty bulk string whose CRLF is in the next chunk gathered nothing.
    const out = this.gathered === null ? EMPTY : this.gathered.subarray(0, this.partsLength)
    this.gathered = null
    this.partsLength = 0
    return out
  }

  private joinParts(): Buffer {
    const parts = this.parts
    const out = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.partsLength)
    this.parts = []
    this.partsLength = 0
    return out
  }

  private lineValue(line: Buffer): RespValue | undefined {
    if (this.type === PLUS) return line.toString('utf8')
    if (this.type === MINUS) return new ReplyError(line.toString('utf8'))
    const text = line.toString('latin1')
    if (!/^-?\d{1,19}$/.test(text)) {
      this.malformed(`integer reply ${JSON.stringify(text.slice(0, 32))} is not a number`)
      return undefined
    }
    const n = Number(text)
    return Number.isSafeInteger(n) ? n : BigInt(text)
  }

  private complete(first: RespValue): void {
    let value = first
    for (;;) {
      const top = this.stack[this.stack.length - 1]
      if (top === undefined) {
        this.held = 0
        if (this.emitArgs !== null) {
          this.emitArgs(value as Buffer[])
          return
        }
        if (this.emitFrame === null) {
          this.emit(value)
          return
        }
        // A request assembled across chunks: its arguments are whole buffers of their own.
        const args = value as Buffer[]
        const frame = this.frame
        for (let i = 0; i < args.length; i++) frame._set(i, args[i]!, 0, args[i]!.length)
        frame.length = args.length
        this.emitFrame(frame)
        frame._release()
        return
      }
      if (top.items !== null) {
        top.items.push(value)
        if (Buffer.isBuffer(value)) this.held += value.length
      }
      if (--top.left > 0) return
      this.stack.pop()
      if (top.items === null) return
      value = top.items
    }
  }

  /** {@link malformed} for callers that report whether parsing goes on. */
  private refuse(message: string): false {
    this.malformed(message)
    return false
  }

  private soft(code: ProtocolErrorCode, reply: string, message: string): void {
    this.fail(new ProtocolError(code, reply, false, message))
  }

  private fatal(code: ProtocolErrorCode, reply: string, message: string): void {
    this.reset()
    this.state = S_DEAD
    this.fail(new ProtocolError(code, reply, true, message))
  }

  private malformed(message: string): void {
    if (this.request) this.fatal('ERR_MALFORMED_QUERY', 'Malformed query string', message)
    else this.fatal('ERR_MALFORMED_REPLY', 'Protocol error', message)
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0')
}

function char(b: number): string {
  return String.fromCharCode(b)
}

/** Validates a limit option, naming it in the error. */
export function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`)
  }
  return value
}
