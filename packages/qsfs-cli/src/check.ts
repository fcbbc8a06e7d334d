/**
 * `qsfs check` and `qsfs repair`: every file the node should have stored (each namespace's
 * descriptor, index files and data segments), looked up on the backends; with `deep`, every
 * shard read and verified. Repair rebuilds the shards of every file that is not whole.
 * @module
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createZstorClient, type ZstorClient } from '@qsfs/zstor-client'
import { loadNodeConfig } from './config/node-config.js'
import { nodeZstorConfig } from './config/zstor-runtime.js'
import { DESCRIPTOR, fileNumber } from './node/segments.js'

export type FileState =
  /** Stored, and with `deep` every shard is good. */
  | 'healthy'
  /** Stored, but some shards are missing or bad: repair restores them. */
  | 'degraded'
  /** The local file is newer than the stored copy, or not stored yet: the node uploads it. */
  | 'pending'
  /** Not stored and not on this machine either, or no longer readable. */
  | 'lost'

export interface FileCheck {
  /** Path under the zdb root (the stored key path). */
  readonly path: string
  readonly state: FileState
  readonly detail: string | null
}

export interface CheckReport {
  readonly files: readonly FileCheck[]
  readonly counts: Readonly<Record<FileState, number>>
  readonly deep: boolean
}

/** The files the node should have stored: per namespace, descriptor, `i0..iN`, `d0..dN`. */
export function expectedFiles(zdbRoot: string): { path: string; open: boolean }[] {
  const indexRoot = join(zdbRoot, 'index')
  if (!existsSync(indexRoot)) return []
  const out: { path: string; open: boolean }[] = []
  const namespaces = readdirSync(indexRoot, { withFileTypes: true }).filter((d) => d.isDirectory())
  for (const ns of namespaces.map((d) => d.name).sort()) {
    const ids = readdirSync(join(indexRoot, ns))
      .map((name) => fileNumber(name, 'i'))
      .filter((id): id is number => id !== null)
    if (ids.length === 0) continue
    const newest = Math.max(...ids)
    out.push({ path: join('index', ns, DESCRIPTOR), open: false })
    for (let id = 0; id <= newest; id++) {
      out.push({ path: join('data', ns, `d${id}`), open: id === newest })
      out.push({ path: join('index', ns, `i${id}`), open: id === newest })
    }
  }
  return out
}

/** Runs `fn` with `client` if given, else with a client of the node's config, closed after. */
async function withClient<T>(
  dir: string,
  client: ZstorClient | undefined,
  fn: (client: ZstorClient, root: string) => Promise<T>,
): Promise<T> {
  if (client) return fn(client, client.config.root!)
  const config = await nodeZstorConfig(loadNodeConfig(dir))
  const own = createZstorClient({ config })
  try {
    return await fn(own, config.root!)
  } finally {
    await own.close()
  }
}

function localSize(path: string): number | null {
  try {
    return statSync(path).size
  } catch {
    return null
  }
}

export interface CheckOptions {
  readonly dir: string
  readonly deep?: boolean
  /** A client of the node's zstor config to use (a running node's own); default: one made here. */
  readonly client?: ZstorClient
}

export async function checkNode(options: CheckOptions): Promise<CheckReport> {
  const deep = options.deep ?? false
  return withClient(options.dir, options.client, async (client, root) => {
    const files: FileCheck[] = []
    // The zstor root is the node's zdb directory: the stored keys are paths under it.
    for (const { path, open } of expectedFiles(root)) {
      const abs = join(root, path)
      const local = localSize(abs)
      let result: Awaited<ReturnType<ZstorClient['check']>>
      try {
        result = await client.check(abs, { deep })
      } catch (error) {
        files.push({ path, state: local === null ? 'lost' : 'pending', detail: (error as Error).message })
        continue
      }
      if (!result.found) {
        files.push({ path, state: local === null ? 'lost' : 'pending', detail: 'not stored' })
      } else if (!open && local !== null && local !== result.size && !path.endsWith(DESCRIPTOR)) {
        files.push({ path, state: 'pending', detail: `stored ${result.size} bytes, local ${local}` })
      } else if (!result.healthy) {
        const bad = result.shards?.bad ?? []
        files.push({
          path,
          state: 'degraded',
          detail:
            [
              ...bad.map((b) => `object ${b.object} shard ${b.index} on ${b.backend}: ${b.reason}`),
              ...(result.metaShards?.bad ?? []).map((b) => `metadata shard on ${b.backend}: ${b.reason}`),
            ].join('; ') || null,
        })
      } else files.push({ path, state: 'healthy', detail: null })
    }
    const counts = { healthy: 0, degraded: 0, pending: 0, lost: 0 }
    for (const f of files) counts[f.state]++
    return { files, counts, deep }
  })
}

export interface RepairReport {
  readonly repaired: readonly { path: string; shards: number }[]
  readonly failed: readonly { path: string; error: string }[]
  readonly after: CheckReport
}

/** Rebuilds every degraded file, then checks again (deep). */
export async function repairNode(options: { dir: string }): Promise<RepairReport> {
  return withClient(options.dir, undefined, async (client, root) => {
    const before = await checkNode({ dir: options.dir, deep: true, client })
    const repaired: { path: string; shards: number }[] = []
    const failed: { path: string; error: string }[] = []
    for (const file of before.files) {
      if (file.state !== 'degraded') continue
      try {
        const result = await client.rebuild(join(root, file.path))
        repaired.push({ path: file.path, shards: result.shardsRebuilt + result.metaShardsRebuilt })
      } catch (error) {
        failed.push({ path: file.path, error: (error as Error).message })
      }
    }
    return { repaired, failed, after: await checkNode({ dir: options.dir, deep: true, client }) }
  })
}
