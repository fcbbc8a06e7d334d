/**
 * One client connection: a request parser, a reply writer, and the dispatch loop.
 *
 * Commands run synchronously as the parser yields them, so replies are in request order; all
 * replies a connection owes at the end of an event-loop turn are written in a single batch
 * (spec zdb.md §5: upstream's one `send()` per reply plus Nagle stalls pipelined clients).
 *
 * A request that needs a missing old data file while `--hook` is set (spec §3 `missing-data`)
 * throws {@link MissingDataError}: whatever it wrote to the reply is rolled back, it goes back
 * to the front of the backlog, the socket pauses, and once the hook exited the backlog runs
 * again from that request, in order. Other connections are served meanwhile.
 * @module
 */
import { type ProtocolError, RequestParser, RespWriter } from '@qsfs/zdb-protocol'
import type { ClientState, CommandContext, ServerState } from './commands/context.js'
import { findCommand } from './commands/table.js'
import { parseOwnerId } from './mirrors.js'
import { MissingDataError } from './missing-data.js'
import { READ_BUFFER_SIZE, type ServedSocket } from './socket-reads.js'

/**
 * Replies owed but not yet taken by the client, past which requests wait instead of running.
 * Without it one 64 KiB read of GETs for 8 MiB values would owe 100+ MB of replies at once.
 */
const HIGH_WATER = 4 * 1024 * 1024

/**
 * Mirror frames owed to a MIRROR connection past which it is dropped: a mirror that stopped
 * reading cannot make the server hold every write forever.
 */
const MIRROR_HIGH_WATER = 64 * 1024 * 1024

/** A request that waited for the `missing-data` hook, with the paths it may not wait for again. */
class Retry {
  constructor(
    readonly args: Buffer[],
    readonly exempt: ReadonlySet<string>,
    readonly owner: number,
  ) {}
}

/** A parsed request, or a protocol error whose reply must keep its place among them. */
type Pending = Buffer[] | ProtocolError | Retry

