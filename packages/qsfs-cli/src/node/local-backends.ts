/**
 * The backends a `--local N` node runs itself: N zdb servers in this process, each on a Unix
 * socket in the backends directory, with the data namespace (sequential) and the meta
 * namespace (user mode) zstor uses. Shards on one disk protect against nothing but bad
 * blocks; this is the single-machine quick start, and the same code path as real backends.
 * @module
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createZdbServer, type ZdbLogger, type ZdbServer } from '@qsfs/zdb-server'
import { ensureNamespaces } from '../backend-setup.js'

export interface LocalBackends {
  readonly servers: readonly ZdbServer[]
  close(): Promise<void>
}

/** Runs `count` backends under `dir`; sockets are `dir/b<i>.sock` (what `qsfs init` wrote). */
export async function startLocalBackends(
  dir: string,
  count: number,
  logger: ZdbLogger,
): Promise<LocalBackends> {
  const servers: ZdbServer[] = []
  try {
    for (let i = 0; i < count; i++) {
      const home = join(dir, `b${i}`)
      mkdirSync(home, { recursive: true })
      const server = await createZdbServer({
        socket: join(dir, `b${i}.sock`),
        dataDir: join(home, 'data'),
        indexDir: join(home, 'index'),
        mode: 'mixed',
        logger,
      })
      servers.push(server)
      await ensureNamespaces(`unix:${server.address.socket!}`, [
        ['qsfs-data', 'seq'],
        ['qsfs-meta', 'user'],
      ])
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.close()))
    throw error
  }
  return { servers, close: async () => void (await Promise.all(servers.map((s) => s.close()))) }
}
