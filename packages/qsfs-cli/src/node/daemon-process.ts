/**
 * `qsfs _daemon --dir D`: the node's zstor daemon, a process of its own. It serves the socket
 * the node sends stores and fetches to, and repairs in the background. SIGHUP (or SIGUSR1)
 * re-reads zstor.toml, with this node's fields set again (see {@link nodeZstorConfig}).
 * @module
 */
import { startDaemon } from '@qsfs/zstor-client'
import { loadNodeConfig } from '../config/node-config.js'
import { nodeZstorConfig } from '../config/zstor-runtime.js'

export async function runDaemonProcess(dir: string): Promise<void> {
  const node = loadNodeConfig(dir)
  const config = await nodeZstorConfig(node)
  // No `configPath`: the daemon's own reload would read zstor.toml bare, without the node's
  // `root`, so every file stored after a SIGHUP would get another metadata key (invisible to
  // check, recover and a restarted daemon) while the node evicts it as uploaded.
  const daemon = await startDaemon({ config, signals: true })
  const reload = () =>
    void nodeZstorConfig(loadNodeConfig(dir))
      .then((fresh) => daemon.reload(fresh))
      .catch((error: Error) =>
        process.stderr.write(
          `${new Date().toISOString()} config reload failed, keeping the old one: ${error.message}\n`,
        ),
      )
  process.on('SIGHUP', reload)
  process.on('SIGUSR1', reload)
  // Orphaned by a killed node: stop, so the next `qsfs up` starts a fresh daemon on the socket.
  process.on('disconnect', () => void daemon.stop().then(() => process.exit(0)))
  process.send?.({ ready: true })
}
