/**
 * The listeners (TCP, a Unix socket, or both, spec zdb.md §4 `--socket`, `--dualnet`): they
 * accept connections, track them so `close()` can end them all, and map listen failures to
 * typed errors.
 *
 * It binds before the namespaces are loaded, so that the hooks (spec zdb.md §3) get the real
 * address in their zdbid even with port 0. Connections accepted before {@link Listener.open}
 * are held, unread, and served from then on, as the kernel would hold them for upstream, which
 * listens only once it is ready.
 * @module
 */
import { existsSync, rmSync } from 'node:fs'
import { connect, createServer, type Server, type Socket } from 'node:net'
import type { ServerState } from './commands/context.js'
import { attachConnection } from './connection.js'
import { ZdbAddressInUseError, ZdbOptionError } from './errors.js'
import type { ZdbLogger } from './logger.js'
import { type ServedSocket, serveSocket } from './socket-reads.js'

export interface Listener {
  /** The TCP address, or `''` / 0 when the server listens on a Unix socket only. */
  readonly host: string
  readonly port: number
  /** The Unix socket path, if one was asked for. */
  readonly socket: string | undefined
  /** Starts serving: the held connections first, then every new one. */
  open(state: ServerState): void
  close(): Promise<void>
}

/** Where to listen: TCP, a Unix socket, or both (`--dualnet`). */
export interface Endpoints {
  tcp?: { host: string; port: number }
  socket?: string
}

export async function listen(endpoints: Endpoints, logger: ZdbLogger): Promise<Listener> {
  const sockets = new Set<Socket>()
  let state: ServerState | undefined
  const held: ServedSocket[] = []
  const accept = (accepted: Socket): void => {
    const served = serveSocket(accepted, state === undefined)
    const { socket } = served
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    if (state) {
      attachConnection(served, state)
      return
    }
    socket.on('error', (err) => logger.debug(`connection error: ${err.message}`))
    held.push(served)
  }
  // Paused: serveSocket rebuilds each socket before anything is read from it.
  const newServer = () => createServer({ pauseOnConnect: true }, accept)
  const servers: Server[] = []
  const closeAll = () =>
    Promise.all(servers.map((srv) => new Promise<void>((done) => srv.close(() => done()))))
  try {
    let port = 0
    if (endpoints.socket !== undefined) {
      await removeStaleSocket(endpoints.socket)
      servers.push(await bind(newServer(), { path: endpoints.socket }, `socket ${endpoints.socket}`))
    }
    if (endpoints.tcp) {
      const { host, port: asked } = endpoints.tcp
      const srv = await bind(newServer(), { host, port: asked }, `port ${asked} on ${host}`, host)
      servers.push(srv)
      const address = srv.address()
      port = typeof address === 'object' && address !== null ? address.port : asked
    }
    for (const srv of servers) srv.on('error', (err) => logger.error(`server error: ${err.message}`))
    return {
      host: endpoints.tcp?.host ?? '',
      port,
      socket: endpoints.socket,
      open(serving) {
        state = serving
        for (const served of held.splice(0)) {
          if (served.socket.destroyed) continue
          attachConnection(served, serving)
          served.socket.resume()
        }
      },
      close: async () => {
        const closed = closeAll()
        for (const s of sockets) s.destroy()
        await closed
      },
    }
  } catch (err) {
    await closeAll()
    throw err
  }
}

function bind(
  server: Server,
  options: { host?: string; port?: number; path?: string },
  what: string,
  host?: string,
) {
  return new Promise<Server>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new ZdbAddressInUseError(`${what} is already in use; stop the other server or choose another`, {
            cause: err,
          }),
        )
      } else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAFNOSUPPORT') {
        reject(new ZdbOptionError(`cannot listen on ${host}: ${err.code}; pass an address of this host`))
      } else if (err.code === 'EACCES' || err.code === 'ENOENT') {
        reject(
          new ZdbOptionError(`cannot listen on ${what}: ${err.code}; check the path and its permissions`),
        )
      } else {
        reject(err)
      }
    }
    server.once('error', onError)
    server.listen(options, () => {
      server.off('error', onError)
      resolve(server)
    })
  })
}

/**
 * A socket file left by a killed server is removed, as upstream unlinks it; one a live server
 * answers on is not: binding then fails with a clear "in use" error.
 */
async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect({ path })
    probe.once('connect', () => {
      probe.destroy()
      resolve(true)
    })
    probe.once('error', () => resolve(false))
  })
  if (!live) rmSync(path, { force: true })
}
