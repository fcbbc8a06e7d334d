/**
 * A backend that stops answering (hung host, cut link) costs one timeout, not one per command:
 * after it, its commands fail at once for a while, so operations fail over to the others.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createZdbServer, silentLogger, type ZdbServer } from '@qsfs/zdb-server'
import { afterEach, expect, it } from 'vitest'
import { ZdbBackend } from '../src/backend/zdb-backend.js'
import { parseBackendAddress } from '../src/config/index.js'
import { slowProxy } from './helpers/slow-proxy.js'

let server: ZdbServer | undefined
let dir: string | undefined
afterEach(async () => {
  await server?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

it('after a timeout, commands to that backend fail at once instead of each waiting it out', async () => {
  dir = mkdtempSync(join(tmpdir(), 'zstor-timeout-'))
  server = await createZdbServer({
    port: 0,
    dataDir: join(dir, 'd'),
    indexDir: join(dir, 'i'),
    logger: silentLogger,
  })
  // Replies held 5 s: longer than the 300 ms command timeout, like a backend behind a cut link.
  const proxy = await slowProxy(server.address.port, 5_000)
  const backend = new ZdbBackend(
    {
      address: parseBackendAddress(`127.0.0.1:${proxy.port}`),
      namespace: null,
      password: null,
      label: 'hung',
    },
    { commandTimeout: 300, connectTimeout: 1_000 },
  )
  try {
    await expect(backend.ping()).rejects.toMatchObject({ code: 'ERR_BACKEND_TIMEOUT' })
    // Refused at once: waiting out the timeout again would report ERR_BACKEND_TIMEOUT.
    await expect(backend.ping()).rejects.toMatchObject({ code: 'ERR_BACKEND_UNREACHABLE' })
  } finally {
    await backend.close()
    await proxy.close()
  }
})
