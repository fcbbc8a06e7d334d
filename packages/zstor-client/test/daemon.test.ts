import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sendCommand } from '../src/daemon/socket.js'
import { createZstorClient } from '../src/index.js'
import { waitFor } from './helpers/backend-client.js'
import { startMonitor, zstor } from './helpers/cli.js'
import { Cluster } from './helpers/cluster.js'
import { countEntries } from './helpers/entries.js'

let cluster: Cluster
let dir: string
let monitor: ChildProcess | null = null

/** A short directory of its own for the socket: unix socket paths are limited to ~107 bytes. */
let socketDir: string

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zstor-daemon-'))
  socketDir = mkdtempSync(join(tmpdir(), 'zs-'))
  cluster = await Cluster.start({
    groups: [6],
    k: 4,
    m: 2,
    extra: `socket = "${join(socketDir, 'zstor.sock')}"\nqueue_dir = "${join(dir, 'queue')}"`,
  })
})

afterEach(async () => {
  monitor?.kill('SIGKILL')
  monitor = null
  await cluster.stop()
  rmSync(dir, { recursive: true, force: true })
  rmSync(socketDir, { recursive: true, force: true })
})

const socketOf = (toml: string) => /socket = "([^"]+)"/.exec(toml)![1]!

describe('zstor monitor', () => {
  it('50 queued uploads survive kill -9 of the daemon and are then stored exactly once', async () => {
    const toml = cluster.toml()
    const config = join(dir, 'zstor.toml')
    writeFileSync(config, toml)
    const socket = socketOf(toml)
    // No data backend: uploads cannot finish, so all 50 are still queued at the kill.
    for (const b of cluster.data) await cluster.down(b)
    monitor = await startMonitor(config)
    const files: string[] = []
    for (let i = 0; i < 50; i++) {
      const file = join(dir, `f${i}`)
      writeFileSync(file, randomBytes(1000 + i))
      files.push(file)
      const reply = await sendCommand(socket, {
        kind: 'store',
        file,
        keyPath: null,
        saveFailure: false,
        delete: false,
        blocking: false,
      })
      expect(reply.kind).toBe('success')
    }
    // Queuing the same file again is deduplicated.
    await sendCommand(socket, {
      kind: 'store',
      file: files[0]!,
      keyPath: null,
      saveFailure: false,
      delete: false,
      blocking: false,
    })
    expect(readdirSync(join(dir, 'queue')).filter((n) => n.endsWith('.job'))).toHaveLength(50)
    monitor.kill('SIGKILL')
    await new Promise((r) => monitor!.once('exit', r))
    // The dead daemon's socket file is stale; the next daemon replaces it.
    expect(existsSync(socket)).toBe(true)
    for (const b of cluster.data) await cluster.up(b)
    monitor = await startMonitor(config)
    await waitFor(async () => readdirSync(join(dir, 'queue')).filter((n) => n.endsWith('.job')).length === 0)
    const client = createZstorClient({ config: await cluster.config() })
    try {
      for (const file of files) expect((await client.check(file)).found).toBe(true)
    } finally {
      await client.close()
    }
    expect(await countEntries(cluster.data)).toBe(50 * 6)
    expect(await countEntries([cluster.meta[0]!])).toBe(50)
  }, 120_000)

  it('a second daemon on a live socket refuses to start and does not steal it', async () => {
    const config = join(dir, 'zstor.toml')
    writeFileSync(config, cluster.toml())
    monitor = await startMonitor(config)
    const second = await zstor(['-c', config, 'monitor'], 15_000)
    expect(second.code).toBe(1)
    expect(second.stderr).toContain('ERR_DAEMON_RUNNING')
    const status = await zstor(['-c', config, 'status', '--json'])
    expect(JSON.parse(status.stdout).daemon.queue.depth).toBe(0)
  })

  it('serves Prometheus metrics with upstream names', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000)
    const toml = `prometheus_port = ${port}\n${cluster.toml()}`
    const config = join(dir, 'zstor.toml')
    writeFileSync(config, toml)
    monitor = await startMonitor(config)
    const file = join(dir, 'x')
    writeFileSync(file, 'x')
    expect((await zstor(['-c', config, 'store', '-f', file])).code).toBe(0)
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    expect(text).toContain('zstore_store_commands_finished{success="true"} 1')
    expect(text).toMatch(
      /connection_status\{address="127\.0\.0\.1:\d+",namespace="data0",backend_type="data"\} 1/,
    )
    expect(text).toContain('zstor_upload_queue_depth 0')
  })
})
