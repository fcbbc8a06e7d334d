/**
 * Scenario 7: backends behind a real network. Each of five backends runs in a network
 * namespace of its own, reached over a veth pair (10.213.X.0/30, nothing leaves the machine).
 * One is cut off (its link down) while files are written and older, evicted files are read
 * back: connections to it hang rather than fail, and the node keeps serving both. Once the
 * link is back, repair and `check --deep` are clean.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dropCaches, fileSpecs, MiB, readBack } from './helpers/data.js'
import { useLab } from './helpers/lab.js'
import { NetLab } from './helpers/netns.js'
import { describeCheck } from './helpers/node.js'
import { waitFor } from './helpers/proc.js'

describe('scenario 7: a backend cut off by the network', () => {
  const lab = useLab('netns')

  it('keeps writing and reading while a backend is unreachable, and is clean after it returns', async () => {
    const l = lab()
    const net = new NetLab()
    l.onCleanup('network namespaces', () => net.destroy())
    const spaces = await net.create(5)
    const backends = await Promise.all(
      spaces.map((ns, i) =>
        l.addBackend({ dir: join(l.root, `backend-${i}`), host: ns.ip, port: 9900, netns: ns.name }),
      ),
    )
    l.log(
      `5 backends, each in its own network namespace: ${backends.map((b) => `${b.address} (${b.netns})`).join(', ')}`,
    )
    const node = await l.initNode('node', {
      backends: backends.map((b) => b.address),
      dataShards: 3,
      parityShards: 1,
      segmentSize: '8MiB',
      cacheSize: '32MiB',
      lossWindow: 4,
    })
    await node.up()

    const older = fileSpecs(node.mountpoint, 'before-cut', 8, 6 * MiB)
    expect((await l.writer(older).done).errors).toEqual([])
    const evicted = await node.waitUploaded(120_000, (s) => s.cache.evictedSegments > 0)
    l.log(
      `wrote ${older.length} × 6 MiB; uploaded, ${evicted.cache.evictedSegments} segments evicted locally`,
    )

    const victim = spaces[2]!
    await net.cut(victim)
    const device = await net.routeDevice(victim)
    l.log(`cut ${victim.ip} off (${victim.nsIf} down in ${victim.name}); the host routes it via ${device}`)
    expect(device).toBe(victim.hostIf)

    // Soft expectations while it is cut off: what fails is reported, and the test goes on to
    // restore the link and check that nothing is lost.
    const secs = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`
    let t = Date.now()
    const alone = fileSpecs(node.mountpoint, 'during-cut', 3, 6 * MiB)
    const wrote = await l.writer(alone, { pause: 200 }).done
    l.log(
      `while cut off, writes alone: ${wrote.written.length} of ${alone.length} files in ${secs(t)}, errors: ${JSON.stringify(wrote.errors)}`,
    )
    expect.soft(wrote.errors, 'writes while a backend is cut off').toEqual([])

    await dropCaches()
    t = Date.now()
    const readAlone = await readBack(older.slice(0, 4))
    l.log(
      `while cut off, reads alone of evicted files: ${readAlone.bytes} bytes in ${secs(t)}`,
      ...readAlone.lines,
    )
    expect.soft(readAlone.bad, 'reads (fetch-on-miss) while a backend is cut off').toEqual([])

    await dropCaches()
    t = Date.now()
    const both = fileSpecs(node.mountpoint, 'during-cut-with-reads', 3, 6 * MiB)
    const [written, read] = await Promise.all([l.writer(both, { pause: 200 }).done, readBack(older.slice(4))])
    l.log(
      `while cut off, writes and reads together in ${secs(t)}: ${written.written.length} of ${both.length} files written, errors: ${JSON.stringify(written.errors)}`,
      ...read.lines,
    )
    expect.soft(written.errors, 'writes during reads while a backend is cut off').toEqual([])
    expect.soft(read.bad, 'reads during writes while a backend is cut off').toEqual([])
    const newer = [...alone, ...both]
    t = Date.now()
    const during = await node
      .waitUploaded(
        120_000,
        (s) => s.backends.some((b) => b.address.startsWith(victim.ip) && b.state === 'unreachable'),
        'the uploads to finish without the unreachable backend',
      )
      .catch((error: Error) => {
        expect.soft(error.message, 'uploads while a backend is cut off').toBe('')
        return null
      })
    if (during)
      l.log(
        `uploads done without it after ${secs(t)}: queue ${during.queue.depth}, loss window ${during.lossWindowSeconds} s, ${during.cache.fetches} segments fetched on read`,
      )

    await net.restore(victim)
    await waitFor(
      `${victim.ip} to be reachable again`,
      async () => (await node.status()).backends.every((b) => b.state === 'healthy'),
      { timeout: 60_000, interval: 1_000 },
    )
    l.log(`link of ${victim.name} up again; every backend healthy`)
    const repair = await node.repair()
    l.log(
      `qsfs repair: ${repair.report.repaired.length} files repaired, ${repair.report.failed.length} failed (exit ${repair.code})`,
    )
    expect(repair.report.failed).toEqual([])
    expect(repair.code).toBe(0)
    const deep = await node.check(true)
    l.log(...describeCheck('check --deep', deep))
    expect(deep.report.counts).toEqual({
      healthy: deep.report.files.length,
      degraded: 0,
      pending: 0,
      lost: 0,
    })
    expect(deep.code).toBe(0)
    // Files whose writes failed while cut off are written again, now that it is back.
    const failed = new Set([...wrote.errors, ...written.errors].map((e) => e.path))
    const again = newer.filter((f) => failed.has(f.path))
    if (again.length) expect((await l.writer(again).done).errors).toEqual([])
    await dropCaches()
    const all = await readBack([...older, ...newer])
    expect(all.bad).toEqual([])
    l.log(`all ${older.length + newer.length} files read back intact`)
  })
})
