import { randomBytes } from 'node:crypto'
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createZstorClient, type ZstorClient } from '../src/index.js'
import { withConnection } from './helpers/backend-client.js'
import { Cluster, type TestBackend } from './helpers/cluster.js'
import { countEntries, holders } from './helpers/entries.js'

let cluster: Cluster
let client: ZstorClient
let dir: string

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zstor-repair-'))
  cluster = await Cluster.start({ groups: [8], k: 4, m: 2 })
  client = createZstorClient({ config: await cluster.config(), commandTimeout: 2_000 })
})

afterEach(async () => {
  await client.close()
  await cluster.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** Flips one byte in the middle of the backend's first data file, on disk. */
function flipByte(backend: TestBackend): void {
  const path = join(backend.dir, 'data', backend.namespace, 'd0')
  const size = statSync(path).size
  const fd = openSync(path, 'r+')
  try {
    const at = Math.floor(size / 2)
    const byte = Buffer.alloc(1)
    readSync(fd, byte, 0, 1, at)
    byte[0] = byte[0]! ^ 0xff
    writeSync(fd, byte, 0, 1, at)
  } finally {
    closeSync(fd)
  }
}

async function storeRandom(name: string, size: number): Promise<{ path: string; bytes: Buffer }> {
  const bytes = randomBytes(size)
  const path = join(dir, name)
  writeFileSync(path, bytes)
  await client.store(path)
  return { path, bytes }
}

describe('repair', () => {
  it('a shard corrupted on disk is detected by check --deep, retrieve stays correct, and rebuild restores it', async () => {
    const { path, bytes } = await storeRandom('a', 400_000)
    const [victim] = await holders(cluster.data)
    flipByte(victim!)
    const deep = await client.check(path, { deep: true })
    expect(deep.healthy).toBe(false)
    expect(deep.shards?.bad).toHaveLength(1)
    expect(deep.shards?.bad[0]?.reason).toBe('checksum mismatch')
    const out = join(dir, 'a.out')
    await client.retrieve(path, { output: out })
    expect(readFileSync(out).equals(bytes)).toBe(true)
    const rebuilt = await client.rebuild(path)
    expect(rebuilt.shardsRebuilt).toBe(1)
    expect((await client.check(path, { deep: true })).healthy).toBe(true)
  })

  it('a backend removed from the config has its shards rebuilt elsewhere after a reload', async () => {
    const { path, bytes } = await storeRandom('a', 100_000)
    const [gone] = await holders(cluster.data)
    const kept = cluster.data.filter((b) => b !== gone)
    await client.reload(await cluster.config({ groups: [kept] }))
    const rebuilt = await client.rebuild(path)
    expect(rebuilt.shardsRebuilt).toBe(1)
    expect(rebuilt.problems[0]?.reason).toBe('backend is no longer in the config')
    // The old copy is deleted, the new one is on a configured backend.
    expect(await countEntries([gone!])).toBe(0)
    expect(await countEntries(kept)).toBe(6)
    await cluster.down(gone!)
    const out = join(dir, 'a.out')
    await client.retrieve(path, { output: out })
    expect(readFileSync(out).equals(bytes)).toBe(true)
  })

  it('shards on a backend that is down are rebuilt on the others', async () => {
    const { path } = await storeRandom('a', 100_000)
    const down = (await holders(cluster.data)).slice(0, 2)
    for (const b of down) await cluster.down(b)
    const rebuilt = await client.rebuild(path)
    expect(rebuilt.shardsRebuilt).toBe(2)
    expect((await client.check(path, { deep: true })).healthy).toBe(true)
  })

  it('check --deep reports metadata shards missing or invalid on a meta backend, and rebuild restores them', async () => {
    const { path } = await storeRandom('m', 50_000)
    const key = client.keyOf(path)
    expect((await client.check(path, { deep: true })).metaShards).toEqual({ total: 4, bad: [] })
    await withConnection(cluster.meta[1]!.port, async (redis) => {
      await redis.call('SELECT', cluster.meta[1]!.namespace)
      await redis.call('DEL', key)
    })
    await withConnection(cluster.meta[2]!.port, async (redis) => {
      await redis.call('SELECT', cluster.meta[2]!.namespace)
      await redis.call('SET', key, 'not a metadata shard')
    })
    const deep = await client.check(path, { deep: true })
    expect(deep.healthy).toBe(false)
    expect(deep.shards?.bad).toEqual([])
    expect(deep.metaShards?.bad.map((b) => b.reason)).toEqual([
      'missing',
      'invalid: fails its checksum or is left from an older write',
    ])
    await client.rebuild(path)
    expect((await client.check(path, { deep: true })).healthy).toBe(true)
  })

  it('rebuild fails clearly when fewer than k shards are left', async () => {
    const { path } = await storeRandom('a', 100_000)
    for (const b of (await holders(cluster.data)).slice(0, 3)) await cluster.down(b)
    await expect(client.rebuild(path)).rejects.toMatchObject({ code: 'ERR_TOO_FEW_SHARDS' })
  })
})
