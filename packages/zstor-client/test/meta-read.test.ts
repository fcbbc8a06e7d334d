import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { createZstorClient, parseConfig } from '../src/index.js'
import { Cluster } from './helpers/cluster.js'
import { slowProxy } from './helpers/slow-proxy.js'

let cluster: Cluster | undefined
let dir: string | undefined

afterEach(async () => {
  await cluster?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

it('a metadata read does not wait for a slow meta backend once k shards of the record answered', {
  timeout: 30_000,
}, async () => {
  cluster = await Cluster.start({ groups: [3], k: 2, m: 1, meta: 4 })
  dir = mkdtempSync(join(tmpdir(), 'zstor-meta-read-'))
  const file = join(dir, 'f')
  writeFileSync(file, randomBytes(10_000))
  const writer = createZstorClient({ config: await cluster.config() })
  await writer.store(file)
  const key = writer.keyOf(file)
  const stored = await writer.context.meta.get(key)
  await writer.close()

  const slowPort = cluster.meta[0]!.port
  const delay = 4_000
  const proxy = await slowProxy(slowPort, delay)
  const toml = cluster.toml().replace(`127.0.0.1:${slowPort}"`, `127.0.0.1:${proxy.port}"`)
  const client = createZstorClient({ config: await parseConfig(toml) })
  try {
    const started = performance.now()
    const record = await client.context.meta.get(key)
    // Not a speed threshold: waiting for the held reply would take `delay` at least.
    expect(performance.now() - started).toBeLessThan(delay)
    expect(Buffer.compare(record!, stored!)).toBe(0)
    // A key that is absent still needs every backend to say so (or fail) before it is absent.
    const absentStarted = performance.now()
    expect(await client.context.meta.get('/someprefix/meta/absent')).toBeNull()
    expect(performance.now() - absentStarted).toBeGreaterThanOrEqual(delay - 100)
  } finally {
    await client.close()
    await proxy.close()
  }
})
