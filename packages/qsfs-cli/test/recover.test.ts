/**
 * `qsfs recover`: a node (real backends, real zstor daemon, no FUSE mount) stores its zdb; a
 * fresh directory with only its qsfs.toml, zstor.toml and key gets it back.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createZstorClient } from '@qsfs/zstor-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkNode } from '../src/check.js'
import { nodeLayout } from '../src/config/layout.js'
import { loadNodeConfig } from '../src/config/node-config.js'
import { nodeZstorConfig } from '../src/config/zstor-runtime.js'
import { QsfsError } from '../src/errors.js'
import { initNode } from '../src/init.js'
import { startNode } from '../src/node/node.js'
import { recoverNode } from '../src/recover.js'
import { type Backends, removeTempDirs, startBackends, tempDir, zdbClient } from './helpers/env.js'

const NAMESPACES = ['zdbfs-meta', 'zdbfs-data'] as const
const quiet = () => {}

let root: string
let backends: Backends
let dir: string
/** What each namespace holds: key → value, and the open segment at the stop. */
const written = new Map<string, Map<string, Buffer>>()
const newest = new Map<string, number>()

/** A node directory with only the three files recovery needs, copied from `dir`. */
function bareCopy(name: string): string {
  const copy = join(root, name)
  mkdirSync(copy)
  for (const file of ['qsfs.toml', 'zstor.toml', 'key']) copyFileSync(join(dir, file), join(copy, file))
  return copy
}

async function recoverError(options: Parameters<typeof recoverNode>[0]): Promise<QsfsError> {
  try {
    await recoverNode(options)
  } catch (error) {
    expect(error).toBeInstanceOf(QsfsError)
    return error as QsfsError
  }
  throw new Error('recoverNode did not fail')
}

beforeAll(async () => {
  root = tempDir('qsfs-rec-')
  backends = await startBackends(join(root, 'b'), 4)
  dir = join(root, 'node')
  initNode({
    dir,
    backends: backends.addresses,
    segmentSize: 16 * 1024,
    lossWindow: 3600,
    statusListen: 'off',
  })
  const node = await startNode({ dir, mount: false, log: quiet })
  try {
    const redis = zdbClient(node.layout.zdbSocket)
    for (const [n, ns] of NAMESPACES.entries()) {
      await redis.call('NSNEW', ns)
      await redis.call('SELECT', ns)
      const values = new Map<string, Buffer>()
      // meta: small values, one segment; data: enough to close several.
      for (let i = 0; i < (n === 0 ? 10 : 40); i++) {
        const value = randomBytes(n === 0 ? 100 : 3000)
        await redis.call('SET', `${ns}-${i}`, value)
        values.set(`${ns}-${i}`, value)
      }
      written.set(ns, values)
    }
    // A delete in the oldest (closed) segment must survive the recovery too.
    expect(await redis.call('DEL', 'zdbfs-data-0')).toBe('OK')
    written.get('zdbfs-data')!.delete('zdbfs-data-0')
    redis.disconnect()
    for (const view of node.zdb.namespaceFiles()) newest.set(view.name, view.fileId)
    expect(newest.get('zdbfs-data')).toBeGreaterThanOrEqual(4)
  } finally {
    // Stop uploads what is pending, the open segments included.
    await node.stop()
  }
}, 60_000)

afterAll(async () => {
  await backends?.close()
  removeTempDirs()
})

