/**
 * One client connection: a request parser, a reply writer, and the dispatch loop.
 *
 * Commands run synchronously as the parser yields them, so replies are in request order; all
 * replies produced from one socket read are written in a single corked batch (spec zdb.md §5:
 * upstream's one `send()` per reply plus Nagle stalls pipelined clients).
 * @module
 */
import type { Socket } from 'node:net'
import { type ProtocolError, RequestParser, RespWriter } from '@qsfs/zdb-protocol'
import type { ClientState, CommandContext, ServerState } from './commands/context.js'
import { findCommand } from './commands/table.js'

/**
 * Replies owed but not yet taken by the client, past which requests wait instead of running.
 * Without it one 64 KiB read of GETs for 8 MiB values would owe 100+ MB of replies at once.
 */
const HIGH_WATER = 4 * 1024 * 1024

/** A parsed request, or a protocol error whose reply must keep its place among them. */
type Pending = Buffer[] | ProtocolError

export function attachConnection(socket: Socket, server: ServerState): void {
  server.stats.clientsLifetime += 1
  socket.setNoDelay(true)
  const out = new RespWriter()
  const client: ClientState = { ns: server.namespaces.default, writable: true }
  const ctx: CommandContext = { server, client, out }
  let closing = false
  /** Requests parsed while the client was not reading; run in order once it drains. */
  const backlog: Pending[] = []
  let waiting = false

  const owed = (): number => out.length + socket.writableLength

  const run = (args: Buffer[]): void => {
    if (closing) return
    const entry = findCommand(args[0]!)
    if (!entry) {
      server.stats.commandsFailed += 1
      out.error('Command not supported')
      return
    }
    server.stats.commandsExecuted += 1
    try {
      entry.handler(ctx, args)
      // Upstream disconnects a client whose namespace was removed, after telling it so.
      if (client.closeAfterReply) closing = true
    } catch (err) {
      server.logger.error(
        `${entry.name}: unexpected failure: ${err instanceof Error ? err.stack : String(err)}`,
      )
      out.error('Internal Error')
    }
  }

  const reject = (err: ProtocolError): void => {
    if (closing) return
    out.error(err.reply)
    if (err.close) closing = true
  }

  const handle = (item: Pending): void => (Array.isArray(item) ? run(item) : reject(item))

  const accept = (item: Pending): void => {
    if (backlog.length > 0 || owed() > HIGH_WATER) backlog.push(item)
    else handle(item)
  }

  const parser = new RequestParser({ onRequest: accept, onError: accept })

  const flush = (): void => {
    if (out.length > 0) {
      server.stats.networkTxBytes += out.length
      const buffers = out.flush()
      socket.cork()
      for (const b of buffers) socket.write(b)
      socket.uncork()
    }
    if (closing) {
      socket.end()
      return
    }
    // Stop reading while replies are owed, so what one client can make us hold stays bounded.
    if (backlog.length === 0 && owed() <= HIGH_WATER) return
    socket.pause()
    if (waiting) return
    waiting = true
    // 'drain' comes only if the socket still buffers something; if the kernel took it all,
    // carry on with the backlog at once.
    if (socket.writableLength > 0) socket.once('drain', drained)
    else setImmediate(drained)
  }

  const drained = (): void => {
    waiting = false
    if (socket.destroyed) return
    server.batch.enter()
    while (backlog.length > 0 && owed() <= HIGH_WATER && !closing) handle(backlog.shift()!)
    if (closing) backlog.length = 0
    server.batch.afterCommit(release)
  }

  /** After the commit of this turn's writes: send the replies, or drop them and the connection. */
  const release = (ok: boolean): void => {
    if (socket.destroyed) return
    if (!ok) {
      // Some write of this turn did not reach the files: no reply of it may say otherwise.
      out.flush()
      socket.destroy()
      return
    }
    flush()
    if (!waiting && backlog.length === 0 && owed() <= HIGH_WATER && !closing) socket.resume()
  }

  socket.on('data', (chunk: Buffer) => {
    if (closing) return
    server.stats.networkRxBytes += chunk.length
    server.batch.enter()
    parser.feed(chunk)
    server.batch.afterCommit(release)
  })
  socket.on('error', (err) => server.logger.debug(`connection error: ${err.message}`))
}
