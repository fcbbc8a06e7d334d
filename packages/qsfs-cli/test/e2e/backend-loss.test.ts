/**
 * Scenario 4: backends fail. Five backends, k = 3, m = 1, so four suffice for every store.
 * First a backend is killed (`kill -9`) while files are written and brought back later: writes
 * and uploads go on without it, and the data is whole once it is back. Then a backend is lost
 * for good: a fresh one on another port takes its place in zstor.toml, `qsfs repair` rebuilds
 * the shards (data and metadata) it held, and `qsfs check --deep` is clean.
 */
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Backend } from './helpers/backend.js'
import { dropCaches, type FileSpec, fileSpecs, MiB, readBack } from './helpers/data.js'
import { useLab } from './helpers/lab.js'
import { describeCheck, type QsfsNode } from './helpers/node.js'
import { signal, waitFor } from './helpers/proc.js'
import { dataEntries, storedObjects } from './helpers/storage.js'

const clean = (files: number) => ({ healthy: files, degraded: 0, pending: 0, lost: 0 })

describe('scenario 4: a backend killed, then one replaced', () => {
  const lab = useLab('backend-loss')
  let backends: Backend[]
  let node: QsfsNode
  const files: FileSpec[] = []

  it('keeps writing and uploading while a backend is down, and is whole once it is back', async () => {
    const l = lab()
    backends = await l.startBackends(5)
    node = await l.initNode('node', {
      backends: backends.map((b) => b.address),
      dataShards: 3,
      parityShards: 1,
      segmentSize: '8MiB',
      cacheSize: '32MiB',
      lossWindow: 4,
    })
    await node.up()
    const victim = backends[1]!
    const first = fileSpecs(node.mountpoint, 'during-outage', 10, 6 * MiB)
    files.push(...first)
    const writer = l.writer(first, { pause: 300 })
    await writer.waitWritten(2)
    await victim.kill()
    l.log(`kill -9 of backend ${victim.address} after ${writer.progress()} files`)
    const report = await writer.done
    expect(report.errors).toEqual([])
    expect(report.written.length).toBe(first.length)
    const down = await node.waitUploaded(
      120_000,
      (s) => s.backends.some((b) => b.address === victim.address && b.state === 'unreachable'),
      'the uploads to finish without the dead backend (and status to show it unreachable)',
    )
    l.log(
      `all ${first.length} files written and uploaded while ${victim.address} was down: queue ${down.queue.depth}, loss window ${down.lossWindowSeconds} s`,
      `status: ${down.backends
        .filter((b) => b.role === 'data')
        .map((b) => `${b.address} ${b.state}`)
        .join(', ')}`,
    )

    await victim.start()
    l.log(`backend ${victim.address} is back (same port, same files)`)
    const more = fileSpecs(node.mountpoint, 'after-return', 2, 6 * MiB)
    files.push(...more)
    expect((await l.writer(more).done).errors).toEqual([])
    await node.waitUploaded(120_000)
    // The returned backend lacks the metadata shards written while it was down; the daemon's
    // repairer rewrites them once it sees the backend again, without anyone running repair.
    const deep = await waitFor(
      'check --deep to be clean once the repairer healed the returned backend',
      async () => {
        const c = await node.check(true)
        return c.code === 0 ? c : false
      },
      { timeout: 90_000, interval: 2_000 },
    )
    l.log(`check --deep: ${JSON.stringify(deep.report.counts)} (exit ${deep.code})`)
    expect(deep.report.counts).toEqual(clean(deep.report.files.length))
    await dropCaches()
    const back = await readBack(files)
    expect(back.bad).toEqual([])
    l.log(`all ${files.length} files read back with their sha256`)
  })

  it('replaces a lost backend: repair, then check --deep is clean', async () => {
    const l = lab()
    const lost = backends[3]!
    await lost.kill()
    await rm(lost.dir, { recursive: true, force: true })
    const replacement = await l.addBackend({ dir: join(l.root, 'backend-replacement') })
    l.log(`backend ${lost.address} killed and its files deleted; fresh backend on ${replacement.address}`)

    const zstorToml = join(node.dir, 'zstor.toml')
    const before = await readFile(zstorToml, 'utf8')
    const after = before.replaceAll(`"${lost.address}"`, `"${replacement.address}"`)
    // It is a data and a meta backend (meta defaults to the data backends).
    expect(before.split(`"${lost.address}"`).length - 1).toBe(2)
    await writeFile(zstorToml, after)
    l.log(`zstor.toml: ${lost.address} replaced by ${replacement.address} (data and meta)`)

    const degraded = await node.check(true)
    l.log(
      `check --deep with the new config: ${JSON.stringify(degraded.report.counts)} (exit ${degraded.code})`,
    )
    expect(degraded.code).toBe(1)
    expect(degraded.report.counts.degraded).toBeGreaterThan(0)
    expect(degraded.report.counts.lost).toBe(0)

    const repair = await node.repair()
    const rebuilt = repair.report.repaired.reduce((s, r) => s + r.shards, 0)
    l.log(
      `qsfs repair: ${repair.report.repaired.length} files repaired (${rebuilt} shards rebuilt), ${repair.report.failed.length} failed (exit ${repair.code})`,
    )
    expect(repair.report.failed).toEqual([])
    expect(repair.report.repaired.length).toBe(degraded.report.counts.degraded)
    expect(repair.code).toBe(0)
    const deep = await node.check(true)
    l.log(`check --deep after repair: ${JSON.stringify(deep.report.counts)} (exit ${deep.code})`)
    expect(deep.report.counts).toEqual(clean(deep.report.files.length))
    expect(deep.code).toBe(0)
    const metaEntries = Number((await replacement.nsinfo('qsfs-meta')).entries)
    l.log(
      `the new backend holds ${metaEntries} metadata shards and ${await replacement.dataEntries()} data shards`,
    )

    // The running daemon reads zstor.toml at start; SIGHUP makes it take the new backend.
    const daemon = node.runtime().daemonPid!
    signal(daemon, 'SIGHUP')
    await waitFor('the daemon to reload its config', async () =>
      /config reloaded/.test(await readFile(join(node.dir, 'log', 'zstor.log'), 'utf8')),
    )
    const entriesBefore = await replacement.dataEntries()
    const late = fileSpecs(node.mountpoint, 'after-replacement', 3, 6 * MiB)
    files.push(...late)
    expect((await l.writer(late).done).errors).toEqual([])
    await node.waitUploaded(120_000)
    const entries = await dataEntries(backends.filter((b) => b !== lost).concat(replacement))
    const entriesAfter = await replacement.dataEntries()
    l.log(
      `SIGHUP to the daemon ${daemon}: new uploads reach ${replacement.address} (${entriesBefore} → ${entriesAfter} entries; all: ${entries.per.join(' + ')})`,
    )
    expect(entriesAfter).toBeGreaterThan(entriesBefore)
    const final = await node.check(true)
    l.log(...describeCheck('check --deep', final))
    expect(final.report.counts).toEqual(clean(final.report.files.length))
    expect(final.code).toBe(0)
    // Metadata is one shard per meta backend: the new one must end up with a shard of every
    // record. `check --deep` looks at data shards only, so `repair` rewrote the metadata of the
    // files it rebuilt; the daemon's sweep after the reload (a backend left the config) does
    // the rest.
    const stored = await storedObjects(node.dir, final.report)
    const metaShards = await waitFor(
      `the new backend to hold a metadata shard of each of the ${stored.keys.length} records`,
      async () => {
        const n = Number((await replacement.nsinfo('qsfs-meta')).entries)
        return n === stored.keys.length ? n : undefined
      },
      { timeout: 60_000, interval: 1_000 },
    )
    l.log(
      `the new backend holds ${metaShards} metadata shards: one of each of the ${stored.keys.length} records`,
    )
    await dropCaches()
    const back = await readBack(files)
    l.log(...back.lines)
    expect(back.bad).toEqual([])
  })
})
