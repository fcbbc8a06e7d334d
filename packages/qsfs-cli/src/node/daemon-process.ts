/**
 * `qsfs _daemon --dir D`: the node's zstor daemon, a process of its own. It serves the socket
 * the node sends stores and fetches to, and repairs in the background.
 * @module
 */
import { startDaemon } from '@qsfs/zstor-client'
import { loadNodeConfig } from '../config/node-config.js'
import { nodeZstorConfig } from '../config/zstor-runtime.js'

export async function runDaemonProcess(dir: string): Promise<void> {
  const node = loadNodeConfig(dir)
  const config = await nodeZstorConfig(node)
  const daemon = await startDaemon({ config, configPath: node.zstorConfig, signals: true })
  // Orphaned by a killed node: stop, so the next `qsfs up` starts a fresh daemon on the socket.
  process.on('disconnect', () => void daemon.stop().then(() => process.exit(0)))
  process.send?.({ ready: true })
}
