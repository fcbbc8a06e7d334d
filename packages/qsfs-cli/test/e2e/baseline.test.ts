/**
 * Scenario 1, baseline: 3 × 100 MiB written through the mount of a node with a 64 MiB cache
 * are uploaded and evicted locally, then read back (page cache dropped) through fetch-on-miss.
 */
import { describe, expect, it } from 'vitest'
import { dropCaches, expectedSha256, fileSpecs, MiB, readBack } from './helpers/data.js'
import { useLab } from './helpers/lab.js'
import { dataEntries, storedObjects } from './helpers/storage.js'

describe('scenario 1: baseline', () => {
  const lab = useLab('baseline')

  it('writes 3 × 100 MiB, uploads and evicts them, reads them back through fetch-on-miss', async () => {
    const l = lab()
    const backends = await l.startBackends(4)
    const node = await l.initNode('node', {
      backends: backends.map((b) => b.address),
      segmentSize: '16MiB',
      cacheSize: '64MiB',
      lossWindow: 4,
    })
    await node.up()
    l.log(`node up: 4 backends (k=3, m=1), segments 16 MiB, cache 64 MiB, loss window 4 s`)

    const files = fileSpecs(node.mountpoint, 'big', 3, 100 * MiB)
    const started = Date.now()
    const report = await l.writer(files).done
    l.log(`wrote 3 × 100 MiB (fsynced) in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    expect(report.failed).toEqual([])
    expect(report.errors).toEqual([])
    for (const w of report.written) expect(w.sha256).toBe(expectedSha256(w.seed, w.size))

    const limit = 64 * MiB
    const uploaded = await node.waitUploaded(
      180_000,
      (s) => s.cache.usedBytes <= limit && s.cache.evictedSegments > 0,
      'the uploads to finish and the cache to shrink to its limit by eviction',
    )
    l.log(
      `uploaded: queue ${uploaded.queue.depth}, loss window ${uploaded.lossWindowSeconds} s, ${uploaded.uploadedBytes} bytes sent`,
      `cache: ${uploaded.cache.usedBytes} of ${uploaded.cache.limitBytes} bytes, ${uploaded.cache.localSegments} local segments, ${uploaded.cache.evictedSegments} evicted`,
    )
    expect(uploaded.cache.limitBytes).toBe(limit)
    expect(uploaded.cache.usedBytes).toBeLessThanOrEqual(limit)
    expect(uploaded.cache.evictedSegments).toBeGreaterThan(0)
    expect(uploaded.uploadedBytes).toBeGreaterThanOrEqual(300 * MiB)

    await dropCaches()
    const readStarted = Date.now()
    const back = await readBack(files)
    l.log(...back.lines)
    expect(back.bad).toEqual([])
    const after = await node.status()
    l.log(
      `read back 300 MiB in ${((Date.now() - readStarted) / 1000).toFixed(1)} s: ${after.cache.fetches - uploaded.cache.fetches} segments fetched back (${after.fetchedBytes} bytes)`,
    )
    expect(after.cache.fetches).toBeGreaterThan(uploaded.cache.fetches)
    expect(after.fetchedBytes).toBeGreaterThan(0)

    // Once idle again (reads may touch the filesystem's metadata), everything is stored once.
    const idle = await node.waitUploaded(120_000, (s) => s.cache.usedBytes <= limit)
    expect(idle.cache.usedBytes).toBeLessThanOrEqual(limit)
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
    l.log(
      `stored: ${stored.keys.length} file records, ${stored.objects} objects × ${stored.shardsPerObject} shards = ${stored.entriesNeeded} entries needed; backends hold ${entries.total} (${entries.per.join(' + ')})`,
    )
    expect(stored.keys).toEqual(stored.expectedKeys)
    // No run was interrupted, so there is no orphan: exactly one copy of every object.
    expect(entries.total).toBe(stored.entriesNeeded)
    // k + m = 4 backends: every object has one shard on each.
    expect(entries.per).toEqual(backends.map(() => stored.objects))
  })
})
