/**
 * Scenario 3: `kill -9` of the zstor daemon while files are written. The node restarts it and
 * retries what the dead daemon was storing; once the queue drains, every file is stored, once.
 *
 * "Once" as the backends can show it: with k + m equal to the number of backends, one copy of
 * every object is exactly one entry on each backend, so NSINFO `entries` of each data namespace
 * must equal the number of objects the metadata lists. A store cut by `kill -9` cannot clean up
 * the shards it had written (nothing runs in a killed process), so each kill may leave orphaned
 * shards of at most the stores in flight then (the node runs 2 uploads at once, and a store
 * writes at most `maxObjects` objects or, cut after its metadata, leaves the replaced record's
 * objects). What is asserted: no object is missing, each backend holds at least one shard of
 * every object, and the surplus stays within that bound. A re-upload of a file the dead daemon
 * had already stored is a no-op (zstor compares checksums), so retries never duplicate.
 */
import { describe, expect, it } from 'vitest'
import { dropCaches, fileSpecs, MiB, readBack } from './helpers/data.js'
import { useLab } from './helpers/lab.js'
import { isAlive, signal, waitFor } from './helpers/proc.js'
import { dataEntries, storedObjects } from './helpers/storage.js'

const KILLS = 3
/** Uploads the node runs at once (the outbox's concurrency). */
const CONCURRENT_UPLOADS = 2

describe('scenario 3: the zstor daemon killed during writes', () => {
  const lab = useLab('daemon-kill')

  it('restarts the daemon, uploads every closed segment once, and loses nothing', async () => {
    const l = lab()
    const backends = await l.startBackends(4)
    const node = await l.initNode('node', {
      backends: backends.map((b) => b.address),
      dataShards: 3,
      parityShards: 1,
      segmentSize: '8MiB',
      cacheSize: '32MiB',
      lossWindow: 4,
    })
    await node.up()
    const files = fileSpecs(node.mountpoint, 'file', 12, 10 * MiB)
    const writer = l.writer(files, { pause: 400 })

    const killed: number[] = []
    for (let i = 0; i < KILLS; i++) {
      await writer.waitWritten(2 + i * 3)
      // Kill it while it stores something: an upload must be under way.
      await waitFor('an upload to be under way', async () => (await node.statusNow()).queue.running > 0, {
        timeout: 30_000,
        interval: 20,
      })
      const old = node.runtime().daemonPid!
      expect(isAlive(old)).toBe(true)
      signal(old, 'SIGKILL')
      killed.push(old)
      const fresh = await node.waitRestarted('daemonPid', old)
      l.log(
        `kill -9 of the daemon ${old} after ${writer.progress()} files; the node restarted it as ${fresh}`,
      )
    }
    const report = await writer.done
    l.log(`the writer wrote ${report.written.length} files of 10 MiB with ${report.errors.length} errors`)
    expect(report.errors).toEqual([])
    expect(report.written.length).toBe(files.length)
    for (const pid of killed) expect(isAlive(pid)).toBe(false)

    const idle = await node.waitUploaded(180_000)
    const retried = (node.proc!.output().match(/upload \S+ failed \(attempt/g) ?? []).length
    l.log(
      `queue drained (${idle.uploadedBytes} bytes uploaded); ${retried} uploads failed on a killed daemon and were retried`,
    )
    expect(retried).toBeGreaterThan(0)

    const deep = await node.check(true)
    l.log(`check --deep: ${JSON.stringify(deep.report.counts)} (exit ${deep.code})`)
    expect(deep.report.counts).toEqual({
      healthy: deep.report.files.length,
      degraded: 0,
      pending: 0,
      lost: 0,
    })
    expect(deep.code).toBe(0)

    const stored = await storedObjects(node.dir, deep.report)
    const entries = await dataEntries(backends)
    const surplus = entries.total - stored.entriesNeeded
    const bound = KILLS * CONCURRENT_UPLOADS * stored.maxObjects * stored.shardsPerObject
    l.log(
      `stored: ${stored.keys.length} records (one per expected file), ${stored.objects} objects × ${stored.shardsPerObject} shards = ${stored.entriesNeeded} entries needed`,
      `backends hold ${entries.total} (${entries.per.join(' + ')}): ${surplus} orphaned shard entries of stores cut by kill -9 (bound ${bound})`,
    )
    expect(stored.keys).toEqual(stored.expectedKeys)
    for (const n of entries.per) expect(n).toBeGreaterThanOrEqual(stored.objects)
    expect(surplus).toBeGreaterThanOrEqual(0)
    expect(surplus).toBeLessThanOrEqual(bound)

    await dropCaches()
    const back = await readBack(files)
    l.log(...back.lines)
    expect(back.bad).toEqual([])
    const after = await node.status()
    l.log(`read back with ${after.cache.fetches} segments fetched from the backends`)
    expect(after.cache.fetches).toBeGreaterThan(0)
  })
})
