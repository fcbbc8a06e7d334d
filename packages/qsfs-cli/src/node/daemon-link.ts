/**
 * How the node asks its zstor daemon to do things: upstream's socket protocol, one request per
 * connection. Stores are sent blocking, so a reply means the file is stored; the durability of
 * what is still to store is the node's outbox, which survives the daemon being killed.
 * @module
 */
import { DaemonError, sendCommand } from '@qsfs/zstor-client'

export interface DaemonLink {
  /** Stores `file` as if it were in `keyDir`; resolves once it is stored. */
  store(file: string, keyDir: string): Promise<void>
  /** Retrieves the stored file at `path` (its key is the path under the zstor root) into place. */
  retrieve(path: string): Promise<void>
  /** The daemon's own status JSON. */
  status(): Promise<unknown>
}

export function daemonLink(socket: string): DaemonLink {
  const call = async (command: Parameters<typeof sendCommand>[1]) => {
    const response = await sendCommand(socket, command)
    if (response.kind === 'error') throw new DaemonError('ERR_DAEMON_REPLY', response.message)
    return response
  }
  return {
    async store(file, keyDir) {
      await call({ kind: 'store', file, keyPath: keyDir, saveFailure: false, delete: false, blocking: true })
    },
    async retrieve(path) {
      await call({ kind: 'retrieve', file: path })
    },
    async status() {
      const response = await call({ kind: 'status' })
      return response.kind === 'json' ? JSON.parse(response.json) : null
    },
  }
}
