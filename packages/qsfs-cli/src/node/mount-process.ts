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
    // A read of an evicted segment waits for its fetch from the backends (seconds on a slow
    // link, one command timeout with a backend cut off): zdbfs's 5 s default would fail it.
    timeout: 60_000,
    logger: consoleLogger(false),
    // After this process died, the restarted one replaces the dead mount: between the unmount
    // and the new mount the bare directory is exposed, and a program retrying its writes can
    // create files in it. libfuse 2 then refuses the mountpoint as not empty on every retry,
    // and the node stays unmounted for good; mount over them (libfuse 3 always does).
    fuseOptions: ['nonempty'],
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
