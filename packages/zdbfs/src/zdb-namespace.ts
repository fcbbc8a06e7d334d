/**
 * One sequential zdb namespace over a {@link ZdbConnection} (spec zdbfs-and-glue.md §1
 * "Namespaces and zdb protocol"):
 * - keys are 8-byte little-endian u64;
 * - every (re)connection `SELECT`s the namespace before any other command is sent on it, so a
 *   command can never land in `default` after a reconnect;
 * - `Namespace is temporarily locked` is retried every 100 ms; the namespace-full replies become
 *   {@link ZdbfsNoSpaceError}; anything else, and no answer within `timeout` ms, becomes
 *   {@link ZdbfsZdbError}. Calls are retried over reconnections until the timeout, so a zdb
 *   that comes back within it is invisible to callers.
 * @module
 */

import { type Reply, ZdbConnection } from '@qsfs/zdb-client'
import { decodeSeqKey, encodeSeqKey, parseNsInfo, ReplyError } from '@qsfs/zdb-protocol'
import { Redis } from 'ioredis'
import { ZdbfsNoSpaceError, ZdbfsZdbError } from './errors.js'
import type { Alloc, KvNamespace, NamespaceStats } from './kv-namespace.js'

export interface ZdbEndpoint {
  host?: string
  port?: number
  /** Unix socket path; when set, `host` and `port` are not used. */
  socket?: string
}

export interface ZdbNamespaceOptions extends ZdbEndpoint {
  namespace: string
  password?: string
  /** How long one call may take, reconnections included (ms). */
  timeout: number
}

const LOCKED = 'Namespace is temporarily locked'
const FULL = ['Namespace definitely full', 'No space left on this namespace']

const EMPTY = Buffer.alloc(0)

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export function describeEndpoint(e: ZdbEndpoint): string {
  return e.socket ? `unix:${e.socket}` : `${e.host ?? 'localhost'}:${e.port ?? 9900}`
}

/** A raw connection: no namespace selected, for admin commands (NSNEW, NSSET, INFO). */
export function connectAdmin(endpoint: ZdbEndpoint, timeout: number): Redis {
  const redis = new Redis({
    ...(endpoint.socket
      ? { path: endpoint.socket }
      : { host: endpoint.host ?? 'localhost', port: endpoint.port ?? 9900 }),
    protocol: 2,
    disableClientInfo: true,
    enableReadyCheck: false,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeout,
    commandTimeout: timeout,
    retryStrategy: () => null,
  })
  redis.on('error', () => {})
  return redis
}

class ZdbNamespace implements KvNamespace {
  readonly name: string
  readonly #options: ZdbNamespaceOptions
  readonly #conn: ZdbConnection
  #waiters: (() => void)[] = []
  #lastError: unknown
  #closed = false

  constructor(options: ZdbNamespaceOptions) {
    this.#options = options
    this.name = options.namespace
    const { socket, host, port, timeout, namespace, password } = options
    this.#conn = new ZdbConnection({
      ...(socket ? { socket } : { host: host ?? 'localhost', port: port ?? 9900 }),
      select: password ? ['SELECT', namespace, password] : ['SELECT', namespace],
      timeout,
      onReady: () => {
        const waiters = this.#waiters
        this.#waiters = []
        for (const w of waiters) w()
      },
      onError: (err) => {
        this.#lastError = err
      },
    })
  }

  /** Connects and selects; rejects when that fails within the timeout. */
  async open(): Promise<void> {
    this.#conn.open()
    await this.#waitSelected(Date.now() + this.#options.timeout)
  }

  async #waitSelected(deadline: number): Promise<void> {
    if (this.#conn.ready) return
    if (this.#closed) throw new ZdbfsZdbError(`namespace '${this.name}' is closed`)
    const left = deadline - Date.now()
    if (left <= 0) throw this.#timeoutError()
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== done)
        reject(this.#timeoutError())
      }, left)
      const done = (): void => {
        clearTimeout(timer)
        resolve()
      }
      this.#waiters.push(done)
    })
  }

  #timeoutError(): ZdbfsZdbError {
    const cause = this.#lastError instanceof Error ? `: ${this.#lastError.message}` : ''
    return new ZdbfsZdbError(
      `zdb ${describeEndpoint(this.#options)} namespace '${this.name}' did not answer within ${this.#options.timeout} ms${cause}; check that the zdb is running`,
      { cause: this.#lastError },
    )
  }

  async #call(args: (string | Buffer)[], alloc?: Alloc): Promise<Reply> {
    const deadline = Date.now() + this.#options.timeout
    for (;;) {
      if (!this.#conn.ready) await this.#waitSelected(deadline)
      try {
        return await this.#conn.send(args, alloc)
      } catch (err) {
        if (err instanceof ReplyError) {
          const message = err.message
          if (message.startsWith(LOCKED) && Date.now() + 100 < deadline) {
            await sleep(100)
            continue
          }
          if (FULL.some((m) => message.startsWith(m))) {
            throw new ZdbfsNoSpaceError(
              `zdb namespace '${this.name}' is full (${message}); free space or grow it`,
            )
          }
          throw new ZdbfsZdbError(`zdb namespace '${this.name}' refused ${args[0]}: ${message}`, {
            cause: err,
          })
        }
        this.#lastError = err
        if (this.#closed || Date.now() >= deadline) throw this.#timeoutError()
        // The connection dropped: the next selected connection carries it again.
      }
    }
  }

  async get(key: number, alloc?: Alloc): Promise<Buffer | null> {
    return (await this.#call(['GET', encodeSeqKey(key)], alloc)) as Buffer | null
  }

  async insert(value: Buffer): Promise<number> {
    const reply = await this.#call(['SET', EMPTY, value])
    if (!Buffer.isBuffer(reply) || reply.length !== 8) {
      throw new ZdbfsZdbError(
        `zdb namespace '${this.name}' replied to SET "" with ${String(reply)}, not an 8-byte key: is it in sequential mode?`,
      )
    }
    return Number(decodeSeqKey(reply))
  }

  async update(key: number, value: Buffer): Promise<void> {
    await this.#call(['SET', encodeSeqKey(key), value])
  }

  async del(key: number): Promise<void> {
    try {
      await this.#call(['DEL', encodeSeqKey(key)])
    } catch (err) {
      if (err instanceof ZdbfsZdbError && /Key not found/.test(err.message)) return
      throw err
    }
  }

  async stats(): Promise<NamespaceStats> {
    const reply = await this.#call(['NSINFO', this.name])
    const info = parseNsInfo(reply as Buffer)
    return { entries: info.entries, dataSizeBytes: info.dataSizeBytes }
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const w of this.#waiters) w()
    this.#waiters = []
    this.#conn.close()
  }
}

/** Connects to `options.namespace` and selects it; rejects with {@link ZdbfsZdbError}. */
export async function openZdbNamespace(options: ZdbNamespaceOptions): Promise<KvNamespace> {
  const ns = new ZdbNamespace(options)
  try {
    await ns.open()
  } catch (err) {
    await ns.close()
    throw err
  }
  return ns
}
