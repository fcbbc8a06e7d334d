/**
 * The zstor config as the node uses it: the user's zstor.toml (backends, k/m, key), with the
 * fields that belong to this node's directory set here, so the same zstor.toml works on a
 * replacement machine at another path.
 * @module
 */
import { loadConfig, type ZstorConfig } from '@qsfs/zstor-client'
import { QsfsError } from '../errors.js'
import { nodeLayout } from './layout.js'
import type { NodeConfig } from './node-config.js'

export async function nodeZstorConfig(node: NodeConfig): Promise<ZstorConfig> {
  let config: ZstorConfig
  try {
    config = await loadConfig(node.zstorConfig)
  } catch (error) {
    throw new QsfsError('ERR_NODE_CONFIG', (error as Error).message)
  }
  const layout = nodeLayout(node.dir)
  return {
    ...config,
    root: layout.zdbRoot,
    socket: layout.zstorSocket,
    queueDir: `${layout.run}/zstor-queue`,
    pidFile: null,
    // The node evicts by its own LRU; zstor's size-based sweep would race it.
    maxZdbDataDirSize: null,
    zdbDataDirPath: null,
  }
}
