/**
 * The daemon's Unix socket, both ends. The server replaces a stale socket file left by a killed
 * daemon (nothing answers on it) and refuses to start when a live daemon answers (it never
 * steals a socket); the client sends one request per connection (spec zstor.md §4).
 * @module
 */
import { existsSync, rmSync } from 'node:fs'
import { connect, createServer, type Server } from 'node:net'
import { DaemonError } from '../errors.js'
import {
  type DaemonCommand,
  type DaemonResponse,
  decodeCommand,
  decodeResponse,
  encodeCommand,
  encodeResponse,
  frameReader,
} from './protocol.js'

/** Whether something accepts connections on the socket at `path`. */
export function socketIsLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path })
    probe.once('connect', () => {
      probe.destroy()
      resolve(true)
    })
    probe.once('error', () => resolve(false))
  })
}

export type CommandHandler = (command: DaemonCommand) => Promise<DaemonResponse>

/** Serves `handler` on `path`; throws `ERR_DAEMON_RUNNING` when a live daemon has it. */
export async function listenSocket(
  path: string,
  handler: CommandHandler,
): Promise<{ close(): Promise<void> }> {
  if (existsSync(path)) {
    if (await socketIsLive(path)) {
      throw new DaemonError(
        'ERR_DAEMON_RUNNING',
        `a daemon already answers on ${path}; stop it first (zstor monitor runs once per socket)`,
      )
    }
    rmSync(path, { force: true })
  }
  const server: Server = createServer((socket) => {
    socket.on('error', () => undefined)
    let handled = false
    socket.on(
      'data',
      frameReader((body) => {
        if (handled) return
        handled = true
        let command: DaemonCommand
        try {
          command = decodeCommand(body)
        } catch (error) {
          socket.end(encodeResponse({ kind: 'error', message: (error as Error).message }))
          return
        }
        handler(command)
          .catch((error: Error): DaemonResponse => ({ kind: 'error', message: error.message }))
          .then((response) => {
            let bytes: Buffer
            try {
              bytes = encodeResponse(response)
            } catch (error) {
              bytes = encodeResponse({ kind: 'error', message: (error as Error).message })
            }
            socket.end(bytes)
          })
      }),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new DaemonError('ERR_DAEMON_RUNNING', `cannot listen on ${path}: ${error.message}`)),
    )
    server.listen(path, () => resolve())
  })
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          rmSync(path, { force: true })
          resolve()
        })
      }),
  }
}

/** Sends one command to the daemon on `path` and returns its reply. */
export function sendCommand(path: string, command: DaemonCommand, timeout = 0): Promise<DaemonResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path })
    let settled = false
    const fail = (error: DaemonError) => {
      if (settled) return
      settled = true
      socket.destroy()
      reject(error)
    }
    if (timeout > 0)
      socket.setTimeout(timeout, () =>
        fail(new DaemonError('ERR_DAEMON_UNREACHABLE', `no reply from ${path} in ${timeout} ms`)),
      )
    socket.once('error', (error) =>
      fail(new DaemonError('ERR_DAEMON_UNREACHABLE', `cannot reach the daemon on ${path}: ${error.message}`)),
    )
    socket.on(
      'data',
      frameReader((body) => {
        if (settled) return
        settled = true
        socket.end()
        try {
          resolve(decodeResponse(body))
        } catch (error) {
          reject(error)
        }
      }),
    )
    socket.once('close', () =>
      fail(
        new DaemonError('ERR_DAEMON_PROTOCOL', `the daemon on ${path} closed the connection without a reply`),
      ),
    )
    socket.write(encodeCommand(command))
  })
}
