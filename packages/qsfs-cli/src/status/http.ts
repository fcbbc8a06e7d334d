/**
 * The node's status server (node:http): `GET /` the status page, `GET /api/status` the
 * {@link NodeStatus} as JSON, `GET /healthz` `ok`. HEAD is answered like GET, without a body;
 * other methods get 405, other paths 404. A `status()` that throws or rejects gives a 500 with
 * `{"error": message}`, never a crash.
 * @module
 */

import { rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { statusPage } from './page.js'
import type { NodeStatus } from './types.js'

export interface StatusServer {
  /** Where to open the page, e.g. `http://127.0.0.1:8080/` (a wildcard host gives a loopback URL). */
  readonly url: string
  readonly port: number
  /** Stops listening and drops open connections; resolves once closed. Safe to call twice. */
  close(): Promise<void>
}

export interface StatusServerOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 0: any free port. */
  port?: number
  /** Listen on this Unix socket instead of TCP (for `qsfs status`, which works with the page off). */
  socket?: string
  status: () => Promise<NodeStatus> | NodeStatus
}

// The page is self-contained: it may run its own inline script and style and talk to this
// origin, nothing else.
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'unsafe-inline'",
  "style-src 'unsafe-inline'",
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const ROUTES = new Set(['/', '/api/status', '/healthz'])

function send(
  req: IncomingMessage,
  res: ServerResponse,
  code: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  const buf = Buffer.from(body, 'utf8')
  res.writeHead(code, {
    'Content-Type': type,
    'Content-Length': String(buf.length),
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  })
  res.end(req.method === 'HEAD' ? undefined : buf)
}

function sendJson(req: IncomingMessage, res: ServerResponse, code: number, value: unknown): void {
  send(req, res, code, 'application/json; charset=utf-8', JSON.stringify(value), {
    'Cache-Control': 'no-store',
  })
}

function message(err: unknown): string {
  if (err instanceof Error) return err.message || err.name
  try {
    return typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err))
  } catch {
    return String(err)
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1'
  if (host === '::' || host === '[::]') return '[::1]'
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

/** Starts the status server; rejects if it cannot listen (e.g. the port is taken). */
export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const host = options.host ?? '127.0.0.1'
  const page = statusPage()

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume() // a body, if any, is not read
    let path: string
    try {
      path = new URL(req.url ?? '/', 'http://status.invalid').pathname
    } catch {
      path = ''
    }
    if (!ROUTES.has(path)) {
      send(req, res, 404, 'text/plain; charset=utf-8', 'not found\n')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(req, res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' })
      return
    }
    if (path === '/') {
      send(req, res, 200, 'text/html; charset=utf-8', page, {
        'Cache-Control': 'no-cache',
        'Content-Security-Policy': PAGE_CSP,
        'Referrer-Policy': 'no-referrer',
      })
    } else if (path === '/healthz') {
      send(req, res, 200, 'text/plain; charset=utf-8', 'ok', { 'Cache-Control': 'no-store' })
    } else {
      let body: string
      try {
        body = JSON.stringify(await options.status())
      } catch (err) {
        sendJson(req, res, 500, { error: message(err) })
        return
      }
      send(req, res, 200, 'application/json; charset=utf-8', body, { 'Cache-Control': 'no-store' })
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Only reachable if writing the answer itself failed (e.g. the client went away).
      try {
        if (!res.headersSent) sendJson(req, res, 500, { error: message(err) })
        else res.destroy()
      } catch {
        res.destroy()
      }
    })
  })

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err)
    server.once('error', onError)
    const listening = () => {
      server.off('error', onError)
      resolve()
    }
    if (options.socket !== undefined) {
      rmSync(options.socket, { force: true }) // left by a killed node; the pid file guards a live one
      server.listen(options.socket, listening)
    } else server.listen(options.port ?? 0, host, listening)
  })
  // After listening, an error on the server (not on a request) must not become an uncaught
  // exception of the whole node.
  server.on('error', () => {})

  const port = options.socket === undefined ? (server.address() as AddressInfo).port : 0
  let closing: Promise<void> | undefined
  return {
    url: options.socket === undefined ? `http://${urlHost(host)}:${port}/` : `unix:${options.socket}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}
