/**
 * Test servers on loopback with port 0 and fresh temp directories, removed on close.
 *
 * `wireTarget()` honours `ZDB_URL=redis://host:port`: the wire suite then runs against that
 * server instead of starting ours, so it can check any 0-db implementation.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createZdbServer, type ZdbServer, type ZdbServerOptions } from '../../src/index.js'

export interface TempDirs {
  root: string
  dataDir: string
  indexDir: string
  remove(): void
}

export function tempDirs(): TempDirs {
  const root = mkdtempSync(join(tmpdir(), 'zdb-server-test-'))
  return {
    root,
    dataDir: join(root, 'data'),
    indexDir: join(root, 'index'),
    remove: () => rmSync(root, { recursive: true, force: true }),
  }
}

export interface Target {
  host: string
  port: number
  /** True when the target is our own server started for this suite. */
  ours: boolean
  close(): Promise<void>
}

export async function startServer(
  dirs: TempDirs,
  options: Partial<ZdbServerOptions> = {},
): Promise<ZdbServer> {
  return createZdbServer({
    host: '127.0.0.1',
    port: 0,
    dataDir: dirs.dataDir,
    indexDir: dirs.indexDir,
    ...options,
  })
}

export async function wireTarget(): Promise<Target> {
  const url = process.env.ZDB_URL
  if (url) {
    const u = new URL(url)
    return {
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: Number(u.port || 9900),
      ours: false,
      close: async () => {},
    }
  }
  const dirs = tempDirs()
  const server = await startServer(dirs)
  return {
    host: server.address.host,
    port: server.address.port,
    ours: true,
    async close() {
      await server.close()
      dirs.remove()
    },
  }
}