export function attachConnection(served: ServedSocket, server: ServerState): void {
  const { socket, borrowed } = served
  server.stats.clientsLifetime += 1
  socket.setNoDelay(true)
  // Default copy threshold (16 KiB): GET payloads below it are read straight into the reply's
  // chunk (reserveBulk); larger ones come in buffers of their own, referenced by the reply.
  const out = new RespWriter()
  const client: ClientState = { ns: server.namespaces.default, writable: true }
  const ctx: CommandContext = { server, client, out }
  let closing = false
  /** Requests parsed while the client was not reading; run in order once it drains. */
  const backlog: Pending[] = []
  let waiting = false
  /** True while the request at the front of the backlog waits for a `missing-data` hook. */
  let fetching = false

  /** Mirror frames waiting for this connection's held replies (they keep their order). */
  const frames: Buffer[] = []

  const owed = (): number => out.length + socket.writableLength

  /** `owner`: the id mirrors are told the write came from (mirrors.ts). */
  const run = (args: Buffer[], exempt: ReadonlySet<string> | undefined, owner: number): void => {
    if (closing) return
    const entry = findCommand(args[0]!)
    if (!entry) {
      server.stats.commandsFailed += 1
      out.error('Command not supported')
      return
    }
    server.stats.commandsExecuted += 1
    // Only a server with --hook can have a request deferred; the others skip the bookkeeping.
    const mark = server.missingData ? out.mark() : undefined
    client.applied = false
    try {
      if (server.missingData) server.missingData.withExempt(exempt, () => entry.handler(ctx, args))
      else entry.handler(ctx, args)
      // Upstream disconnects a client whose namespace was removed, after telling it so.
      if (client.closeAfterReply) closing = true
      // A valid command, even one that failed, wakes the clients waiting for it (WAIT).
      server.waits.ran(client, client.ns, entry.name)
      if (client.applied && server.mirrors.size > 0) {
        server.mirrors.forward(client, {
          timestamp: server.now(),
          namespace: client.ns.name,
          owner,
          name: entry.name,
          args: args.slice(1),
        })
      }
    } catch (err) {
      if (err instanceof MissingDataError && mark) {
        // Reads only so far (the data file is checked before anything is written): drop the
        // partial reply and run the request again once the hook is done.
        out.rollback(mark)
        server.stats.commandsExecuted -= 1
        backlog.unshift(new Retry(owned(args), new Set([...(exempt ?? []), err.path]), owner))
        fetch(err.path)
        return
      }
      server.logger.error(
        `${entry.name}: unexpected failure: ${err instanceof Error ? err.stack : String(err)}`,
      )
      out.error('Internal Error')
    }
  }

  /** Waits for the hook of `path` with this connection paused, then resumes its backlog. */
  const fetch = (path: string): void => {
    fetching = true
    socket.pause()
    void server.missingData!.fetch(path).then(() => {
      fetching = false
      if (socket.destroyed || waiting) return
      drained()
    })
  }

  const reject = (err: ProtocolError): void => {
    if (closing) return
    out.error(err.reply)
    if (err.close) closing = true
  }

  /**
   * After MASTER, the last argument of each request is the owner id of the write: it is taken
   * off before the command runs. A write this server originated comes back through a
   * replication loop: it is not run again.
   */
  const request = (args: Buffer[]): void => {
    if (!client.master) {
      run(args, undefined, server.instanceId)
      return
    }
    const owner = args.length > 1 ? parseOwnerId(args[args.length - 1]!) : undefined
    if (owner === undefined) return void out.error('Invalid owner id')
    if (owner === server.instanceId) return void out.simple('Skipped, own write')
    run(args.slice(0, -1), undefined, owner)
  }

  const handle = (item: Pending): void => {
    if (Array.isArray(item)) request(item)
    else if (item instanceof Retry) run(item.args, item.exempt, item.owner)
    else reject(item)
  }

  /** `args` in memory of their own: a request kept past its read cannot point into the read buffer. */
  const owned = (args: Buffer[]): Buffer[] => (borrowed ? args.map((a) => Buffer.from(a)) : args)

  const accept = (item: Pending): void => {
    if (backlog.length > 0 || fetching || owed() > HIGH_WATER)
      backlog.push(Array.isArray(item) ? owned(item) : item)
    else handle(item)
  }

  const parser = new RequestParser({ onRequest: accept, onError: accept, borrowedChunks: borrowed })

  const flush = (): void => {
    if (out.length > 0 || frames.length > 0) {
      server.stats.networkTxBytes += out.length
      const buffers = out.flush()
      if (buffers.length === 1 && frames.length === 0) {
        // The usual case: a read batch's replies fit one chunk, and cork would only add work.
        socket.write(buffers[0]!)
      } else {
        socket.cork()
        for (const b of buffers) socket.write(b)
        for (const f of frames) socket.write(f)
        frames.length = 0
        socket.uncork()
      }
      // Written synchronously: nothing refers to the chunk any more, so it is filled again.
      if (socket.writableLength === 0) out.recycle()
    }
    if (closing) {
      socket.end()
      return
    }
    // The hook's completion resumes the backlog, not a drain.
    if (fetching) return
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
    const before = server.batch.writes
    server.batch.enter()
    while (backlog.length > 0 && owed() <= HIGH_WATER && !closing && !fetching) handle(backlog.shift()!)
    if (closing) backlog.length = 0
    settle(before)
  }

  /** Whether this connection's replies are held for the turn's commit. */
  let held = false
  /** Whether a request whose reply is held wrote: its reply waits for the commit to succeed. */
  let wrote = false

  /**
   * Replies wait for the end of the event-loop turn, once every ready socket was read (and the
   * turn's writes committed), as redis-server writes its replies before it sleeps: the client
   * that reads them is woken once per turn, not once per socket read. Sending each batch at
   * once made every reply write wake a client that had gone back to sleep in between, and on
   * this VM the wakeup cost more than the GETs themselves (pipelined GETs: 10 % more CPU).
   */
  const settle = (writesBefore: number): void => {
    if (server.batch.writes !== writesBefore) wrote = true
    if (held) return
    held = true
    server.batch.afterCommit((ok) => {
      held = false
      // A failed commit drops only the connections whose held replies acknowledge a write.
      const acknowledged = ok || !wrote
      wrote = false
      release(acknowledged)
    })
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
    if (!waiting && !fetching && backlog.length === 0 && owed() <= HIGH_WATER && !closing) socket.resume()
  }

  served.receive(
    (chunk) => {
      if (closing) return
      server.stats.networkRxBytes += chunk.length
      const before = server.batch.writes
      server.batch.enter()
      parser.feed(chunk)
      settle(before)
    },
    () => (closing ? null : parser.readTarget(READ_BUFFER_SIZE)),
  )
  socket.on('error', (err) => server.logger.debug(`connection error: ${err.message}`))
  socket.on('close', () => {
    server.waits.cancel(client)
    server.mirrors.remove(client)
  })
  // WAIT's reply comes out of turn: it joins whatever this connection owes and goes with it.
  client.notify = (text, error) => {
    if (closing || socket.destroyed) return
    if (error) out.error(text)
    else out.simple(text)
    if (!held) flush()
  }
  client.mirror = () =>
    server.mirrors.add(client, (frame) => {
      if (closing || socket.destroyed) return
      if (owed() > MIRROR_HIGH_WATER) {
        server.logger.warn('a MIRROR connection stopped reading its frames; dropping it')
        socket.destroy()
        return
      }
      server.stats.networkTxBytes += frame.length
      frames.push(frame)
      if (!held) flush()
    })
}
