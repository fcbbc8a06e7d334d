/**
 * Scenario 2, lost node: once the loss window has passed, a node whose every process is killed
 * and whose directory is deleted comes back, with every file, from copies of its qsfs.toml,
 * zstor.toml and key alone (`qsfs recover` into a new directory).
 */
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type FileSpec, fileSpecs, KiB, MiB, readBack } from './helpers/data.js'
import { unmount, useLab } from './helpers/lab.js'
import { mountsUnder, QsfsNode } from './helpers/node.js'
import { isAlive } from './helpers/proc.js'

describe('scenario 2: lost node', () => {
  const lab = useLab('lost-node')

  it('recovers every file into a new directory from copies of qsfs.toml, zstor.toml and the key', async () => {
    const l = lab()
    const backends = await l.startBackends(4)
    const node = await l.initNode('old', {
      backends: backends.map((b) => b.address),
      segmentSize: '16MiB',
      cacheSize: '64MiB',
      lossWindow: 4,
    })
    await node.up()
    await mkdir(join(node.mountpoint, 'docs', 'deep'), { recursive: true })
    const files: FileSpec[] = [
      ...fileSpecs(node.mountpoint, 'large', 4, 24 * MiB),
      ...fileSpecs(join(node.mountpoint, 'docs'), 'small', 12, 100 * KiB),
      ...fileSpecs(join(node.mountpoint, 'docs', 'deep'), 'odd', 3, 1_234_567),
      { path: join(node.mountpoint, 'empty'), size: 0, seed: 'empty' },
    ]
    const report = await l.writer(files).done
    expect(report.failed).toEqual([])
    expect(report.errors).toEqual([])
    const bytes = files.reduce((s, f) => s + f.size, 0)
    l.log(`wrote ${files.length} files, ${bytes} bytes, in 3 directories`)

    const uploaded = await node.waitUploaded(120_000)
    l.log(
      `waited out the loss window: loss window ${uploaded.lossWindowSeconds} s (limit ${uploaded.lossWindowLimit} s), queue ${uploaded.queue.depth}`,
    )
    expect(uploaded.lossWindowSeconds).toBe(0)

    // What survives the machine: copies of the three files, made before it is lost.
    const keep = join(l.root, 'kept-off-machine')
    await mkdir(keep)
    for (const name of ['qsfs.toml', 'zstor.toml', 'key'])
      await copyFile(join(node.dir, name), join(keep, name))

    const info = node.runtime()
    const killed = await node.killAll()
    l.log(
      `kill -9 of the node: pids ${killed.join(', ')} (supervisor ${info.pid}, daemon ${info.daemonPid}, mount ${info.mountPid})`,
    )
    expect(killed).toEqual(expect.arrayContaining([info.pid, info.daemonPid, info.mountPid]))
    for (const pid of killed) expect(isAlive(pid), `pid ${pid} still alive`).toBe(false)
    await unmount(node.mountpoint)
    expect(mountsUnder(node.dir)).toEqual([])
    await rm(node.dir, { recursive: true, force: true })
    expect(existsSync(node.dir)).toBe(false)
    l.log(`unmounted (umount -l) and deleted ${node.dir}`)

    const fresh = l.adoptNode(new QsfsNode(join(l.root, 'new')))
    await mkdir(fresh.dir)
    for (const name of ['qsfs.toml', 'zstor.toml', 'key'])
      await copyFile(join(keep, name), join(fresh.dir, name))
    expect((await readdir(fresh.dir)).sort()).toEqual(['key', 'qsfs.toml', 'zstor.toml'])
    const started = Date.now()
    await fresh.recover()
    l.log(
      `qsfs recover --dir ${fresh.dir} --mountpoint ${fresh.mountpoint}: node up in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    )

    const moved = (p: string) => p.replace(node.mountpoint, fresh.mountpoint)
    expect((await readdir(fresh.mountpoint)).sort()).toEqual([
      'docs',
      'empty',
      'large-0',
      'large-1',
      'large-2',
      'large-3',
    ])
    const back = await readBack(files, moved)
    l.log(...back.lines)
    expect(back.bad).toEqual([])
    expect(back.bytes).toBe(bytes)
    const recovered = await fresh.status()
    l.log(
      `the recovered node fetched ${recovered.cache.fetches} older segments back on read (${recovered.fetchedBytes} bytes)`,
    )
    expect(recovered.cache.fetches).toBeGreaterThan(0)

    // The recovered node is a node: it takes new writes, and all it should have stored is.
    const extra = fileSpecs(fresh.mountpoint, 'after-recovery', 1, 3 * MiB)
    expect((await l.writer(extra).done).failed).toEqual([])
    expect((await readBack(extra)).bad).toEqual([])
    await fresh.waitUploaded(120_000)
    const check = await fresh.check(false)
    l.log(`check of the recovered node: ${JSON.stringify(check.report.counts)} (exit ${check.code})`)
    expect(check.report.counts).toEqual({
      healthy: check.report.files.length,
      degraded: 0,
      pending: 0,
      lost: 0,
    })
    expect(check.code).toBe(0)
  })
})
