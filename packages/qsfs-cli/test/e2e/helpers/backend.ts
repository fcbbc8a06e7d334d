/**
 * A backend: the built zdb server as a process of its own (optionally inside a network
 * namespace), with the data namespace (sequential) and the meta namespace a node needs.
 */
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { LoggedProcess, ZDB_SERVER } from './proc.js'

export const DATA_NS = 'qsfs-data'
export const META_NS = 'qsfs-meta'

/** A TCP port nothing listens on now (on 127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export interface BackendOptions {
  /** Its data and index files live here (kept across restarts). */
  readonly dir: string
  readonly host?: string
  /** Fixed port; default: a free one (picked again if taken meanwhile). */
  readonly port?: number
  /** Run inside this network namespace (`ip netns exec`). */
  readonly netns?: string
}

export class Backend {
  readonly dir: string
  readonly host: string
  readonly netns: string | null
  port: number
  proc: LoggedProcess | null = null
  readonly #fixedPort: boolean

  constructor(options: BackendOptions) {
    this.dir = options.dir
    this.host = options.host ?? '127.0.0.1'
    this.netns = options.netns ?? null
    this.port = options.port ?? 0
    this.#fixedPort = options.port !== undefined
  }

  /** Starts a backend and creates its namespaces. */
  static async start(options: BackendOptions): Promise<Backend> {
    const backend = new Backend(options)
    await backend.start()
    return backend
  }

  get address(): string {
    return `${this.host}:${this.port}`
  }

  get pid(): number | null {
    return this.proc?.running ? this.proc.pid : null
  }

  /** Starts (or restarts, same port and files) the server and makes sure the namespaces exist. */
  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true })
    for (let attempt = 0; ; attempt++) {
      if (!this.#fixedPort && this.port === 0) this.port = await freePort()
      const args = [
        ZDB_SERVER,
        '--listen',
        this.host,
        '--port',
        String(this.port),
        '--data',
        join(this.dir, 'data'),
        '--index',
        join(this.dir, 'index'),
      ]
      const proc = this.netns
        ? new LoggedProcess('ip', ['netns', 'exec', this.netns, process.execPath, ...args], this.#log())
        : new LoggedProcess(process.execPath, args, this.#log())
      try {
        await proc.waitForOutput(/zdb-server listening on/, 30_000)
        this.proc = proc
        break
      } catch (error) {
        await proc.kill()
        // Someone took the port between freePort() and the bind: take another.
        if (!this.#fixedPort && attempt < 5 && /already in use/.test(proc.output())) {
          this.port = 0
          continue
        }
        throw error
      }
    }
    await this.#ensureNamespaces()
  }

  #log(): string {
    return join(this.dir, 'server.log')
  }

  async #ensureNamespaces(): Promise<void> {
    await this.redis(async (redis) => {
      const existing = (await redis.call('NSLIST')) as string[]
      if (!existing.includes(DATA_NS)) {
        await redis.call('NSNEW', DATA_NS)
        await redis.call('NSSET', DATA_NS, 'mode', 'seq')
      }
      if (!existing.includes(META_NS)) await redis.call('NSNEW', META_NS)
    })
  }

  /** Runs `fn` on a fresh connection to the backend. */
  async redis<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = new Redis({
      host: this.host,
      port: this.port,
      lazyConnect: true,
      // zdb speaks RESP2 and has no HELLO, CLIENT or ready-check INFO.
      protocol: 2,
      enableReadyCheck: false,
      disableClientInfo: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 5_000,
      commandTimeout: 10_000,
    })
    redis.on('error', () => undefined)
    try {
      await redis.connect()
      return await fn(redis)
    } finally {
      redis.disconnect()
    }
  }

  /** NSINFO of `ns` as a map of its `key: value` lines. */
  async nsinfo(ns: string = DATA_NS): Promise<Record<string, string>> {
    const text = await this.redis((redis) => redis.call('NSINFO', ns) as Promise<string>)
    const out: Record<string, string> = {}
    for (const line of String(text).split('\n')) {
      const at = line.indexOf(':')
      if (at > 0) out[line.slice(0, at).trim()] = line.slice(at + 1).trim()
    }
    return out
  }

  /** Live entries of the data namespace (shards, one per 2 MiB chunk). */
  async dataEntries(): Promise<number> {
    const entries = Number((await this.nsinfo(DATA_NS)).entries)
    if (!Number.isInteger(entries)) throw new Error(`NSINFO ${DATA_NS} of ${this.address} has no entries`)
    return entries
  }

  /** `kill -9`: the server dies as in a crash; its files stay. */
  async kill(): Promise<void> {
    await this.proc?.kill()
    this.proc = null
  }

  async stop(): Promise<void> {
    await this.proc?.stop(10_000)
    this.proc = null
  }
}
