import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ZdbBackend } from '../src/backend/zdb-backend.js'
import { readShard, writeShard } from '../src/data/shard-io.js'
import { createZstorClient } from '../src/index.js'
import { Cluster } from './helpers/cluster.js'
import { countEntries } from './helpers/entries.js'

let cluster: Cluster | undefined
let dir: string | undefined

afterEach(async () => {
  await cluster?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('shard chunking', () => {
  it('by default every shard of incompressible data is one zdb entry', async () => {
    cluster = await Cluster.start({ groups: [6], k: 4, m: 2 })
    dir = mkdtempSync(join(tmpdir(), 'zstor-chunk-'))
    const file = join(dir, 'f')
    writeFileSync(file, randomBytes(9 * 2 ** 20)) // two objects of at most 4 × (2 MiB − 4 KiB)
    const client = createZstorClient({ config: await cluster.config() })
    await client.store(file)
    await client.close()
    expect(await countEntries(cluster.data)).toBe(2 * 6)
  })

  it('a shard larger than 2 MiB is split into 2 MiB entries and read back whole', async () => {
    cluster = await Cluster.start({ groups: [3], k: 1, m: 2, extra: `object_size = ${5 * 2 ** 20}` })
    dir = mkdtempSync(join(tmpdir(), 'zstor-chunk-'))
    const file = join(dir, 'f')
    const bytes = randomBytes(5 * 2 ** 20)
    writeFileSync(file, bytes)
    const client = createZstorClient({ config: await cluster.config() })
    await client.store(file)
    expect(await countEntries(cluster.data)).toBe(3 * 3) // 5 MiB + overhead: 3 chunks per shard
    const out = join(dir, 'out')
    await client.retrieve(file, { output: out })
    await client.close()
    const { readFileSync } = await import('node:fs')
    expect(readFileSync(out).equals(bytes)).toBe(true)
  })

  it("reads a shard's chunks straight into the buffer given, or into new memory when they do not fit it", async () => {
    cluster = await Cluster.start({ groups: [1], k: 1, m: 0 })
    const { port, namespace, password } = cluster.data[0]!
    const backend = new ZdbBackend({
      address: { kind: 'tcp', host: '127.0.0.1', port },
      namespace,
      password,
      label: `127.0.0.1:${port}/${namespace}`,
    })
    try {
      const shard = randomBytes(5000)
      const keys = await writeShard(backend, shard, 2048) // chunks of 2048, 2048 and 904 bytes
      const into = new Uint8Array(5000)
      const read = await readShard(backend, keys, into)
      expect(read!.buffer).toBe(into.buffer)
      expect(Buffer.compare(read!, shard)).toBe(0)
      for (const size of [4999, 5001]) {
        const other = new Uint8Array(size)
        const whole = await readShard(backend, keys, other)
        expect(whole!.buffer).not.toBe(other.buffer)
        expect(Buffer.compare(whole!, shard)).toBe(0)
      }
      expect(Buffer.compare((await readShard(backend, keys))!, shard)).toBe(0)
      await backend.del(keys[1]!)
      expect(await readShard(backend, keys, new Uint8Array(5000))).toBeNull()
    } finally {
      await backend.close()
    }
  })
})
