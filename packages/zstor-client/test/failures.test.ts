import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createZstorClient, type ZstorClient } from '../src/index.js'
import { withConnection } from './helpers/backend-client.js'
import { Cluster } from './helpers/cluster.js'
import { countEntries } from './helpers/entries.js'

let cluster: Cluster
let client: ZstorClient
let dir: string

async function setup(options: Parameters<typeof Cluster.start>[0]) {
  cluster = await Cluster.start(options)
  client = createZstorClient({ config: await cluster.config(), commandTimeout: 2_000, connectTimeout: 1_000 })
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'zstor-fail-'))
})

afterEach(async () => {
  await client?.close()
  await cluster?.stop()
  rmSync(dir, { recursive: true, force: true })
})

function file(name: string, bytes: Buffer): string {
  const path = join(dir, name)
  writeFileSync(path, bytes)
  return path
}

describe('lost backends', () => {
  it('retrieve succeeds with m backends down', async () => {
    await setup({ groups: [6], k: 4, m: 2 })
    const bytes = randomBytes(300_000)
    const path = file('a', bytes)
    await client.store(path)
    await cluster.down(cluster.data[0]!)
    await cluster.down(cluster.data[3]!)
    const out = join(dir, 'a.out')
    await client.retrieve(path, { output: out })
    expect(readFileSync(out).equals(bytes)).toBe(true)
  })

  it('retrieve with m + 1 backends down fails with ERR_TOO_FEW_SHARDS and writes no output', async () => {
    await setup({ groups: [6], k: 4, m: 2 })
    const path = file('a', randomBytes(300_000))
    await client.store(path)
    for (const b of cluster.data.slice(0, 3)) await cluster.down(b)
    const out = join(dir, 'a.out')
    await expect(client.retrieve(path, { output: out })).rejects.toMatchObject({ code: 'ERR_TOO_FEW_SHARDS' })
    expect(() => readFileSync(out)).toThrow()
  })

  it('a store that cannot place its shards fails naming the backends, and leaves nothing behind', async () => {
    await setup({ groups: [7], k: 4, m: 2 })
    for (const b of cluster.data.slice(0, 2)) await cluster.down(b)
    const path = file('a', randomBytes(100_000))
    const error = await client.store(path).catch((e: Error) => e)
    expect(error).toMatchObject({ code: 'ERR_NO_PLACEMENT' })
    expect((error as Error).message).toContain(`127.0.0.1:${cluster.data[0]!.port}/data0`)
    expect(await countEntries(cluster.data.slice(2))).toBe(0)
    expect((await client.check(path)).found).toBe(false)
  })

  it('a backend that fails mid-store has its shard placed elsewhere', async () => {
    await setup({ groups: [8], k: 4, m: 2 })
    // Probe once so the client believes every backend healthy, then take one down.
    await client.status()
    await cluster.down(cluster.data[0]!)
    await cluster.down(cluster.data[1]!)
    const bytes = randomBytes(200_000)
    const path = file('a', bytes)
    const stored = await client.store(path)
    expect(stored.size).toBe(bytes.length)
    const out = join(dir, 'a.out')
    await client.retrieve(path, { output: out })
    expect(readFileSync(out).equals(bytes)).toBe(true)
    expect(await countEntries(cluster.data.slice(2))).toBe(6)
  })
})

describe('metadata backends', () => {
  it('stores and retrieves keep working with one meta backend down, and repair restores its shard', async () => {
    await setup({ groups: [6], k: 4, m: 2 })
    await cluster.down(cluster.meta[1]!)
    const bytes = randomBytes(50_000)
    const path = file('a', bytes)
    const stored = await client.store(path)
    expect(stored.metaMissing).toEqual([`127.0.0.1:${cluster.meta[1]!.port}/meta1`])
    const out = join(dir, 'a.out')
    await client.retrieve(path, { output: out })
    expect(readFileSync(out).equals(bytes)).toBe(true)
    await cluster.up(cluster.meta[1]!)
    // A backend that failed is not retried for 500 ms: let that pass.
    await new Promise((r) => setTimeout(r, 600))
    const rebuilt = await client.rebuild(path)
    expect(rebuilt.metaShardsRebuilt).toBe(1)
    expect(await countEntries([cluster.meta[1]!])).toBe(1)
    // With the repaired shard, any two meta backends suffice again.
    await cluster.down(cluster.meta[0]!)
    await cluster.down(cluster.meta[2]!)
    expect((await client.check(path)).found).toBe(true)
  })

  it('a store with two of four meta backends down fails and deletes its shards', async () => {
    await setup({ groups: [6], k: 4, m: 2 })
    await cluster.down(cluster.meta[0]!)
    await cluster.down(cluster.meta[1]!)
    const path = file('a', randomBytes(50_000))
    await expect(client.store(path)).rejects.toMatchObject({ code: 'ERR_STORE_FAILED' })
    expect(await countEntries(cluster.data)).toBe(0)
  })
})

describe('full backends', () => {
  it('a shard whose second chunk finds the backend full is deleted with the rest of the failed store', async () => {
    const MiB = 1 << 20
    // One object of 12 MiB: shards of 3 MiB, two chunks each (2 MiB + 1 MiB).
    await setup({ groups: [6], k: 4, m: 2, extra: `object_size = ${12 * MiB}` })
    // A first store leaves every backend's status cached as healthy, without a size limit...
    await client.store(file('small', randomBytes(1000)))
    expect(await countEntries(cluster.data)).toBe(6)
    // ...then data0 gets room for the first chunk of a shard only.
    const data0 = cluster.data[0]!
    await withConnection(data0.port, async (redis) => {
      const info = (await redis.call('NSINFO', data0.namespace)) as string
      const used = Number(/^data_size_bytes: (\d+)$/m.exec(info)?.[1])
      await redis.call('NSSET', data0.namespace, 'maxsize', String(used + 2.5 * MiB))
    })
    await expect(client.store(file('a', randomBytes(12 * MiB)))).rejects.toMatchObject({
      code: 'ERR_STORE_FAILED',
    })
    expect(await countEntries(cluster.data)).toBe(6)
  })

  it('placement avoids a backend without room', async () => {
    await setup({ groups: [7], k: 4, m: 2, maxsize: { 0: 1024 } })
    const path = file('a', randomBytes(200_000))
    await client.store(path)
    expect(await countEntries([cluster.data[0]!])).toBe(0)
    expect(await countEntries(cluster.data.slice(1))).toBe(6)
  })
})
