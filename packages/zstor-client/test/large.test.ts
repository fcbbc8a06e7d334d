/**
 * A large object round-trips whole: 1 GiB with `ZSTOR_LARGE=1`, else 64 MiB, stored over an
 * in-process cluster of 6 data backends (k = 4, m = 2) and retrieved, compared by SHA-256.
 * The file spans many objects (32 MiB each by default), so the object order is exercised too.
 * Memory stays bounded: the input is written in chunks and both files are hashed as streams.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, mkdtempSync, rmSync } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createZstorClient, type ZstorClient } from '../src/index.js'
import { Cluster } from './helpers/cluster.js'

const MIB = 2 ** 20
const LARGE = process.env.ZSTOR_LARGE === '1'
const SIZE = (LARGE ? 1024 : 64) * MIB
const CHUNK = 16 * MIB

let cluster: Cluster
let client: ZstorClient
let dir: string

beforeAll(async () => {
  cluster = await Cluster.start({ groups: [6], k: 4, m: 2 })
  client = createZstorClient({ config: await cluster.config() })
  dir = mkdtempSync(join(tmpdir(), 'zstor-large-'))
})

afterAll(async () => {
  await client?.close()
  await cluster?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** Writes `size` random bytes to `file` in chunks; their SHA-256. */
async function writeRandom(file: string, size: number): Promise<string> {
  const hash = createHash('sha256')
  const handle = await open(file, 'w')
  try {
    for (let at = 0; at < size; at += CHUNK) {
      const chunk = randomBytes(Math.min(CHUNK, size - at))
      hash.update(chunk)
      await handle.write(chunk)
    }
  } finally {
    await handle.close()
  }
  return hash.digest('hex')
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * MIB })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

describe('large objects', () => {
  it(
    `round-trips a ${SIZE / MIB} MiB object over 4+2 backends${LARGE ? '' : ' (ZSTOR_LARGE=1: 1 GiB)'}`,
    async () => {
      const file = join(dir, 'large.bin')
      const expected = await writeRandom(file, SIZE)
      const stored = await client.store(file)
      expect(stored.skipped).toBe(false)
      expect(stored.size).toBe(SIZE)
      expect(stored.metaMissing).toEqual([])

      const output = join(dir, 'large.out')
      const got = await client.retrieve(file, { output })
      expect(got.size).toBe(SIZE)
      expect((await stat(output)).size).toBe(SIZE)
      expect(await sha256File(output)).toBe(expected)
    },
    LARGE ? 1_800_000 : 300_000,
  )
})
