/**
 * One zdb namespace as a backend: a single pooled `ioredis` connection that sends `SELECT ns
 * [password]` once per TCP connection, in ioredis' handshake, before any queued command
 * (upstream 0-stor sends SELECT before every command, spec zstor.md §2 "zdb client details"),
 * plus a reader connection for shard reads (see {@link ZdbBackend.getInto}).
 * @module
 */
import { type Alloc, ZdbConnection } from '@qsfs/zdb-client'
import { parseNsInfo, type ZdbNsInfo } from '@qsfs/zdb-protocol'
import { Command, Redis, type RedisOptions } from 'ioredis'
import type { BackendConfig } from '../config/index.js'
import { BackendError } from '../errors.js'

/** Per-command timeout unless given: upstream's `ZDB_TIMEOUT` is 30 s; 10 s fails over sooner. */
export const DEFAULT_COMMAND_TIMEOUT = 10_000
/** Largest value in one zdb entry: upstream's `MAX_ZDB_CHUNK_SIZE` for shards, 2 MiB. */
export const MAX_CHUNK_SIZE = 2 * 1024 * 1024

/** Milliseconds after a failed connect during which commands fail without trying again. */
const RECONNECT_PAUSE = 500
/**
 * After a backend did not answer in time (a hung host, a cut link: no refusal ever comes), its
 * commands fail at once for this long instead of each waiting out its own timeout, so reads and
 * stores go to the other backends without a 10 s stall per operation.
 */
const TIMEOUT_PAUSE = 15_000

export interface ZdbBackendOptions {
  /** Milliseconds before a command fails with `ERR_BACKEND_TIMEOUT`. */
  commandTimeout?: number
  /** Milliseconds to wait for a TCP connection. */
  connectTimeout?: number
}

/** One entry of a SCAN batch: `[key, size, timestamp]` (spec zstor.md §2). */
export interface ScanEntry {
  readonly key: Buffer
  readonly size: number
  readonly timestamp: number
}

function redisOptions(config: BackendConfig, options: Required<ZdbBackendOptions>): RedisOptions {
  const select =
    config.namespace === null ? undefined : [config.namespace, ...(config.password ? [config.password] : [])]
  const base: RedisOptions = {
    lazyConnect: true,
    protocol: 2,
    enableReadyCheck: false,
    disableClientInfo: true,
    commandTimeout: options.commandTimeout,
    connectTimeout: options.connectTimeout,
    maxRetriesPerRequest: 0,
    // No queueing behind a dead connection and no reconnect timer: ZdbBackend reconnects on
    // demand, so a down backend fails fast (its shard is fetched elsewhere) and a backend that
    // came back is used again by the next command.
    enableOfflineQueue: false,
    retryStrategy: () => null,
    // ioredis flattens an array argument: the handshake sends `SELECT ns password`.
    ...(select ? { db: select as unknown as number } : {}),
  }
  const { address } = config
  return address.kind === 'unix'
    ? { ...base, path: address.path }
    : { ...base, host: address.host, port: address.port }
}

/**
 * Values from this size go to the socket as they are. ioredis serializes a command with a
 * Buffer argument by copying all its arguments into one new buffer (`Command#toWritable`): a
 * 2 MiB allocation and copy for every shard chunk a store writes, and garbage to collect.
 */
const ZERO_COPY_FROM = 64 * 1024
const CRLF = Buffer.from('\r\n')

/** A Writable that ioredis writes commands to: its socket. */
interface CommandSocket {
  write(chunk: Buffer | string): boolean
  cork(): void
  uncork(): void
}

const isSocket = (value: unknown): value is CommandSocket =>
  typeof (value as CommandSocket | null)?.write === 'function' &&
  typeof (value as CommandSocket).cork === 'function'

/**
 * A command whose last argument, a large Buffer, is written to the socket without a copy.
 * ioredis calls `toWritable(socket)` and writes what it returns to that same socket at once
 * (`Redis#sendCommand`; pipelines, which write elsewhere, are not used here), so writing the
 * header and the value first and returning the trailer keeps the bytes in order. The socket is
 * corked until the next tick, so the three pieces leave in one `writev`.
 */
class ValueCommand extends Command {
  override toWritable(socket: object): string | Buffer {
    const value = this.args[this.args.length - 1]
    if (!isSocket(socket) || !Buffer.isBuffer(value) || value.length < ZERO_COPY_FROM) {
      return super.toWritable(socket)
    }
    const bulk = (arg: Buffer) => [Buffer.from(`$${arg.length}\r\n`), arg, CRLF]
    const head = Buffer.concat([
      Buffer.from(`*${this.args.length + 1}\r\n`),
      ...bulk(Buffer.from(this.name)),
      ...this.args.slice(0, -1).flatMap((arg) => bulk(Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg)))),
      Buffer.from(`$${value.length}\r\n`),
    ])
    socket.cork()
    socket.write(head)
    socket.write(value)
    process.nextTick(() => socket.uncork())
    return '\r\n'
  }
}

