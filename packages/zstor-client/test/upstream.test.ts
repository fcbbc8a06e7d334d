import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createZstorClient, type ZstorClient } from '../src/index.js'
import { withConnection } from './helpers/backend-client.js'
import { Cluster, TEST_KEY } from './helpers/cluster.js'
import { countEntries } from './helpers/entries.js'
import { storeAsUpstream } from './helpers/upstream.js'

let cluster: Cluster
let client: ZstorClient
let dir: string

beforeAll(async () => {
  cluster = await Cluster.start({ groups: [6], k: 4, m: 2 })
  client = createZstorClient({ config: await cluster.config() })
  dir = mkdtempSync(join(tmpdir(), 'zstor-upstream-'))
})

afterAll(async () => {
  await client?.close()
  await cluster?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** `data` stored under `path` as upstream 0-stor would (4 + 2 over the cluster); each shard's zdb key. */
function storeUpstream(path: string, data: Uint8Array): Promise<Buffer[]> {
  return storeAsUpstream({
    data,
    hexKey: TEST_KEY,
    k: 4,
    m: 2,
    dataBackends: cluster.data,
    metaBackends: cluster.meta,
    metaKey: client.keyOf(path),
  })
}

describe('objects stored by upstream 0-stor', () => {
  it('retrieve, with two data shards lost, and check prints their checksum', async () => {
    const data = randomBytes(250_000)
    const path = '/var/lib/zdb/data/d3'
    await storeUpstream(path, data)
    // Upstream reads metadata from any 2 of its 4 meta shards: so do we.
    await cluster.down(cluster.meta[0]!)
    await cluster.down(cluster.data[1]!)
    await cluster.down(cluster.data[2]!)
    const out = join(dir, 'd3')
    await client.retrieve(path, { output: out })
    expect(readFileSync(out).equals(data)).toBe(true)
    const check = await client.check(path)
    expect(check).toMatchObject({ found: true, upstream: true })
    expect(check.checksum).toMatch(/^[0-9a-f]{32}$/)
  })

  it('check --deep finds a lost upstream shard, and rebuild stores the object again as this client does', async () => {
    // The test before took backends down.
    for (const b of [...cluster.data, ...cluster.meta]) if (!b.server) await cluster.up(b)
    await client.close()
    client = createZstorClient({ config: await cluster.config() })
    const data = randomBytes(300_000)
    const path = '/var/lib/zdb/data/d7'
    const keys = await storeUpstream(path, data)
    expect(await client.rebuild(path)).toMatchObject({ shardsRebuilt: 0, problems: [] })
    const lost = cluster.data[1]!
    await withConnection(lost.port, async (redis) => {
      await redis.call('SELECT', lost.namespace)
      await redis.call('DEL', keys[1]!)
    })
    const before = await client.check(path, { deep: true })
    expect(before).toMatchObject({ upstream: true, healthy: false, shards: { total: 6 } })
    expect(before.shards?.bad.map((b) => b.index)).toEqual([1])
    const entriesBefore = await countEntries(cluster.data)

    const rebuilt = await client.rebuild(path)
    expect(rebuilt.shardsRebuilt).toBe(6)
    expect(rebuilt.problems.map((p) => p.index)).toEqual([1])
    const after = await client.check(path, { deep: true })
    expect(after).toMatchObject({ upstream: false, healthy: true, checksum: before.checksum })
    // Six new shards; the five upstream ones left were deleted.
    expect(await countEntries(cluster.data)).toBe(entriesBefore - 5 + 6)
    const out = join(dir, 'd7')
    await client.retrieve(path, { output: out })
    expect(readFileSync(out).equals(data)).toBe(true)
  })

  it('metadata keys hash the path under root as upstream: /root/a/b hashes "a/b"', async () => {
    const { metaKey } = await import('../src/index.js')
    expect(metaKey('someprefix', '/virtualroot/a/b', '/virtualroot')).toBe(
      metaKey('someprefix', 'a/b', '/virtualroot'),
    )
    // b2sum -l 128 of the bytes "a/b"
    expect(metaKey('someprefix', '/virtualroot/a/b', '/virtualroot')).toBe(
      '/someprefix/meta/575aa62220a2c597f5def8d269b6acac',
    )
  })
})
