/**
 * `qsfs _mount --dir D --mountpoint M`: the node's FUSE mount, a process of its own, talking to
 * the node's zdb over its Unix socket. SIGTERM unmounts (the kernel's pending writes are
 * written to the zdb first) and exits.
 * @module
 */
import { consoleLogger, mount } from '@qsfs/zdbfs'
import { nodeLayout } from '../config/layout.js'
import { loadNodeConfig } from '../config/node-config.js'

export async function runMountProcess(dir: string, mountpoint: string | undefined): Promise<void> {
  const node = loadNodeConfig(dir)
  const layout = nodeLayout(node.dir)
  const fs = await mount({
    mountpoint: mountpoint ?? node.mountpoint,
    zdb: { socket: layout.zdbSocket },
    size: node.fsSize,
    autons: true,
    logger: consoleLogger(false),
  })
  const stop = (signal: string) => {
    process.stderr.write(`${signal}: unmounting\n`)
    fs.unmount().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`unmount failed: ${error.message}\n`)
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  // The node's own end of IPC must not keep this process alive after the node is gone.
  process.on('disconnect', () => stop('node gone'))
  process.send?.({ ready: true })
}
