/**
 * A cluster of real zdb servers on loopback for tests: each backend is its own `zdb-server`
 * (in this process, own directories, own port), with a namespace in the mode its role needs.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createZdbServer, silentLogger, type ZdbServer } from '@qsfs/zdb-server'
import { parseConfig, type ZstorConfig } from '../../src/config/index.js'
import { withConnection } from './backend-client.js'

export interface TestBackend {
  readonly role: 'data' | 'meta'
  readonly namespace: string
  readonly password: string | null
  readonly dir: string
  port: number
  server: ZdbServer | null
  readonly maxsize: number | null
}

export interface ClusterOptions {
  /** Data backends per group. */
  groups: number[]
  meta?: number
  k: number
  m: number
  redundantGroups?: number
  redundantNodes?: number
  /** Extra top-level TOML lines. */
  extra?: string
  /** maxsize of data namespace `i` (flat index), if any. */
  maxsize?: Record<number, number>
  password?: string
}

export const TEST_KEY = '4d4a5c7b1d0e3f2a6b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c'

export class Cluster {
  readonly root: string
  readonly data: TestBackend[] = []
  readonly meta: TestBackend[] = []
  readonly options: ClusterOptions

  private constructor(options: ClusterOptions) {
    this.options = options
    this.root = mkdtempSync(join(tmpdir(), 'zstor-cluster-'))
  }

  static async start(options: ClusterOptions): Promise<Cluster> {
    const cluster = new Cluster(options)
    let flat = 0
    for (const size of options.groups) {
      for (let i = 0; i < size; i++, flat++) {
        cluster.data.push(cluster.#backend('data', `data${flat}`, options.maxsize?.[flat] ?? null))
      }
    }
    for (let i = 0; i < (options.meta ?? 4); i++)
      cluster.meta.push(cluster.#backend('meta', `meta${i}`, null))
    await Promise.all([...cluster.data, ...cluster.meta].map((b) => cluster.up(b)))
    return cluster
  }

  #backend(role: 'data' | 'meta', namespace: string, maxsize: number | null): TestBackend {
    return {
      role,
      namespace,
      password: this.options.password ?? null,
      dir: join(this.root, namespace),
      port: 0,
      server: null,
      maxsize,
    }
  }

  /** Starts (or restarts, same port and directories) a backend. */
  async up(b: TestBackend): Promise<void> {
    const server = await createZdbServer({
      host: '127.0.0.1',
      port: b.port,
      dataDir: join(b.dir, 'data'),
      indexDir: join(b.dir, 'index'),
      mode: 'mixed',
      logger: silentLogger,
    })
    b.server = server
    b.port = server.address.port
    await withConnection(b.port, async (redis) => {
      const list = (await redis.call('NSLIST')) as string[]
      if (list.includes(b.namespace)) return
      await redis.call('NSNEW', b.namespace)
      await redis.call('NSSET', b.namespace, 'mode', b.role === 'data' ? 'seq' : 'user')
      if (b.password) await redis.call('NSSET', b.namespace, 'password', b.password)
      if (b.maxsize !== null) await redis.call('NSSET', b.namespace, 'maxsize', String(b.maxsize))
    })
  }

  /** Stops a backend (its port refuses connections until {@link up}). */
  async down(b: TestBackend): Promise<void> {
    await b.server?.close()
    b.server = null
  }

  toml(overrides: { groups?: TestBackend[][]; meta?: TestBackend[] } = {}): string {
    const o = this.options
    const line = (b: TestBackend) =>
      `[[${b.role === 'meta' ? 'meta.config.backends' : 'groups.backends'}]]\naddress = "127.0.0.1:${b.port}"\nnamespace = "${b.namespace}"\n${b.password ? `password = "${b.password}"\n` : ''}`
    const groups = overrides.groups ?? this.groups()
    return [
      `minimal_shards = ${o.k}`,
      `expected_shards = ${o.k + o.m}`,
      `redundant_groups = ${o.redundantGroups ?? 0}`,
      `redundant_nodes = ${o.redundantNodes ?? 0}`,
      o.extra ?? '',
      '[encryption]',
      'algorithm = "AES"',
      `key = "${TEST_KEY}"`,
      '[compression]',
      'algorithm = "snappy"',
      '[meta]',
      'type = "zdb"',
      '[meta.config]',
      'prefix = "someprefix"',
      '[meta.config.encryption]',
      'algorithm = "AES"',
      `key = "${TEST_KEY}"`,
      ...(overrides.meta ?? this.meta).map(line),
      ...groups.map((g) => `[[groups]]\n${g.map(line).join('')}`),
    ].join('\n')
  }

  groups(): TestBackend[][] {
    const out: TestBackend[][] = []
    let at = 0
    for (const size of this.options.groups) {
      out.push(this.data.slice(at, at + size))
      at += size
    }
    return out
  }

  config(overrides: Parameters<Cluster['toml']>[0] = {}): Promise<ZstorConfig> {
    return parseConfig(this.toml(overrides))
  }

  async stop(): Promise<void> {
    await Promise.all([...this.data, ...this.meta].map((b) => this.down(b)))
    rmSync(this.root, { recursive: true, force: true })
  }
}
