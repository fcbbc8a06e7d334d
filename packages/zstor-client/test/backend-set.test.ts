/**
 * Values from 64 KiB go to the socket without ioredis' copy (zdb-backend.ts `ValueCommand`): the
 * bytes a backend stores must be the same either way, for sequential and user-mode SETs, with
 * keys of any bytes, and with many SETs in flight on the one connection.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createZdbServer, silentLogger, type ZdbServer } from '@qsfs/zdb-server'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ZdbBackend } from '../src/backend/zdb-backend.js'
import { parseBackendAddress } from '../src/config/index.js'

let server: ZdbServer
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zstor-set-'))
  server = await createZdbServer({
    port: 0,
    dataDir: join(dir, 'd'),
    indexDir: join(dir, 'i'),
    logger: silentLogger,
  })
})

afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

const connect = () =>
  new ZdbBackend({
    address: parseBackendAddress(`127.0.0.1:${server.address.port}`),
    namespace: null,
    password: null,
    label: 'set',
  })

it('large and small values, pipelined, read back as written under keys of any bytes', async () => {
  const backend = connect()
  try {
    const sizes = [0, 1, 65535, 65536, 65537, 300_000, 2 * 2 ** 20]
    const values = sizes.map((n) => randomBytes(n))
    const keys = sizes.map((n, i) => (i % 2 ? `clé ${n} ✓` : Buffer.from([0, 13, 10, i, 255])))
    // All in flight at once on the one connection: header, value and trailer must stay together.
    await Promise.all(values.map((v, i) => backend.set(keys[i]!, new Uint8Array(v))))
    for (const [i, v] of values.entries()) expect((await backend.get(keys[i]!))?.equals(v)).toBe(true)
  } finally {
    await backend.close()
  }
})
