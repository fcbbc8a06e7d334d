/**
 * Real things for the node's tests: temporary directories, backend zdbs in this process on
 * Unix sockets, a client of a zdb, polling.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@qsfs/zdb-server'
import { Redis } from 'ioredis'
import { localBackendAddress } from '../../src/init.js'
import { type LocalBackends, startLocalBackends } from '../../src/node/local-backends.js'

const made: string[] = []

/** A fresh directory under the system temp dir (short: Unix socket paths go in it). */
export function tempDir(prefix = 'qsfs-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** Removes every directory {@link tempDir} made. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
}

export interface Backends extends LocalBackends {
  /** `unix:<dir>/b<i>.sock`, as `qsfs init --backend` takes them. */
  readonly addresses: string[]
}

/**
 * `count` backend zdbs in this process, each with the `qsfs-data` (seq) and `qsfs-meta` (user)
 * namespaces: what a node with `--backend` addresses stores its shards on.
 */
export async function startBackends(dir: string, count: number): Promise<Backends> {
  const backends = await startLocalBackends(dir, count, silentLogger)
  return {
    ...backends,
    addresses: Array.from({ length: count }, (_, i) => localBackendAddress(dir, i)),
  }
}

/** A client of the zdb on Unix socket `socket` (RESP2, no ready check, as zdb wants). */
export function zdbClient(socket: string): Redis {
  return new Redis({
    path: socket,
    protocol: 2,
    enableReadyCheck: false,
    disableClientInfo: true,
    maxRetriesPerRequest: 0,
  })
}

/** Polls `check` every 50 ms until it holds; throws `what` after `timeout` ms. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeout = 20_000,
): Promise<void> {
  const end = Date.now() + timeout
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
