/**
 * The TCP listener: accepts connections, tracks them so `close()` can end them all, and maps
 * listen failures to typed errors.
 * @module
 */
import { createServer, type Server, type Socket } from 'node:net'
import type { ServerState } from './commands/context.js'
import { attachConnection } from './connection.js'
import { ZdbAddressInUseError, ZdbOptionError } from './errors.js'

export interface Listener {
  readonly host: string
  readonly port: number
  close(): Promise<void>
}

export function listen(state: ServerState, host: string, port: number): Promise<Listener> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    attachConnection(socket, state)
  })
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new ZdbAddressInUseError(
            `port ${port} on ${host} is already in use; stop the other server or choose another port`,
            { cause: err },
          ),
        )
      } else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAFNOSUPPORT') {
        reject(new ZdbOptionError(`cannot listen on ${host}: ${err.code}; pass an address of this host`))
      } else {
        reject(err)
      }
    }
    server.once('error', onError)
    server.listen({ host, port }, () => {
      server.off('error', onError)
      server.on('error', (err) => state.logger.error(`server error: ${err.message}`))
      const address = server.address()
      const bound = typeof address === 'object' && address !== null ? address.port : port
      resolve({
        host,
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            for (const s of sockets) s.destroy()
          }),
      })
    })
  })
}
