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

export function attachConnection(socket: Socket, server: ServerState): void {
  server.stats.clientsLifetime += 1
  socket.setNoDelay(true)
  const out = new RespWriter()
  const client: ClientState = { ns: server.namespaces.default, writable: true }
  const ctx: CommandContext = { server, client, out }
  let closing = false

  const dispatch = (args: Buffer[]): void => {
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
    } catch (err) {
      server.logger.error(
        `${entry.name}: unexpected failure: ${err instanceof Error ? err.stack : String(err)}`,
      )
      out.error('Internal Error')
    }
  }

  const parser = new RequestParser({
    onRequest: dispatch,
    onError(err: ProtocolError) {
      if (closing) return
      out.error(err.reply)
      if (err.close) closing = true
    },
  })

  const flush = (): void => {
    if (out.length > 0) {
      server.stats.networkTxBytes += out.length
      const buffers = out.flush()
      socket.cork()
      let full = false
      for (const b of buffers) full = !socket.write(b) || full
      socket.uncork()
      // Stop reading while the client does not read its replies, so memory stays bounded.
      if (full && !closing) {
        socket.pause()
        socket.once('drain', () => socket.resume())
      }
    }
    if (closing) socket.end()
  }

  socket.on('data', (chunk: Buffer) => {
    if (closing) return
    server.stats.networkRxBytes += chunk.length
    parser.feed(chunk)
    flush()
  })
  socket.on('error', (err) => server.logger.debug(`connection error: ${err.message}`))
}
