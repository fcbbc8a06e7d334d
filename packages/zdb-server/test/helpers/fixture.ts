/**
 * One test's servers and clients: a fresh temp directory before each test; after it, every
 * client and the server are closed and the directory removed. Call at a test file's top level.
 */
import { afterEach, beforeEach } from 'vitest'
import type { ZdbServer, ZdbServerOptions } from '../../src/index.js'
import { TestClient } from './client.js'
import { startServer, type TempDirs, tempDirs } from './server.js'

export interface ServerFixture {
  readonly dirs: TempDirs
  /** The server started last, if any. */
  readonly server: ZdbServer | undefined
  /** Starts a server on the fixture's directories (closing none: see {@link stop}). */
  start(options?: Partial<ZdbServerOptions>): Promise<ZdbServer>
  /** A new client of the last server. */
  connect(): Promise<TestClient>
  /** Closes every client and the server; the directories stay (for restarts). */
  stop(): Promise<void>
}

export function serverFixture(): ServerFixture {
  let dirs: TempDirs | undefined
  let server: ZdbServer | undefined
  const clients: TestClient[] = []
  const fixture: ServerFixture = {
    get dirs() {
      if (!dirs) throw new Error('the fixture is used outside a test')
      return dirs
    },
    get server() {
      return server
    },
    async start(options = {}) {
      server = await startServer(fixture.dirs, options)
      return server
    },
    async connect() {
      if (!server) throw new Error('start a server before connecting')
      const c = await TestClient.connect(server.address.host, server.address.port)
      clients.push(c)
      return c
    },
    async stop() {
      for (const c of clients.splice(0)) await c.close()
      await server?.close()
      server = undefined
    },
  }
  beforeEach(() => {
    dirs = tempDirs()
  })
  afterEach(async () => {
    await fixture.stop()
    dirs?.remove()
    dirs = undefined
  })
  return fixture
}
