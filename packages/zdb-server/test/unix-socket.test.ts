/** `--socket` and `--dualnet` (spec zdb.md §4): serving on a Unix socket, with or without TCP. */

import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ZdbAddressInUseError } from '../src/index.js'
import { TestClient, text } from './helpers/client.js'
import { serverFixture } from './helpers/fixture.js'

const f = serverFixture()

describe('Unix socket', () => {
  it('--socket serves on the socket only', async () => {
    const path = join(f.dirs.root, 'zdb.sock')
    const server = await f.start({ socket: path, port: 0 })
    expect(server.address).toEqual({ host: '', port: 0, socket: path })
    const c = await TestClient.connectPath(path)
    expect(text(await c.call('SET', 'k', 'v'))).toBe('k')
    expect(text(await c.call('GET', 'k'))).toBe('v')
    await c.close()
  })

  it('--dualnet serves on the socket and on TCP, one store', async () => {
    const path = join(f.dirs.root, 'zdb.sock')
    const server = await f.start({ socket: path, dualnet: true, port: 0 })
    expect(server.address.port).toBeGreaterThan(0)
    const viaSocket = await TestClient.connectPath(path)
    const viaTcp = await TestClient.connect('127.0.0.1', server.address.port)
    expect(text(await viaSocket.call('SET', 'k', 'shared'))).toBe('k')
    expect(text(await viaTcp.call('GET', 'k'))).toBe('shared')
    await viaSocket.close()
    await viaTcp.close()
  })

  it('replaces a stale socket file, and never takes a socket a live server answers on', async () => {
    const path = join(f.dirs.root, 'zdb.sock')
    writeFileSync(path, '') // what a killed server can leave behind (any file nothing listens on)
    await f.start({ socket: path })
    const c = await TestClient.connectPath(path)
    expect(await c.call('PING')).toBe('PONG')
    await c.close()
    await f.stop()

    const other = createServer((s) => s.end())
    await new Promise<void>((resolve) => other.listen(path, resolve))
    try {
      await expect(f.start({ socket: path })).rejects.toBeInstanceOf(ZdbAddressInUseError)
    } finally {
      await new Promise((resolve) => other.close(resolve))
    }
  })
})
