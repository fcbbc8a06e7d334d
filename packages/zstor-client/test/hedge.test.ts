import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { fetchShards } from '../src/data/fetch-shards.js'
import { createZstorClient, parseConfig } from '../src/index.js'
import { decodeRecord } from '../src/meta/file-record.js'
import { Cluster } from './helpers/cluster.js'
import { slowProxy } from './helpers/slow-proxy.js'

let cluster: Cluster | undefined
let dir: string | undefined

afterEach(async () => {
  await cluster?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('retrieve hedging', () => {
  it('a slow backend does not hold a retrieve: a parity shard is fetched beside it', async () => {
    cluster = await Cluster.start({ groups: [6], k: 4, m: 2 })
    dir = mkdtempSync(join(tmpdir(), 'zstor-hedge-'))
    const file = join(dir, 'f')
    writeFileSync(file, randomBytes(100_000))
    const writer = createZstorClient({ config: await cluster.config() })
    await writer.store(file)
    const bytes = await writer.context.meta.get(writer.keyOf(file))
    await writer.close()
    const record = decodeRecord(bytes!)
    if (record.kind !== 'qsfs') throw new Error('expected our record')
    const meta = record.objects[0]!
    // Put a proxy that answers after 3 s in front of the backend holding data shard 0.
    const slowPort = (meta.locations[0]!.address as { port: number }).port
    const proxy = await slowProxy(slowPort, 3_000)
    try {
      const toml = cluster.toml().replace(`127.0.0.1:${slowPort}"`, `127.0.0.1:${proxy.port}"`)
      const client = createZstorClient({ config: await parseConfig(toml) })
      const rerouted = {
        ...meta,
        locations: meta.locations.map((l, i) =>
          i === 0 ? { ...l, address: { kind: 'tcp' as const, host: '127.0.0.1', port: proxy.port } } : l,
        ),
      }
      const { shards, bad } = await fetchShards(client.context, rerouted, { hedgeDelay: 100 })
      expect(bad).toEqual([])
      expect(shards[0]).toBeNull() // the slow one was not waited for
      expect(shards.filter((s) => s !== null)).toHaveLength(4)
      expect(shards[4]).not.toBeNull() // the first parity shard stood in
      await client.close()
    } finally {
      await proxy.close()
    }
  })
})
