/**
 * `qsfs init --backend …` prepares the backends it can: on each, the data namespace
 * (sequential) and the meta namespace (user mode) are created if missing, with the namespace
 * password. A backend that is down or refuses (no admin rights) is reported with the commands
 * to run by hand; init still succeeds, since backends may come up later.
 * @module
 */
import { formatBackendAddress, parseBackendAddress } from '@qsfs/zstor-client'
import { Redis } from 'ioredis'

export interface BackendSetup {
  readonly address: string
  /** Namespaces created now. */
  readonly created: readonly string[]
  readonly error: string | null
}

export interface BackendSetupOptions {
  readonly data: readonly string[]
  readonly meta: readonly string[]
  readonly dataNamespace: string
  readonly metaNamespace: string
  readonly password?: string
  /** Admin password of the backends (`AUTH`), if they have one. */
  readonly admin?: string
  readonly timeout?: number
}

export async function setupBackends(options: BackendSetupOptions): Promise<BackendSetup[]> {
  const wanted = new Map<string, Map<string, 'seq' | 'user'>>()
  const want = (address: string, ns: string, mode: 'seq' | 'user') => {
    const key = formatBackendAddress(parseBackendAddress(address))
    if (!wanted.has(key)) wanted.set(key, new Map())
    wanted.get(key)!.set(ns, mode)
  }
  for (const a of options.data) want(a, options.dataNamespace, 'seq')
  for (const a of options.meta) want(a, options.metaNamespace, 'user')
  return Promise.all(
    [...wanted].map(async ([address, namespaces]): Promise<BackendSetup> => {
      const created: string[] = []
      try {
        await ensureNamespaces(address, namespaces, { ...options, created })
        return { address, created, error: null }
      } catch (error) {
        return { address, created, error: (error as Error).message }
      }
    }),
  )
}

export interface EnsureOptions {
  /** Namespace password set on the namespaces created. */
  readonly password?: string
  /** Admin password of the zdb (`AUTH`). */
  readonly admin?: string
  /** Milliseconds for the connection and each command (3 s). */
  readonly timeout?: number
  /** Receives the names of the namespaces created, as they are. */
  readonly created?: string[]
}

/**
 * Creates, on the zdb at `address`, each namespace of `namespaces` that does not exist yet, in
 * its mode. Throws with the real cause when the zdb cannot be reached or refuses.
 */
export async function ensureNamespaces(
  address: string,
  namespaces: Iterable<readonly [string, 'seq' | 'user']>,
  options: EnsureOptions = {},
): Promise<void> {
  const parsed = parseBackendAddress(address)
  const redis = new Redis({
    ...(parsed.kind === 'unix' ? { path: parsed.path } : { host: parsed.host, port: parsed.port }),
    lazyConnect: true,
    // zdb speaks RESP2 and has no HELLO, CLIENT or ready-check INFO.
    protocol: 2,
    enableReadyCheck: false,
    disableClientInfo: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: options.timeout ?? 3_000,
    commandTimeout: options.timeout ?? 3_000,
  })
  // ioredis reports a refused connection as "Connection is closed"; keep the real cause.
  let cause: string | null = null
  redis.on('error', (error: Error) => {
    cause ??= error.message
  })
  try {
    await redis.connect()
    if (options.admin) await redis.call('AUTH', options.admin)
    const existing = (await redis.call('NSLIST')) as string[]
    for (const [ns, mode] of namespaces) {
      if (existing.includes(ns)) continue
      await redis.call('NSNEW', ns)
      await redis.call('NSSET', ns, 'mode', mode)
      if (options.password) await redis.call('NSSET', ns, 'password', options.password)
      options.created?.push(ns)
    }
  } catch (error) {
    throw cause ? new Error(cause, { cause: error }) : error
  } finally {
    redis.disconnect()
  }
}
