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

/** Longest Unix socket path the kernel takes (sun_path is 108 bytes with its NUL). */
export const MAX_SOCKET_PATH = 107

/** Why the node's sockets cannot live under `dir` (paths too long), or null. */
export function socketPathProblem(dir: string, backendsDir?: string): string | null {
  const layout = nodeLayout(dir)
  const paths = [layout.zdbSocket, layout.zstorSocket, layout.statusSocket]
  if (backendsDir) paths.push(join(backendsDir, 'b63.sock'))
  const long = paths.find((p) => Buffer.byteLength(p) > MAX_SOCKET_PATH)
  return long
    ? `the node's socket ${long} would be ${Buffer.byteLength(long)} bytes; Unix sockets take at most ${MAX_SOCKET_PATH}: use a shorter node directory`
    : null
}
