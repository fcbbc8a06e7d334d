/**
 * The daemon's socket protocol, upstream's (spec zstor.md §4 "Client/daemon protocol"), so that
 * upstream's `zstor` client can talk to our daemon and ours to theirs: one request per
 * connection, each message framed as `u16 big-endian length || bincode`.
 *
 * `ZstorCommand`: `Store = 0 {file, key_path: Option, save_failure, delete, blocking}`,
 * `Retrieve = 1 {file}`, `Rebuild = 2 {file: Option, key: Option, metadata: Option<MetaData>}`,
 * `Check = 3 {path}`; ours: `Status = 100` (no fields). `ZstorResponse`: `Success = 0`,
 * `Err(String) = 1`, `Checksum([u8; 16]) = 2`; ours: `Json(String) = 100`, the reply to `Status`
 * and to `Check` of a client that asks for it. Strings are bincode's `u64 LE length || UTF-8`,
 * `Option` a `u8` tag, `bool` a `u8`, enum tags `u32 LE`.
 * @module
 */
import { DaemonError } from '../errors.js'

export type DaemonCommand =
  | {
      kind: 'store'
      file: string
      keyPath: string | null
      saveFailure: boolean
      delete: boolean
      blocking: boolean
    }
  | { kind: 'retrieve'; file: string }
  | { kind: 'rebuild'; file: string | null; key: string | null; hasMetadata: boolean }
  | { kind: 'check'; path: string }
  | { kind: 'status' }

export type DaemonResponse =
  | { kind: 'success' }
  | { kind: 'error'; message: string }
  | { kind: 'checksum'; checksum: Uint8Array }
  | { kind: 'json'; json: string }

/** Largest message the u16 length allows. */
export const MAX_MESSAGE = 0xffff

class Writer {
  readonly parts: Buffer[] = []
  u8(v: number) {
    this.parts.push(Buffer.from([v]))
  }
  u32(v: number) {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(v)
    this.parts.push(b)
  }
  string(s: string) {
    const bytes = Buffer.from(s, 'utf8')
    const len = Buffer.alloc(8)
    len.writeBigUInt64LE(BigInt(bytes.length))
    this.parts.push(len, bytes)
  }
  option(s: string | null) {
    if (s === null) this.u8(0)
    else {
      this.u8(1)
      this.string(s)
    }
  }
  frame(): Buffer {
    const body = Buffer.concat(this.parts)
    if (body.length > MAX_MESSAGE)
      throw new DaemonError(
        'ERR_DAEMON_PROTOCOL',
        `a message of ${body.length} bytes does not fit the u16 length`,
      )
    const head = Buffer.alloc(2)
    head.writeUInt16BE(body.length)
    return Buffer.concat([head, body])
  }
}

class Reader {
  #at = 0
  constructor(readonly buf: Buffer) {}
  #need(n: number) {
    if (this.#at + n > this.buf.length) throw new DaemonError('ERR_DAEMON_PROTOCOL', 'truncated message')
  }
  u8(): number {
    this.#need(1)
    return this.buf[this.#at++]!
  }
  bool(): boolean {
    const v = this.u8()
    if (v > 1) throw new DaemonError('ERR_DAEMON_PROTOCOL', `bad bool ${v}`)
    return v === 1
  }
  u32(): number {
    this.#need(4)
    const v = this.buf.readUInt32LE(this.#at)
    this.#at += 4
    return v
  }
  string(): string {
    this.#need(8)
    const len = this.buf.readBigUInt64LE(this.#at)
    this.#at += 8
    if (len > BigInt(this.buf.length - this.#at))
      throw new DaemonError('ERR_DAEMON_PROTOCOL', 'string longer than the message')
    const s = this.buf.toString('utf8', this.#at, this.#at + Number(len))
    this.#at += Number(len)
    return s
  }
  option(): string | null {
    return this.bool() ? this.string() : null
  }
  bytes(n: number): Buffer {
    this.#need(n)
    const b = this.buf.subarray(this.#at, this.#at + n)
    this.#at += n
    return b
  }
  get rest(): number {
    return this.buf.length - this.#at
  }
}

export function encodeCommand(command: DaemonCommand): Buffer {
  const w = new Writer()
  switch (command.kind) {
    case 'store':
      w.u32(0)
      w.string(command.file)
      w.option(command.keyPath)
      w.u8(command.saveFailure ? 1 : 0)
      w.u8(command.delete ? 1 : 0)
      w.u8(command.blocking ? 1 : 0)
      break
    case 'retrieve':
      w.u32(1)
      w.string(command.file)
      break
    case 'rebuild':
      w.u32(2)
      w.option(command.file)
      w.option(command.key)
      w.u8(0)
      break
    case 'check':
      w.u32(3)
      w.string(command.path)
      break
    case 'status':
      w.u32(100)
      break
  }
  return w.frame()
}

/** Decodes a request body (without its length). */
export function decodeCommand(body: Buffer): DaemonCommand {
  const r = new Reader(body)
  const tag = r.u32()
  switch (tag) {
    case 0: {
      const file = r.string()
      const keyPath = r.option()
      return { kind: 'store', file, keyPath, saveFailure: r.bool(), delete: r.bool(), blocking: r.bool() }
    }
    case 1:
      return { kind: 'retrieve', file: r.string() }
    case 2: {
      const file = r.option()
      const key = r.option()
      // Upstream's repairer may pass its MetaData; we reload metadata by key instead.
      const hasMetadata = r.rest > 0 && r.bool()
      return { kind: 'rebuild', file, key, hasMetadata }
    }
    case 3:
      return { kind: 'check', path: r.string() }
    case 100:
      return { kind: 'status' }
    default:
      throw new DaemonError('ERR_DAEMON_PROTOCOL', `unknown command tag ${tag}`)
  }
}

export function encodeResponse(response: DaemonResponse): Buffer {
  const w = new Writer()
  switch (response.kind) {
    case 'success':
      w.u32(0)
      break
    case 'error':
      w.u32(1)
      w.string(response.message)
      break
    case 'checksum':
      w.u32(2)
      w.parts.push(Buffer.from(response.checksum))
      break
    case 'json':
      w.u32(100)
      w.string(response.json)
      break
  }
  return w.frame()
}

export function decodeResponse(body: Buffer): DaemonResponse {
  const r = new Reader(body)
  const tag = r.u32()
  switch (tag) {
    case 0:
      return { kind: 'success' }
    case 1:
      return { kind: 'error', message: r.string() }
    case 2:
      return { kind: 'checksum', checksum: Uint8Array.from(r.bytes(16)) }
    case 100:
      return { kind: 'json', json: r.string() }
    default:
      throw new DaemonError('ERR_DAEMON_PROTOCOL', `unknown response tag ${tag}`)
  }
}

/** Reads one framed message from a socket's chunks; `null` when it closes first. */
export function frameReader(onMessage: (body: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0)
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk
    while (pending.length >= 2) {
      const len = pending.readUInt16BE(0)
      if (pending.length < 2 + len) return
      const body = pending.subarray(2, 2 + len)
      pending = pending.subarray(2 + len)
      onMessage(body)
    }
  }
}
