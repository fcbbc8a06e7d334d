/**
 * What `qsfs status` can tell about a node that is not running: its backends (probed now),
 * what waits in its upload queue, its local cache.
 * @module
 */
import { readdirSync } from 'node:fs'
import { createZstorClient } from '@qsfs/zstor-client'
import { nodeLayout } from '../config/layout.js'
import { loadNodeConfig } from '../config/node-config.js'
import { nodeZstorConfig } from '../config/zstor-runtime.js'
import type { NodeStatus } from '../status/types.js'
import { VERSION } from '../version.js'
import { backendView } from './node-status.js'
import { listDataFiles } from './segments.js'

export async function offlineStatus(dir: string): Promise<NodeStatus> {
  const config = loadNodeConfig(dir)
  const layout = nodeLayout(config.dir)
  const client = createZstorClient({ config: await nodeZstorConfig(config) })
  let backends: NodeStatus['backends'] = []
  try {
    backends = (await client.status()).map(backendView)
  } finally {
    await client.close()
  }
  let queued = 0
  try {
    queued = readdirSync(layout.queue).filter((n) => n.endsWith('.job')).length
  } catch {
    // No queue yet.
  }
  const files = listDataFiles(layout.zdbData)
  return {
    version: VERSION,
    dir: config.dir,
    mountpoint: config.mountpoint,
    mounted: false,
    startedAt: 0,
    backends,
    shards: null,
    queue: { depth: queued, running: 0, failing: 0, lastError: null },
    cache: {
      usedBytes: files.reduce((s, f) => s + f.size, 0),
      limitBytes: config.cacheSize,
      localSegments: files.length,
      evictedSegments: 0,
      fetches: 0,
    },
    lastUpload: null,
    lossWindowSeconds: 0,
    lossWindowLimit: config.lossWindow,
    uploadedBytes: 0,
    fetchedBytes: 0,
    history: [],
  }
}
