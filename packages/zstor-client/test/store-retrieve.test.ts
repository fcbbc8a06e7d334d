import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { blake2b128 } from '@qsfs/zstor-codec'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createZstorClient, type ZstorClient } from '../src/index.js'
import { Cluster } from './helpers/cluster.js'

let cluster: Cluster
let client: ZstorClient
let dir: string

beforeAll(async () => {
  cluster = await Cluster.start({ groups: [8], k: 4, m: 2, extra: 'object_size = 1048576' })
  client = createZstorClient({ config: await cluster.config() })
  dir = mkdtempSync(join(tmpdir(), 'zstor-files-'))
})

afterAll(async () => {
  await client?.close()
  await cluster?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function roundTrip(bytes: Buffer, name: string): Promise<void> {
  const file = join(dir, name)
  writeFileSync(file, bytes)
  const stored = await client.store(file)
  expect(stored.size).toBe(bytes.length)
  expect(stored.skipped).toBe(false)
  const out = join(dir, `${name}.out`)
  const got = await client.retrieve(file, { output: out })
  expect(got.size).toBe(bytes.length)
  expect(readFileSync(out).equals(bytes)).toBe(true)
}

describe('store and retrieve', () => {
  it('round-trips an empty file', () => roundTrip(Buffer.alloc(0), 'empty'))
  it('round-trips a 1-byte file', () => roundTrip(Buffer.from([7]), 'one'))
  it('round-trips a 1 MiB file', () => roundTrip(randomBytes(1 << 20), 'mib'))
  it('round-trips a file of several objects whose last is partial', () =>
    roundTrip(randomBytes(3 * (1 << 20) + 12345), 'multi'))

  it('check prints the BLAKE2b-128 of the whole file, as b2sum -l 128', async () => {
    const file = join(dir, 'checked')
    writeFileSync(file, 'hello world\n')
    await client.store(file)
    const result = await client.check(file)
    expect(result.found).toBe(true)
    // `echo 'hello world' | b2sum -l 128`
    expect(result.checksum).toBe('c0cdb4699cdaa9eea4c563a934f1d52b')
  })

  it('a file of one object and a file of many read whole record the BLAKE2b-128 of the file', async () => {
    // One object: its checksum is the file's, taken from the codec. Many (from 4 MiB, read in
    // whole objects for the worker threads): hashed as the file is read.
    for (const [name, size] of [
      ['one-object', 700_000],
      ['many-objects', 5 * (1 << 20) + 333],
    ] as const) {
      const bytes = randomBytes(size)
      const file = join(dir, name)
      writeFileSync(file, bytes)
      const stored = await client.store(file)
      expect(Buffer.from(stored.checksum)).toEqual(Buffer.from(blake2b128(bytes)))
      expect((await client.check(file)).checksum).toBe(Buffer.from(blake2b128(bytes)).toString('hex'))
      await roundTrip(bytes, `${name}-again`)
    }
  })

  it('a second store of an unchanged file is skipped', async () => {
    const file = join(dir, 'same')
    writeFileSync(file, randomBytes(5000))
    expect((await client.store(file)).skipped).toBe(false)
    expect((await client.store(file)).skipped).toBe(true)
  })

  it('storeStream takes a Uint8Array or a sync iterable of chunks as well as a stream', async () => {
    const bytes = randomBytes(70_000)
    for (const [name, source] of [
      ['buffer', bytes],
      ['chunks', [bytes.subarray(0, 1000), bytes.subarray(1000)]],
    ] as const) {
      const path = join(dir, `stream-${name}`)
      expect((await client.storeStream(source, { path })).size).toBe(bytes.length)
      const { chunks } = await client.retrieveStream(path)
      const parts: Uint8Array[] = []
      for await (const chunk of chunks) parts.push(chunk)
      expect(Buffer.concat(parts).equals(bytes)).toBe(true)
    }
  })

  it('retrieving a path never stored is ERR_NOT_FOUND', async () => {
    await expect(client.retrieve(join(dir, 'never'))).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' })
  })
})