describe('recoverNode', () => {
  it('after a clean stop, every file of the node is stored and whole (qsfs check --deep)', async () => {
    const report = await checkNode({ dir, deep: true })
    expect(report.counts).toMatchObject({ degraded: 0, pending: 0, lost: 0 })
    // Per namespace: the descriptor, and a data and an index file per segment.
    const data = report.files.filter((f) => f.path.startsWith('data/zdbfs-data/'))
    expect(data).toHaveLength(newest.get('zdbfs-data')! + 1)
  })

  it('restores descriptors, every index file and the newest data file, byte for byte', async () => {
    const target = bareCopy('recovered')
    const lines: string[] = []
    const result = await recoverNode({ dir: target, log: (l) => lines.push(l) })
    expect(result.namespaces.map((n) => n.name)).toEqual([...NAMESPACES])
    expect(lines).toContain('zdbfs-temp: not stored, skipped')
    const from = nodeLayout(dir)
    const to = nodeLayout(target)
    for (const ns of result.namespaces) {
      const top = newest.get(ns.name)!
      expect(ns).toMatchObject({ indexFiles: top + 1, newest: top })
      const index = readdirSync(join(to.zdbIndex, ns.name)).sort()
      expect(index).toEqual(['zdb-namespace', ...Array.from({ length: top + 1 }, (_, i) => `i${i}`)].sort())
      for (const name of index)
        expect(
          readFileSync(join(to.zdbIndex, ns.name, name)).equals(
            readFileSync(join(from.zdbIndex, ns.name, name)),
          ),
          name,
        ).toBe(true)
      // Only the newest segment's data: older ones come back when read.
      expect(readdirSync(join(to.zdbData, ns.name))).toEqual([`d${top}`])
      const data = readFileSync(join(to.zdbData, ns.name, `d${top}`))
      expect(data.equals(readFileSync(join(from.zdbData, ns.name, `d${top}`)))).toBe(true)
      expect(ns.bytes).toBeGreaterThan(data.length)
    }
    expect(existsSync(join(to.zdbIndex, 'zdbfs-temp'))).toBe(false)
  })

  it('the recovered node serves every key written before the stop, fetching old segments', async () => {
    const target = bareCopy('serving')
    await recoverNode({ dir: target })
    const node = await startNode({ dir: target, mount: false, log: quiet })
    try {
      const redis = zdbClient(node.layout.zdbSocket)
      for (const ns of NAMESPACES) {
        await redis.call('SELECT', ns)
        for (const [key, value] of written.get(ns)!) {
          const got = (await redis.callBuffer('GET', key)) as Buffer
          expect(Buffer.from(got).equals(value), key).toBe(true)
        }
      }
      expect(await redis.call('GET', 'zdbfs-data-0')).toBeNull()
      // It goes on: new writes land after the recovered ones.
      await redis.call('SET', 'after-recovery', 'yes')
      expect(await redis.call('GET', 'after-recovery')).toBe('yes')
      redis.disconnect()
      expect(node.offloader.counters.fetches).toBe(newest.get('zdbfs-data'))
      expect(node.offloader.counters.fetchFailures).toBe(0)
    } finally {
      await node.stop()
    }
  }, 60_000)

  it('refuses a directory that already holds a zdb', async () => {
    const error = await recoverError({ dir })
    expect(error.code).toBe('ERR_RECOVER')
    expect(error.message).toContain('already holds a zdb')
    expect(error.message).toContain('only qsfs.toml, zstor.toml and the key')
  })

  it('refuses while a node runs on the directory', async () => {
    const target = bareCopy('running')
    const other: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
    try {
      mkdirSync(nodeLayout(target).run, { recursive: true })
      writeFileSync(nodeLayout(target).pidFile, `${other.pid}\n`)
      const error = await recoverError({ dir: target })
      expect(error.code).toBe('ERR_NODE_RUNNING')
    } finally {
      other.kill('SIGKILL')
    }
  })

  it('with nothing stored on the backends: ERR_RECOVER saying to check the config and key', async () => {
    const empty = await startBackends(join(root, 'empty-b'), 2)
    try {
      const target = join(root, 'nothing')
      initNode({ dir: target, backends: empty.addresses, statusListen: 'off' })
      const error = await recoverError({ dir: target })
      expect(error.code).toBe('ERR_RECOVER')
      expect(error.message).toContain('nothing of this node is stored on the backends')
      expect(error.message).toContain('zstor.toml and the key')
      // Nothing half-restored is left behind for the next attempt to trip on.
      expect(readdirSync(nodeLayout(target).zdbIndex)).toEqual([])
    } finally {
      await empty.close()
    }
  })

  it('with another key: ERR_RECOVER naming the key; nothing left behind, so a retry with the right key works', async () => {
    const target = join(root, 'other-key')
    initNode({ dir: target, backends: backends.addresses, statusListen: 'off' })
    const error = await recoverError({ dir: target })
    expect(error.code).toBe('ERR_RECOVER')
    expect(error.message).toMatch(/another key/)
    expect(error.message).not.toContain('\n')
    expect(readdirSync(nodeLayout(target).zdbIndex)).toEqual([])
    copyFileSync(join(dir, 'key'), join(target, 'key'))
    const result = await recoverNode({ dir: target })
    expect(result.namespaces.map((n) => n.name)).toEqual([...NAMESPACES])
  })

  it('a descriptor stored without any index and data pair is ERR_RECOVER, nothing left behind', async () => {
    // Store only the descriptor of namespace `lonely`, as a node would at NSNEW.
    // Same backends and key; a zdb root of its own (the key is the path under the root).
    const config = { ...(await nodeZstorConfig(loadNodeConfig(dir))), root: join(root, 'lonely-zdb') }
    const descriptor = join(config.root, 'index', 'lonely', 'zdb-namespace')
    mkdirSync(join(config.root, 'index', 'lonely'), { recursive: true })
    writeFileSync(descriptor, 'not a real descriptor')
    const client = createZstorClient({ config })
    try {
      await client.store(descriptor)
    } finally {
      await client.close()
    }
    const target = bareCopy('lonely')
    const error = await recoverError({ dir: target, namespaces: ['lonely'] })
    expect(error.code).toBe('ERR_RECOVER')
    expect(error.message).toContain('lonely: its descriptor is stored but no index and data file pair is')
    expect(existsSync(join(nodeLayout(target).zdbIndex, 'lonely'))).toBe(false)
    expect(existsSync(join(nodeLayout(target).zdbData, 'lonely'))).toBe(false)
  })

  it('refuses a --local node: its backends were lost with it', async () => {
    const target = tempDir('qsfs-rec-local-')
    initNode({ dir: target, local: 3 })
    const error = await recoverError({ dir: target })
    expect(error.code).toBe('ERR_RECOVER')
    expect(error.message).toContain('3 local backends')
    expect(error.message).toContain('qsfs init --backend')
  })
})
