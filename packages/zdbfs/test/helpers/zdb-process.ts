/**
 * A zdb-server in its own process (`@qsfs/zdb-server/testing`), so that tests can kill -9 it,
 * and so that it never shares an event loop with code that touches a mount. Every namespace is
 * forced to sequential mode, as zdbfs needs.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnZdbServer, type ZdbServerProcess } from '@qsfs/zdb-server/testing'

export type ZdbProcess = ZdbServerProcess

export function startZdb(
  options: { dir?: string; port?: number; args?: string[] } = {},
): Promise<ZdbProcess> {
  return spawnZdbServer({
    dir: options.dir ?? mkdtempSync(join(tmpdir(), 'zdbfs-zdb-')),
    port: options.port ?? 0,
    args: ['--mode', 'seq', ...(options.args ?? [])],
  })
}
