/**
 * Scenario 6: scenarios 3–5 at once. While a child process writes files (each fsynced, retried
 * when the mount goes away under it), the zstor daemon, a backend and the FUSE process are
 * killed together, twice; the node restarts its parts, the backend is brought back. Every file
 * the writer got acknowledged reads back intact, and everything is stored.
 */
import { describe, expect, it } from 'vitest'
import { dropCaches, fileSpecs, MiB, readBack } from './helpers/data.js'
import { useLab } from './helpers/lab.js'
import { describeCheck } from './helpers/node.js'
import { isAlive, signal, sleep } from './helpers/proc.js'
import { dataEntries, storedObjects } from './helpers/storage.js'

describe('scenario 6: daemon, backend and mount killed at once during writes', () => {
  const lab = useLab('chaos')

  it('restarts what it runs, survives the backend, and loses no acknowledged write', async () => {
    const l = lab()
    const backends = await l.startBackends(5)
    const node = await l.initNode('node', {
      backends: backends.map((b) => b.address),
      dataShards: 3,
      parityShards: 1,
      segmentSize: '8MiB',
      cacheSize: '32MiB',
      lossWindow: 4,
    })
    await node.up()
    const files = fileSpecs(node.mountpoint, 'chaos', 24, 4 * MiB)
    const writer = l.writer(files, { attempts: 60, retryDelay: 500, pause: 400, mountpoint: node.mountpoint })

    for (const [round, after, victim] of [
      [1, 3, backends[2]!],
      [2, 12, backends[4]!],
    ] as const) {
      await writer.waitWritten(after)
      const info = node.runtime()
      const daemon = info.daemonPid!
      const mount = info.mountPid!
      signal(daemon, 'SIGKILL')
      signal(mount, 'SIGKILL')
      await victim.kill()
      l.log(
        `round ${round}, after ${writer.progress()} files: kill -9 of the daemon ${daemon}, the mount ${mount} and backend ${victim.address}`,
      )
      const newDaemon = await node.waitRestarted('daemonPid', daemon)
      const newMount = await node.waitRestarted('mountPid', mount)
      await node.waitMounted()
      expect(isAlive(daemon) || isAlive(mount)).toBe(false)
      l.log(`  the node restarted the daemon (${newDaemon}) and the mount (${newMount}); writes go on`)
      await sleep(4_000)
      await victim.start()
      l.log(`  backend ${victim.address} back after ${writer.progress()} files`)
    }
    const report = await writer.done
    const retried = [...new Set(report.errors.map((e) => e.path))]
    l.log(
      `the writer got ${report.written.length} of ${files.length} files acknowledged; ${report.errors.length} failed attempts (${[...new Set(report.errors.map((e) => e.error))].join(', ') || 'none'}) on ${retried.length} files, all retried`,
    )
    expect(report.failed).toEqual([])
    expect(report.written.length).toBe(files.length)

    await node.waitUploaded(180_000)
    const deep = await node.check(true)
    l.log(...describeCheck('check --deep', deep))
    expect(deep.report.counts).toEqual({
      healthy: deep.report.files.length,
      degraded: 0,
      pending: 0,
      lost: 0,
    })
    expect(deep.code).toBe(0)
    const stored = await storedObjects(node.dir, deep.report)
    const entries = await dataEntries(backends)
    l.log(
      `stored: ${stored.keys.length} records, ${stored.objects} objects need ${stored.entriesNeeded} shard entries; backends hold ${entries.total} (${entries.per.join(' + ')}; the surplus is shards of stores cut by the kills)`,
    )
    expect(stored.keys).toEqual(stored.expectedKeys)
    expect(entries.total).toBeGreaterThanOrEqual(stored.entriesNeeded)

    await dropCaches()
    const back = await readBack(files)
    l.log(...back.lines)
    expect(back.bad).toEqual([])
    const status = await node.status()
    l.log(`read back with ${status.cache.fetches} segments fetched from the backends`)
    expect(status.cache.fetches).toBeGreaterThan(0)
  })
})
