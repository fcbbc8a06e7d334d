/**
 * The TCP listener: accepts connections, tracks them so `close()` can end them all, and maps
 * listen failures to typed errors.
 *
 * It binds before the namespaces are loaded, so that the hooks (spec zdb.md §3) get the real
 * address in their zdbid even with port 0. Connections accepted before {@link Listener.open}
 * are held, unread, and served from then on, as the kernel would hold them for upstream, which
 * listens only once it is ready.
 * @module
 */
import { createServer, type Server, type Socket } from 'node:net'
import type { ServerState } from './commands/context.js'
import { attachConnection } from './connection.js'
import { ZdbAddressInUseError, ZdbOptionError } from './errors.js'
import type { ZdbLogger } from './logger.js'

export interface Listener {
  readonly host: string
  readonly port: number
  /** Starts serving: the held connections first, then every new one. */
  open(state: ServerState): void
  close(): Promise<void>
}

export function listen(host: string, port: number, logger: ZdbLogger): Promise<Listener> {
  const sockets = new Set<Socket>()
  let state: ServerState | undefined
  const held: Socket[] = []
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    if (state) return attachConnection(socket, state)
    socket.pause()
    socket.on('error', (err) => logger.debug(`connection error: ${err.message}`))
    held.push(socket)
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
      server.on('error', (err) => logger.error(`server error: ${err.message}`))
      const address = server.address()
      const bound = typeof address === 'object' && address !== null ? address.port : port
      resolve({
        host,
        port: bound,
        open(serving) {
          state = serving
          for (const socket of held.splice(0)) {
            if (socket.destroyed) continue
            attachConnection(socket, serving)
            socket.resume()
          }
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            for (const s of sockets) s.destroy()
          }),
      })
    })
  })
}
