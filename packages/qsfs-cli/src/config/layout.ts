/**
 * Where a node keeps things inside its directory. The local zdb's files are under `zdb/`, which
 * is also zstor's `root`: a segment's key is its path relative to it, the same on any machine.
 * @module
 */
import { join } from 'node:path'

export interface NodeLayout {
  /** zstor `root`; holds `index/` and `data/` of the local zdb. */
  readonly zdbRoot: string
  readonly zdbIndex: string
  readonly zdbData: string
  /** Sockets, pid file, the runtime zstor config. */
  readonly run: string
  readonly pidFile: string
  /** What a running node tells other commands (status URL, pids). */
  readonly runtimeFile: string
  readonly zdbSocket: string
  /** The status API on a Unix socket, always on (the page's TCP address may be off). */
  readonly statusSocket: string
  readonly zstorSocket: string
  readonly zstorRuntimeConfig: string
  /** Copies of open segments waiting for upload. */
  readonly staging: string
  /** The durable upload queue and the record of what is uploaded. */
  readonly queue: string
  readonly ledger: string
  readonly logs: string
}

export function nodeLayout(dir: string): NodeLayout {
  const run = join(dir, 'run')
  const state = join(dir, 'state')
  return {
    zdbRoot: join(dir, 'zdb'),
    zdbIndex: join(dir, 'zdb', 'index'),
    zdbData: join(dir, 'zdb', 'data'),
    run,
    pidFile: join(run, 'qsfs.pid'),
    runtimeFile: join(run, 'node.json'),
    zdbSocket: join(run, 'zdb.sock'),
    statusSocket: join(run, 'status.sock'),
    zstorSocket: join(run, 'zstor.sock'),
    zstorRuntimeConfig: join(run, 'zstor.toml'),
    staging: join(state, 'staging'),
    queue: join(state, 'queue'),
    ledger: join(state, 'uploaded.json'),
    logs: join(dir, 'log'),
  }
}