/** Whether an ioredis error is a reply to the handshake's SELECT. */
function isSelectFailure(error: unknown): boolean {
  const command = (error as { command?: { name?: string } }).command
  return command?.name === 'select'
}

/** A connection to one namespace. Safe to share: commands are pipelined on the one socket. */
export class ZdbBackend {
  readonly config: BackendConfig
  readonly #redis: Redis
  /** The options with their defaults filled in. */
  readonly #options: Required<ZdbBackendOptions>
  /**
   * Shard reads go over a second connection (`@qsfs/zdb-client`) that reads each value straight
   * into the caller's buffer: ioredis copies every large reply into fresh memory, which cost a
   * retrieve more CPU than anything but the codec. Opened on first use, dropped on any failure.
   */
  #reader: ZdbConnection | null = null
  #readerOpening: Promise<ZdbConnection> | null = null
  #fatal: BackendError | null = null
  #closed = false
  #connecting: Promise<void> | null = null
  #lastFailure = 0
  #pause = RECONNECT_PAUSE
  #lastError = ''

  constructor(config: BackendConfig, options: ZdbBackendOptions = {}) {
    this.config = config
    this.#options = {
      commandTimeout: options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT,
      connectTimeout: options.connectTimeout ?? 5_000,
    }
    this.#redis = new Redis(redisOptions(config, this.#options))
    this.#redis.on('error', (error: unknown) => {
      if (!isSelectFailure(error)) return
      // A refused SELECT must never let queued commands run on the default namespace: drop the
      // connection before ioredis flushes its queue, and fail everything after.
      this.#fatal = new BackendError(
        'ERR_BACKEND_REPLY',
        config.label,
        `SELECT refused: ${(error as Error).message} (check the namespace name and password in the config)`,
      )
      this.#redis.disconnect(false)
    })
  }

  get label(): string {
    return this.config.label
  }

  /** Opens the connection if it is not open (commands do this themselves). */
  async connect(): Promise<void> {
    if (this.#fatal) throw this.#fatal
    if (this.#closed) throw new BackendError('ERR_BACKEND_UNREACHABLE', this.label, 'the client is closed')
    if (this.#redis.status === 'ready') return
    // After a failure, commands fail at once for a moment rather than each retrying the connect.
    if (Date.now() - this.#lastFailure < this.#pause) {
      throw new BackendError('ERR_BACKEND_UNREACHABLE', this.label, this.#lastError)
    }
    this.#connecting ??= (async () => {
      try {
        if (this.#redis.status !== 'wait' && this.#redis.status !== 'end') this.#redis.disconnect(false)
        await this.#redis.connect()
      } catch (error) {
        this.#lastError = `cannot connect: ${(error as Error).message}`
        throw this.#failed(this.#translate(error))
      } finally {
        this.#connecting = null
      }
    })()
    await this.#connecting
    if (this.#fatal) throw this.#fatal
  }

  async #run<T>(fn: () => Promise<T>): Promise<T> {
    await this.connect()
    try {
      return await fn()
    } catch (error) {
      const failure = this.#translate(error)
      if (failure.code !== 'ERR_BACKEND_TIMEOUT') throw failure
      // The connection may be stuck behind the unanswered command: drop it, and pause.
      this.#lastError = failure.message
      this.#redis.disconnect(false)
      throw this.#failed(failure)
    }
  }

  /** Records a failure to connect or to answer; a timeout pauses the backend longer. */
  #failed(error: BackendError): BackendError {
    this.#lastFailure = Date.now()
    // #translate already made every timeout (a command's, or a connect's ETIMEDOUT) this code.
    this.#pause = error.code === 'ERR_BACKEND_TIMEOUT' ? TIMEOUT_PAUSE : RECONNECT_PAUSE
    return error
  }

  #translate(error: unknown): BackendError {
    if (this.#fatal) return this.#fatal
    if (error instanceof BackendError) return error
    const message = (error as Error)?.message ?? String(error)
    if (/timed? ?out/i.test(message)) {
      return new BackendError('ERR_BACKEND_TIMEOUT', this.label, `no reply in time (${message})`, {
        cause: error,
      })
    }
    if ((error as Error)?.name === 'ReplyError') {
      if (/No space left/i.test(message)) {
        return new BackendError('ERR_BACKEND_FULL', this.label, message, { cause: error })
      }
      return new BackendError('ERR_BACKEND_REPLY', this.label, message, { cause: error })
    }
    return new BackendError('ERR_BACKEND_UNREACHABLE', this.label, message, { cause: error })
  }

  async ping(): Promise<void> {
    await this.#run(() => this.#redis.ping())
  }

  /** `NSINFO` of this backend's namespace (or `default`), parsed. */
  async nsinfo(): Promise<ZdbNsInfo> {
    const text = await this.#run(() => this.#redis.callBuffer('NSINFO', this.config.namespace ?? 'default'))
    try {
      return parseNsInfo(text as Buffer)
    } catch (error) {
      throw new BackendError(
        'ERR_BACKEND_REPLY',
        this.label,
        `unreadable NSINFO: ${(error as Error).message}`,
      )
    }
  }

  /** Sequential mode `SET "" value`: the key zdb assigned (8 bytes, or 4 from 0-db v1). */
  async append(value: Uint8Array): Promise<Buffer> {
    const key = await this.#run(() => this.#setCommand('', value))
    if (!Buffer.isBuffer(key) || key.length === 0) {
      throw new BackendError(
        'ERR_BACKEND_REPLY',
        this.label,
        'SET in sequential mode returned no key: is the namespace in sequential mode?',
      )
    }
    return key
  }

  /** User mode `SET key value`. */
  async set(key: Uint8Array | string, value: Uint8Array): Promise<void> {
    await this.#run(() => this.#setCommand(toArg(key), value))
  }

  /** `SET key value`, the value written to the socket without a copy. */
  #setCommand(key: Buffer | string, value: Uint8Array): Promise<unknown> {
    return this.#redis.sendCommand(
      new ValueCommand('SET', [key, toBuffer(value)], { replyEncoding: null }),
    ) as Promise<unknown>
  }

  async get(key: Uint8Array | string): Promise<Buffer | null> {
    return (await this.#run(() => this.#redis.callBuffer('GET', toArg(key)))) as Buffer | null
  }

  /**
   * `GET key` with the value read into `alloc(length)`'s buffer (see `@qsfs/zdb-client`); `null`
   * when the key is gone. Fails like {@link get}.
   */
  async getInto(key: Uint8Array | string, alloc: Alloc): Promise<Buffer | null> {
    const reader = await this.#openReader()
    const sent = Date.now()
    try {
      return (await reader.send(['GET', toArg(key)], alloc)) as Buffer | null
    } catch (error) {
      if ((error as Error)?.name === 'ReplyError') throw this.#translate(error)
      this.#dropReader()
      // The reader ends a connection that left a command unanswered; say so, and pause.
      const timeout = this.#options.commandTimeout
      const failure =
        Date.now() - sent >= timeout
          ? new BackendError('ERR_BACKEND_TIMEOUT', this.label, `no reply in time (${timeout} ms)`)
          : this.#translate(error)
      throw this.#failed(failure)
    }
  }

  async #openReader(): Promise<ZdbConnection> {
    // The main connection answers for reachability, pauses after failures and a refused SELECT.
    await this.connect()
    if (this.#reader?.ready) return this.#reader
    this.#readerOpening ??= new Promise<ZdbConnection>((resolve, reject) => {
      this.#dropReader()
      const { config } = this
      const { address } = config
      let lastError = 'no answer'
      const reader = new ZdbConnection({
        ...(address.kind === 'unix' ? { socket: address.path } : { host: address.host, port: address.port }),
        select: ['SELECT', config.namespace ?? 'default', ...(config.password ? [config.password] : [])],
        timeout: this.#options.commandTimeout,
        onReady: () => {
          clearTimeout(timer)
          resolve(reader)
        },
        onError: (error) => {
          lastError = error.message
        },
      })
      const timer = setTimeout(() => {
        if (this.#reader === reader) this.#dropReader()
        reject(
          new BackendError(
            'ERR_BACKEND_UNREACHABLE',
            this.label,
            `cannot open a read connection: ${lastError}`,
          ),
        )
      }, this.#options.connectTimeout)
      this.#reader = reader
      reader.open()
    }).finally(() => {
      this.#readerOpening = null
    })
    return this.#readerOpening
  }

  #dropReader(): void {
    this.#reader?.close()
    this.#reader = null
  }

  /** `DEL key`; a key that is already gone is not an error. */
  async del(key: Uint8Array | string): Promise<void> {
    await this.#run(async () => {
      try {
        await this.#redis.callBuffer('DEL', toArg(key))
      } catch (error) {
        if (!/Key not found/i.test((error as Error).message)) throw error
      }
    })
  }

  /**
   * One `SCAN` batch from `cursor` (from the first key when `null`): the entries and the cursor
   * of the next batch, or `null` once zdb answers `No more data`.
   */
  async scan(cursor: Buffer | null): Promise<{ entries: ScanEntry[]; next: Buffer | null }> {
    try {
      const reply = (await this.#run(() =>
        cursor ? this.#redis.callBuffer('SCAN', cursor) : this.#redis.callBuffer('SCAN'),
      )) as [Buffer, [Buffer, number, number][]]
      const entries = reply[1].map(([key, size, timestamp]) => ({
        key,
        size: Number(size),
        timestamp: Number(timestamp),
      }))
      return { entries, next: reply[0] }
    } catch (error) {
      if (error instanceof BackendError && /No more data/i.test(error.message))
        return { entries: [], next: null }
      throw error
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#dropReader()
    if (this.#redis.status === 'wait' || this.#redis.status === 'end') {
      this.#redis.disconnect(false)
      return
    }
    await this.#redis.quit().catch(() => this.#redis.disconnect(false))
  }
}

function toBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}

function toArg(key: Uint8Array | string): Buffer | string {
  return typeof key === 'string' ? key : toBuffer(key)
}
