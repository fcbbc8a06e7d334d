/**
 * A TCP proxy in front of a zdb that lets a given number of write commands (SET, DEL) through
 * and then "crashes" the client: the next write, and everything after it on any connection,
 * never reaches the zdb. It waits until the zdb has answered every command it did forward, then
 * drops all connections and refuses new ones. What the zdb holds afterwards is exactly what a
 * client killed right after that many acknowledged writes would have left, whatever the
 * pipelining, so a test can cut a write pass at every point.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'
import { encodeCommand, ReplyParser, RequestParser } from '@qsfs/zdb-protocol'

export interface CuttingProxy {
  readonly port: number
  /** Write commands forwarded so far. */
  readonly writes: number
  /** Whether the cut happened. */
  readonly cut: boolean
  /** Lets `n` more write commands through; the next one cuts. */
  allowWrites(n: number): void
  /** Called once the cut is complete (every connection dropped). */
  onCut(fn: () => void): void
  close(): Promise<void>
}

const WRITES = new Set(['SET', 'DEL'])

interface Link {
  client: Socket
  server: Socket
  /** Forwarded commands not answered yet. */
  unanswered: number
}

export async function startCuttingProxy(target: { host: string; port: number }): Promise<CuttingProxy> {
  const links = new Set<Link>()
  let writes = 0
  let limit = Number.POSITIVE_INFINITY
  let cutting = false
  let cut = false
  const cutListeners: (() => void)[] = []

  const finishCut = (): void => {
    if (cut || [...links].some((l) => l.unanswered > 0)) return
    cut = true
    for (const l of links) {
      l.client.destroy()
      l.server.destroy()
    }
    links.clear()
    for (const fn of cutListeners.splice(0)) fn()
  }

  const server: Server = createServer((client) => {
    if (cutting) {
      client.destroy()
      return
    }
    const upstream = connect({ host: target.host, port: target.port, noDelay: true })
    const link: Link = { client, server: upstream, unanswered: 0 }
    links.add(link)
    const requests = new RequestParser({
      onRequest: (args) => {
        if (cutting) return
        const name = args[0]!.toString('latin1').toUpperCase()
        if (WRITES.has(name)) {
          if (writes >= limit) {
            cutting = true
            finishCut()
            return
          }
          writes++
        }
        link.unanswered++
        upstream.write(encodeCommand(args))
      },
      onError: () => client.destroy(),
    })
    const replies = new ReplyParser({
      onReply: () => {
        link.unanswered--
      },
      onError: () => client.destroy(),
    })
    client.on('data', (chunk: Buffer) => requests.feed(chunk))
    upstream.on('data', (chunk: Buffer) => {
      if (cut) return
      client.write(chunk)
      replies.feed(chunk)
      if (cutting) finishCut()
    })
    const drop = (): void => {
      links.delete(link)
      client.destroy()
      upstream.destroy()
      if (cutting) finishCut()
    }
    client.on('error', drop)
    client.on('close', drop)
    upstream.on('error', drop)
    upstream.on('close', drop)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('the proxy has no TCP address')

  return {
    port: address.port,
    get writes() {
      return writes
    },
    get cut() {
      return cut
    },
    allowWrites(n) {
      limit = writes + n
    },
    onCut(fn) {
      if (cut) fn()
      else cutListeners.push(fn)
    },
    async close() {
      for (const l of links) {
        l.client.destroy()
        l.server.destroy()
      }
      links.clear()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
