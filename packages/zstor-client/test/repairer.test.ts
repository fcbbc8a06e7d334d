import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startDaemon } from '../src/daemon/monitor.js'
import { createZstorClient } from '../src/index.js'
import { waitFor } from './helpers/backend-client.js'
import { startMonitor } from './helpers/cli.js'
import { Cluster } from './helpers/cluster.js'
import { countEntries, holders } from './helpers/entries.js'

let cluster: Cluster
let dir: string
let monitor: ChildProcess | null = null

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zstor-repairer-'))
  cluster = await Cluster.start({
    groups: [8],
    k: 4,
    m: 2,
    extra: `socket = "${join(dir, 'zstor.sock')}"\nqueue_dir = "${join(dir, 'queue')}"`,
  })
})

afterEach(async () => {
  monitor?.kill('SIGKILL')
  monitor = null
  await cluster.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function storeFiles(count: number): Promise<string[]> {
  const client = createZstorClient({ config: await cluster.config() })
  const files: string[] = []
  try {
    for (let i = 0; i < count; i++) {
      const file = join(dir, `f${i}`)
      writeFileSync(file, randomBytes(20_000))
      await client.store(file)
      files.push(file)
    }
  } finally {
    await client.close()
  }
  return files
}

async function deepHealthy(files: readonly string[]): Promise<boolean> {
  const client = createZstorClient({ config: await cluster.config() })
  try {
    for (const f of files) if (!(await client.check(f, { deep: true })).healthy) return false
    return true
  } finally {
    await client.close()
  }
}

describe('the daemon repairs without being asked', () => {
  it('after SIGHUP with a backend removed from the config, its shards are rebuilt elsewhere', async () => {
    const files = await storeFiles(5)
    const [gone] = await holders(cluster.data)
    const config = join(dir, 'zstor.toml')
    writeFileSync(config, cluster.toml())
    monitor = await startMonitor(config)
    writeFileSync(config, cluster.toml({ groups: [cluster.data.filter((b) => b !== gone)] }))
    monitor.kill('SIGHUP')
    await waitFor(async () => (await countEntries([gone!])) === 0, 20_000)
    await cluster.down(gone!)
    expect(await deepHealthy(files)).toBe(true)
  })

  it('a backend that stays unreachable has its shards rebuilt on the others', async () => {
    const files = await storeFiles(3)
    const daemon = await startDaemon({
      config: await cluster.config(),
      log: () => undefined,
      repairGrace: 300,
      probeInterval: 100,
    })
    try {
      const [victim] = await holders(cluster.data)
      await cluster.down(victim!)
      await waitFor(async () => (daemon.repairer.lastSweep?.shardsRebuilt ?? 0) > 0, 20_000)
      expect(await deepHealthy(files)).toBe(true)
    } finally {
      await daemon.stop()
    }
  })
})
