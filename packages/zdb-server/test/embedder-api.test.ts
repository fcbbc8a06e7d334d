/**
 * The embedder API (`qsfs up` runs the server in-process): a function as `hook`, `onDataRead`,
 * and `namespaceFiles()` / `clearDirty()` / `releaseDataFile()`, on real servers and clients.
 */
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  unlinkSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createZdbServer, type ZdbHookHandler, type ZdbLogger } from '../src/index.js'
import { errorText, text } from './helpers/client.js'
import { serverFixture } from './helpers/fixture.js'

const f = serverFixture()
const idx = (n: number, ns = 'default'): string => join(f.dirs.indexDir, ns, `i${n}`)
const dat = (n: number, ns = 'default'): string => join(f.dirs.dataDir, ns, `d${n}`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A handler that records every call and answers with `answer(event)` (default 0). */
function recorder(answer: (event: string, args: readonly string[]) => ReturnType<ZdbHookHandler> = () => 0) {
  const calls: [string, string[]][] = []
  const hook: ZdbHookHandler = (event, args) => {
    calls.push([event, [...args]])
    return answer(event, args)
  }
  return { hook, calls, of: (event: string) => calls.filter((c) => c[0] === event).map((c) => c[1]) }
}

/** A logger that keeps the warnings. */
function warnings(): ZdbLogger & { lines: string[] } {
  const lines: string[] = []
  const noop = (): void => {}
  return { lines, debug: noop, info: noop, warn: (m) => lines.push(m), error: (m) => lines.push(m) }
}

/** `HOOKS` rows of `event` as `[args, pid, status]`. */
async function listed(event: string): Promise<unknown[][]> {
  const rows = (await (await f.connect()).call('HOOKS')) as unknown[][]
  return rows.filter((r) => String(r[0]) === event).map((r) => [(r[1] as Buffer[]).map(String), r[2], r[5]])
}

/** a0 in d0, then NSJUMP, then b0 in d1 (the current file). */
async function twoFiles(): Promise<void> {
  const c = await f.connect()
  expect(await c.pipeline([['SET', 'a0', 'value-a0'], ['NSJUMP'], ['SET', 'b0', 'value-b0']])).toEqual([
    Buffer.from('a0'),
    'OK',
    Buffer.from('b0'),
  ])
}

/** Whether this process holds an open descriptor on `path` (Linux: even once unlinked). */
function holdsFd(path: string): boolean {
  const real = join(realpathSync(dirname(path)), basename(path))
  return readdirSync('/proc/self/fd').some((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`)
      return target === real || target === `${real} (deleted)`
    } catch {
      return false
    }
  })
}

describe('hook as a function', () => {
  it('gets every event with the executable arguments; jump-index status 0 clears INDEX DIRTY', async () => {
    const r = recorder()
    await f.start({ hook: r.hook, datasize: 200 })
    const c = await f.connect()
    const value = 'v'.repeat(60)
    await c.call('SET', 'k', value)
    await c.call('SET', 'k', value.toUpperCase()) // i0 edited in place: dirty
    expect(await c.call('INDEX', 'DIRTY')).toEqual([0])
    expect(text(await c.call('SET', 'j', value))).toBe('j') // past datasize: files 1
    expect(await c.call('NSNEW', 'x')).toBe('OK')
    expect(r.calls).toEqual([
      ['namespaces-init', [f.dirs.indexDir, f.dirs.dataDir]],
      ['ready', []],
      ['jump-index', [idx(0), idx(1), '0']],
      ['jump-data', [dat(0), dat(1)]],
      ['namespace-created', ['x']],
    ])
    expect(await c.call('INDEX', 'DIRTY')).toEqual([])
    // Listed as runs, with pid 0.
    expect(await listed('jump-index')).toEqual([[[idx(0), idx(1), '0'], 0, 0]])
    await f.stop()
    expect(r.calls.slice(-3)).toEqual([
      ['close', []],
      ['namespace-closing', ['default', idx(1), dat(1), '']],
      ['namespace-closing', ['x', idx(0, 'x'), dat(0, 'x'), '']],
    ])
  })

  it('a jump-index handler that returns a Promise counts as status 1: INDEX DIRTY is kept', async () => {
    const log = warnings()
    const r = recorder(() => Promise.resolve(0))
    await f.start({ hook: r.hook, logger: log })
    const c = await f.connect()
    await c.call('SET', 'k', 'a')
    await c.call('SET', 'k', 'b')
    expect(await c.call('NSJUMP')).toBe('OK')
    expect(r.of('jump-index')).toEqual([[idx(0), idx(1), '0']])
    expect(await c.call('INDEX', 'DIRTY')).toEqual([0])
    expect(await listed('jump-index')).toEqual([[[idx(0), idx(1), '0'], 0, 1]])
    expect(log.lines.join('\n')).toMatch(/jump-index.*Promise/)
  })

  it('a handler that throws or rejects counts as status 1 and is logged', async () => {
    const log = warnings()
    const r = recorder((event) => {
      if (event === 'jump-index') throw new Error('boom')
      if (event === 'namespace-created') return Promise.reject(new Error('late boom'))
      return 0
    })
    await f.start({ hook: r.hook, logger: log })
    const c = await f.connect()
    await c.call('SET', 'k', 'a')
    await c.call('SET', 'k', 'b')
    expect(await c.call('NSJUMP')).toBe('OK')
    expect(await c.call('INDEX', 'DIRTY')).toEqual([0])
    expect(await c.call('NSNEW', 'x')).toBe('OK')
    await sleep(10)
    expect(await listed('jump-index')).toEqual([[[idx(0), idx(1), '0'], 0, 1]])
    expect(await listed('namespace-created')).toEqual([[['x'], 0, 1]])
    expect(log.lines.join('\n')).toContain('boom')
    expect(log.lines.join('\n')).toContain('late boom')
  })

  it('an answer that is not an integer counts as status 1 (JavaScript callers)', async () => {
    const r = recorder((event) => (event === 'ready' ? 0 : (undefined as never)))
    await f.start({ hook: r.hook })
    const c = await f.connect()
    await c.pipeline([['SET', 'k', 'a'], ['SET', 'k', 'b'], ['NSJUMP'], ['NSNEW', 'x']])
    expect(await c.call('INDEX', 'DIRTY')).toEqual([0])
    await sleep(10)
    expect(await listed('jump-index')).toEqual([[[idx(0), idx(1), '0'], 0, 1]])
    expect(await listed('namespace-created')).toEqual([[['x'], 0, 1]])
  })

  it('a ready handler that fails aborts the start with ZdbHookError', async () => {
    const failing: ZdbHookHandler = (event) => (event === 'ready' ? Promise.resolve(3) : 0)
    const err = await f.start({ hook: failing }).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'ZdbHookError', hook: 'ready', status: 3 })
    const throwing: ZdbHookHandler = (event) => {
      if (event === 'ready') throw new Error('no')
      return 0
    }
    expect(await f.start({ hook: throwing }).catch((e: unknown) => e)).toMatchObject({ status: 1 })
  })

  it('a missing-data handler that brings the file back makes the read succeed', async () => {
    await f.start()
    await twoFiles()
    await f.stop()
    renameSync(dat(0), `${dat(0)}.away`)
    const r = recorder(async (event, args) => {
      if (event !== 'missing-data') return 0
      await sleep(50)
      copyFileSync(`${args[0]}.away`, args[0]!)
      return 0
    })
    await f.start({ hook: r.hook })
    const c = await f.connect()
    expect(text(await c.call('GET', 'a0'))).toBe('value-a0')
    expect(r.of('missing-data')).toEqual([[dat(0)]])
  })

  it('a missing-data handler that fails leaves the usual error', async () => {
    await f.start()
    await twoFiles()
    await f.stop()
    renameSync(dat(0), `${dat(0)}.away`)
    const r = recorder((event) => (event === 'missing-data' ? 1 : 0))
    await f.start({ hook: r.hook })
    const c = await f.connect()
    expect(errorText(await c.call('GET', 'a0'))).toBe('Internal Error')
    expect(r.of('missing-data')).toEqual([[dat(0)]])
  })

  it('hook must be a non-empty string or a function; onDataRead a function', async () => {
    const base = { port: 0, dataDir: f.dirs.dataDir, indexDir: f.dirs.indexDir }
    for (const hook of ['', 42, {}]) {
      await expect(createZdbServer({ ...base, hook: hook as never })).rejects.toMatchObject({
        name: 'ZdbOptionError',
      })
    }
    await expect(createZdbServer({ ...base, onDataRead: 'x' as never })).rejects.toMatchObject({
      name: 'ZdbOptionError',
    })
  })
})

describe('onDataRead', () => {
  it('is called for reads of an old data file, not of the current one', async () => {
    const paths: string[] = []
    await f.start({ onDataRead: (path) => paths.push(path) })
    await twoFiles()
    const c = await f.connect()
    expect(text(await c.call('GET', 'b0'))).toBe('value-b0')
    expect(await c.call('CHECK', 'b0')).toBe(1)
    expect(paths).toEqual([])
    expect(text(await c.call('GET', 'a0'))).toBe('value-a0')
    expect(paths).toEqual([dat(0)])
    expect(await c.call('CHECK', 'a0')).toBe(1)
    expect(paths.length).toBeGreaterThan(1)
    expect(new Set(paths)).toEqual(new Set([dat(0)]))
  })

  it('a throwing callback does not fail the read', async () => {
    await f.start({
      onDataRead: () => {
        throw new Error('lru bug')
      },
    })
    await twoFiles()
    expect(text(await (await f.connect()).call('GET', 'a0'))).toBe('value-a0')
  })
})

describe('namespaceFiles and clearDirty', () => {
  it('lists every namespace with its current file id and dirty ids; clearDirty removes some', async () => {
    const server = await f.start()
    const c = await f.connect()
    await c.call('NSNEW', 'other')
    await c.pipeline([['SET', 'k', '1'], ['SET', 'k', '2'], ['NSJUMP'], ['SET', 'j', '1'], ['SET', 'j', '2']])
    expect(server.namespaceFiles()).toEqual([
      {
        name: 'default',
        indexDir: join(f.dirs.indexDir, 'default'),
        dataDir: join(f.dirs.dataDir, 'default'),
        fileId: 1,
        dirty: [0, 1],
      },
      {
        name: 'other',
        indexDir: join(f.dirs.indexDir, 'other'),
        dataDir: join(f.dirs.dataDir, 'other'),
        fileId: 0,
        dirty: [],
      },
    ])
    server.clearDirty('default', [0, 7])
    server.clearDirty('nope', [1])
    expect(server.namespaceFiles()[0]!.dirty).toEqual([1])
    expect(await c.call('INDEX', 'DIRTY')).toEqual([1])
    await f.stop()
    expect(server.namespaceFiles()).toEqual([])
  })
})

describe('releaseDataFile', () => {
  it('closes the cached descriptor: after release and unlink, the read runs missing-data', async () => {
    const r = recorder((event, args) => {
      if (event === 'missing-data') copyFileSync(`${args[0]}.copy`, args[0]!)
      return 0
    })
    const server = await f.start({ hook: r.hook })
    await twoFiles()
    const c = await f.connect()
    expect(text(await c.call('GET', 'a0'))).toBe('value-a0') // from the value cache
    expect(await c.call('CHECK', 'a0')).toBe(1) // reads d0: its descriptor is now cached
    expect(holdsFd(dat(0))).toBe(true)
    copyFileSync(dat(0), `${dat(0)}.copy`)
    expect(server.releaseDataFile(dat(0))).toBe(true)
    unlinkSync(dat(0))
    expect(holdsFd(dat(0))).toBe(false) // the space is freed
    expect(r.of('missing-data')).toEqual([])
    expect(text(await c.call('GET', 'a0'))).toBe('value-a0')
    expect(r.of('missing-data')).toEqual([[dat(0)]])
    expect(existsSync(dat(0))).toBe(true)
  })

  it('without a hook, the read of a released and unlinked file gets the usual error', async () => {
    const server = await f.start()
    await twoFiles()
    const c = await f.connect()
    expect(text(await c.call('GET', 'a0'))).toBe('value-a0')
    expect(server.releaseDataFile(dat(0))).toBe(true)
    unlinkSync(dat(0))
    expect(errorText(await c.call('GET', 'a0'))).toBe('Internal Error')
    expect(text(await c.call('GET', 'b0'))).toBe('value-b0')
  })

  it('refuses the current data file and paths of no namespace', async () => {
    const server = await f.start()
    await twoFiles()
    expect(server.releaseDataFile(dat(1))).toBe(false)
    expect(server.releaseDataFile(dat(5))).toBe(false)
    expect(server.releaseDataFile(idx(0))).toBe(false)
    expect(server.releaseDataFile(join(f.dirs.dataDir, 'nope', 'd0'))).toBe(false)
    expect(server.releaseDataFile(join(f.dirs.root, 'd0'))).toBe(false)
    const c = await f.connect()
    expect(text(await c.call('GET', 'b0'))).toBe('value-b0')
    expect(text(await c.call('SET', 'b1', 'value-b1'))).toBe('b1')
  })
})
