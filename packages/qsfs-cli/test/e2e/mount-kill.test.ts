/**
 * Scenario 5: `kill -9` of the FUSE process right after a child process wrote and fsynced
 * files. The node clears the dead mount and mounts again; what was fsynced is intact, and the
 * new mount takes writes.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dropCaches, type FileSpec, fileSpecs, KiB, MiB, readBack } from './helpers/data.js'
import { useLab } from './helpers/lab.js'
import { isAlive, signal } from './helpers/proc.js'

describe('scenario 5: the mount process killed', () => {
  const lab = useLab('mount-kill')

  it('restarts the mount with fsynced data intact, and the new mount takes writes', async () => {
    const l = lab()
    const backends = await l.startBackends(3)
    const node = await l.initNode('node', {
      backends: backends.map((b) => b.address),
      dataShards: 2,
      parityShards: 1,
      segmentSize: '8MiB',
      cacheSize: '64MiB',
      // Long: the kill comes before any upload of the open segment, so the data can only
      // come from the local zdb, where fsync put it.
      lossWindow: 60,
    })
    await node.up()
    const before: FileSpec[] = [
      ...fileSpecs(node.mountpoint, 'fsynced', 3, 5 * MiB),
      { path: join(node.mountpoint, 'note.txt'), size: 10 * KiB, seed: 'note' },
    ]
    const report = await l.writer(before, { fsync: true }).done
    expect(report.errors).toEqual([])
    const old = node.runtime().mountPid!
    signal(old, 'SIGKILL')
    const seen = await stat(node.mountpoint).then(
      () => 'still answering',
      (e: NodeJS.ErrnoException) => e.code,
    )
    l.log(
      `wrote and fsynced ${before.length} files from a child process; kill -9 of the mount ${old} (mountpoint: ${seen})`,
    )

    const fresh = await node.waitRestarted('mountPid', old)
    await node.waitMounted()
    expect(isAlive(old)).toBe(false)
    const status = await node.status()
    l.log(`the node mounted again: mount pid ${fresh}, status mounted=${status.mounted}`)
    expect(status.mounted).toBe(true)
    expect(node.proc!.output()).toMatch(/zdbfs mount exited \(SIGKILL\)/)

    await dropCaches()
    const intact = await readBack(before)
    l.log(...intact.lines)
    expect(intact.bad).toEqual([])

    const after = fileSpecs(node.mountpoint, 'after-restart', 2, 4 * MiB)
    const second = await l.writer(after).done
    expect(second.errors).toEqual([])
    await dropCaches()
    const both = await readBack([...before, ...after])
    l.log(`new writes after the restart: ${after.length} files`, ...both.lines.slice(before.length))
    expect(both.bad).toEqual([])

    expect(await node.stop()).toEqual({ code: 0, signal: null })
    l.log('stopped the node (SIGTERM: unmount, upload what is pending): exit 0')
    await node.up()
    const again = await readBack([...before, ...after])
    expect(again.bad).toEqual([])
    l.log(`after a clean restart of the node all ${again.lines.length} files still read back intact`)
    // A clean stop uploads what the 60 s loss window still held; then all is stored.
    expect(await node.stop()).toEqual({ code: 0, signal: null })
    const check = await node.check(true)
    l.log(
      `stopped again; check --deep of the stopped node: ${JSON.stringify(check.report.counts)} (exit ${check.code})`,
    )
    expect(check.report.counts).toEqual({
      healthy: check.report.files.length,
      degraded: 0,
      pending: 0,
      lost: 0,
    })
    expect(check.code).toBe(0)
  })
})
