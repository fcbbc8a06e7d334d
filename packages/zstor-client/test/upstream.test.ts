import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createZstorClient, type ZstorClient } from '../src/index.js'
import { Cluster, TEST_KEY } from './helpers/cluster.js'
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

describe('objects stored by upstream 0-stor', () => {
  it('retrieve, with two data shards lost, and check prints their checksum', async () => {
    const data = randomBytes(250_000)
    const path = '/var/lib/zdb/data/d3'
    await storeAsUpstream({
      data,
      hexKey: TEST_KEY,
      k: 4,
      m: 2,
      dataBackends: cluster.data,
      metaBackends: cluster.meta,
      metaKey: client.keyOf(path),
    })
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
