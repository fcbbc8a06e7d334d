/**
 * `--hook` (spec zdb.md §3): real servers running real `#!/bin/sh` hooks that append their argv
 * to a log, one line per run with every argument followed by `|`.
 */
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createZdbServer, type ZdbServer, type ZdbServerOptions } from '../src/index.js'
import { errorText, TestClient, text } from './helpers/client.js'
import { startServer, type TempDirs, tempDirs } from './helpers/server.js'

const TS = 1_600_000_000
let dirs: TempDirs
let servers: ZdbServer[]
let clients: TestClient[]
let log: string

/** Writes an executable hook that logs its argv, then runs `body` (a `case "$1" in ... esac`). */
function hookScript(body = ''): string {
  const path = join(dirs.root, `hook-${Math.random().toString(36).slice(2)}.sh`)
  // One append per run (a single short write to an O_APPEND file): hooks that run concurrently
  // must not interleave their lines.
  writeFileSync(
    path,
    `#!/bin/sh\nline=$(printf '%s|' "$@")\nprintf '%s\\n' "$line" >> '${log}'\n${body}\nexit 0\n`,
  )
  chmodSync(path, 0o755)
  return path
}

/** Logged runs, each as its argv after the executable. */
function runs(): string[][] {
  if (!existsSync(log)) return []
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('|').slice(0, -1))
}

const runsOf = (name: string): string[][] => runs().filter((r) => r[0] === name)

/** Polls until `ok()` holds (non-blocking hooks finish on their own time). */
async function until(ok: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return
    await new Promise((r) => setTimeout(r, 15))
  }
  throw new Error(`timed out waiting for ${what}; hook log: ${JSON.stringify(runs())}`)
}

async function start(options: Partial<ZdbServerOptions> = {}): Promise<ZdbServer> {
  const server = await startServer(dirs, { now: () => TS, ...options })
  servers.push(server)
  return server
}

async function connect(server: ZdbServer): Promise<TestClient> {
  const c = await TestClient.connect(server.address.host, server.address.port)
  clients.push(c)
  return c
}

const zdbid = (server: ZdbServer): string => `tcp://127.0.0.1:${server.address.port}`

beforeEach(() => {
  dirs = tempDirs()
  servers = []
  clients = []
  log = join(dirs.root, 'hooks.log')
})
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close()
  for (const s of servers.splice(0)) await s.close()
  // Hooks run on after close (close, namespace-closing) and append to the log in the directory
  // being removed: try again once they are done.
  for (let attempt = 1; ; attempt++) {
    try {
      dirs.remove()
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY' || attempt === 50) throw err
      await new Promise((r) => setTimeout(r, 100))
    }
  }
})

describe('startup and shutdown hooks', () => {
  it('namespaces-init runs before the namespaces load, then ready, both with the real zdbid', async () => {
    const seen = join(dirs.root, 'seen')
    const hook = hookScript(`case "$1" in namespaces-init) ls "$3" > '${seen}';; esac`)
    const server = await start({ hook })
    expect(runs()).toEqual([
      ['namespaces-init', zdbid(server), dirs.indexDir, dirs.dataDir],
      ['ready', zdbid(server)],
    ])
    // The index root held only the lock file: `default` was not created yet.
    expect(readFileSync(seen, 'utf8')).not.toContain('default')
    expect(existsSync(join(dirs.indexDir, 'default'))).toBe(true)
  })

  it('a ready hook that exits 1 aborts the start with ZdbHookError and releases port and locks', async () => {
    const hook = hookScript('case "$1" in ready) exit 1;; esac')
    const failed = await createZdbServer({
      host: '127.0.0.1',
      port: 0,
      dataDir: dirs.dataDir,
      indexDir: dirs.indexDir,
      hook,
    }).catch((err: unknown) => err)
    expect(failed).toMatchObject({
      name: 'ZdbHookError',
      code: 'ERR_ZDB_HOOK_FAILED',
      hook: 'ready',
      status: 1,
    })
    // The locks were released: the same directories open again.
    const server = await start()
    expect(await (await connect(server)).call('PING')).toBe('PONG')
  })

  it('close() runs close to completion, then namespace-closing for each namespace', async () => {
    const hook = hookScript()
    const server = await start({ hook })
    const c = await connect(server)
    await c.call('NSNEW', 'other')
    await c.call('SET', 'k', 'v1')
    await c.call('SET', 'k', 'v2')
    await c.close()
    await server.close()
    expect(runsOf('close')).toEqual([['close', zdbid(server)]])
    await until(() => runsOf('namespace-closing').length === 2, 'namespace-closing')
    // The hooks of two namespaces run concurrently: their log lines land in either order.
    const closing = runsOf('namespace-closing').sort((a, b) => (a[2] ?? '').localeCompare(b[2] ?? ''))
    expect(closing).toEqual([
      [
        'namespace-closing',
        zdbid(server),
        'default',
        join(dirs.indexDir, 'default', 'i0'),
        join(dirs.dataDir, 'default', 'd0'),
        '0',
      ],
      [
        'namespace-closing',
        zdbid(server),
        'other',
        join(dirs.indexDir, 'other', 'i0'),
        join(dirs.dataDir, 'other', 'd0'),
        '',
      ],
    ])
    const names = runs().map((r) => r[0])
    expect(names.indexOf('close')).toBeLessThan(names.indexOf('namespace-closing'))
  })
})

describe('namespace hooks', () => {
  it('NSNEW, NSSET, RELOAD and NSDEL fire namespace-created/updated/reloaded/deleted with the name', async () => {
    const server = await start({ hook: hookScript() })
    const c = await connect(server)
    expect(await c.call('NSNEW', 'x')).toBe('OK')
    expect(await c.call('NSSET', 'x', 'public', '0')).toBe('OK')
    expect(await c.call('NSSET', 'x', 'lock', '1')).toBe('OK')
    expect(errorText(await c.call('NSSET', 'x', 'bogus', '1'))).toBe('Invalid property')
    expect(await c.call('RELOAD', 'x')).toBe('OK')
    expect(await c.call('NSDEL', 'x')).toBe('OK')
    expect(errorText(await c.call('NSDEL', 'x'))).toBe("This namespace doesn't exists")
    const events = ['namespace-created', 'namespace-updated', 'namespace-reloaded', 'namespace-deleted']
    const namespaceRuns = (): string[][] => runs().filter((r) => events.includes(r[0]!))
    await until(() => namespaceRuns().length === 5, 'five namespace hooks')
    expect(namespaceRuns().sort()).toEqual(
      [
        ['namespace-created', zdbid(server), 'x'],
        ['namespace-updated', zdbid(server), 'x'],
        ['namespace-updated', zdbid(server), 'x'],
        ['namespace-reloaded', zdbid(server), 'x'],
        ['namespace-deleted', zdbid(server), 'x'],
      ].sort(),
    )
  })
})

describe('rotation hooks', () => {
  it('a rotation runs jump-index to completion before the SET replies, resets INDEX DIRTY on exit 0, then jump-data', async () => {
    const server = await start({ hook: hookScript(), datasize: 200 })
    const c = await connect(server)
    const value = 'v'.repeat(60)
    await c.call('SET', 'k', value)
    await c.call('SET', 'k', value.toUpperCase()) // overwrite: i0 is edited in place
    expect(await c.call('INDEX', 'DIRTY')).toEqual([0])
    expect(text(await c.call('SET', 'j', value))).toBe('j') // 188 + 60 > 200: files 1
    // Blocking: its line is in the log by the time the SET replied.
    const idx = (n: number) => join(dirs.indexDir, 'default', `i${n}`)
    const dat = (n: number) => join(dirs.dataDir, 'default', `d${n}`)
    expect(runsOf('jump-index')).toEqual([['jump-index', zdbid(server), idx(0), idx(1), '0']])
    expect(await c.call('INDEX', 'DIRTY')).toEqual([])
    await until(() => runsOf('jump-data').length === 1, 'jump-data')
    expect(runsOf('jump-data')).toEqual([['jump-data', zdbid(server), dat(0), dat(1)]])
    const names = runs().map((r) => r[0])
    expect(names.indexOf('jump-index')).toBeLessThan(names.indexOf('jump-data'))
  })

  it('a jump-index hook that fails leaves INDEX DIRTY as it was (NSJUMP rotates too)', async () => {
    const server = await start({ hook: hookScript('case "$1" in jump-index) exit 3;; esac') })
    const c = await connect(server)
    await c.call('SET', 'k', 'a')
    await c.call('SET', 'k', 'b')
    expect(await c.call('NSJUMP')).toBe('OK')
    expect(runsOf('jump-index')).toHaveLength(1)
    expect(await c.call('INDEX', 'DIRTY')).toEqual([0])
  })
})

describe('HOOKS', () => {
  it('lists each run with its arguments, pid, times and exit status, and drops it 300 s after it finished', async () => {
    let clock = TS
    const hook = hookScript('case "$1" in namespace-created) sleep 0.3; exit 7;; esac')
    const server = await start({ hook, now: () => clock })
    const c = await connect(server)
    const [init, ready] = (await c.call('HOOKS')) as unknown[][]
    expect(init).toEqual([
      Buffer.from('namespaces-init'),
      [Buffer.from(dirs.indexDir), Buffer.from(dirs.dataDir)],
      expect.any(Number),
      TS,
      TS,
      0,
    ])
    expect(init![2]).toBeGreaterThan(0)
    expect(ready).toEqual([Buffer.from('ready'), [], expect.any(Number), TS, TS, 0])
    clock += 10
    await c.call('NSNEW', 'x')
    const running = ((await c.call('HOOKS')) as unknown[][])[2]!
    expect(running).toEqual([
      Buffer.from('namespace-created'),
      [Buffer.from('x')],
      expect.any(Number),
      TS + 10,
      0,
      0,
    ])
    await until(() => runsOf('namespace-created').length === 1, 'namespace-created')
    let created: unknown[] | undefined
    await until(async () => {
      created = ((await c.call('HOOKS')) as unknown[][])[2]
      return created?.[4] === TS + 10
    }, 'namespace-created to finish')
    expect(created).toEqual([
      Buffer.from('namespace-created'),
      [Buffer.from('x')],
      running[2],
      TS + 10,
      TS + 10,
      7,
    ])
    clock = TS + 300
    expect(((await c.call('HOOKS')) as unknown[]).length).toBe(3)
    clock = TS + 301
    expect(((await c.call('HOOKS')) as unknown[][]).map((r) => String(r[0]))).toEqual(['namespace-created'])
    clock = TS + 311
    expect(await c.call('HOOKS')).toEqual([])
  })

  it('replies an empty array without --hook', async () => {
    const c = await connect(await start())
    expect(await c.call('HOOKS')).toEqual([])
  })
})

describe('missing-data', () => {
  const d0 = (): string => join(dirs.dataDir, 'default', 'd0')

  /** a0, a1 in d0 and b0, b1 in d1; then d0 is moved to `d0.away`. */
  async function filesWithD0Missing(): Promise<void> {
    const server = await startServer(dirs)
    const c = await TestClient.connect(server.address.host, server.address.port)
    await c.pipeline([
      ['SET', 'a0', 'value-a0'],
      ['SET', 'a1', 'value-a1'],
      ['NSJUMP'],
      ['SET', 'b0', 'value-b0'],
      ['SET', 'b1', 'value-b1'],
    ])
    await c.close()
    await server.close()
    renameSync(d0(), `${d0()}.away`)
  }

  const restoring = (): string =>
    hookScript(`case "$1" in missing-data) sleep 0.3; [ -f "$3.away" ] && mv "$3.away" "$3"; exit 0;; esac`)

  it('a read of a missing file waits for the hook; other clients, and its own earlier requests, are served meanwhile', async () => {
    await filesWithD0Missing()
    const server = await start({ hook: restoring() })
    const a = await connect(server)
    const b = await connect(server)
    const order: string[] = []
    const first = a.call('PING').then((v) => order.push(`a:${String(v)}`))
    const waiting = a.pipeline([['GET', 'a0'], ['PING'], ['GET', 'b0']]).then((v) => {
      order.push('a:GET a0')
      return v
    })
    await first
    await until(() => runsOf('missing-data').length === 1, 'the missing-data hook to start')
    expect(await b.pipeline([['PING'], ['SET', 'b2', 'value-b2'], ['GET', 'b1']])).toEqual([
      'PONG',
      Buffer.from('b2'),
      Buffer.from('value-b1'),
    ])
    order.push('b:done')
    expect((await waiting).map((v) => (Buffer.isBuffer(v) ? v.toString() : v))).toEqual([
      'value-a0',
      'PONG',
      'value-b0',
    ])
    expect(order).toEqual(['a:PONG', 'b:done', 'a:GET a0'])
    expect(runsOf('missing-data')).toEqual([['missing-data', zdbid(server), d0()]])
    // The file is back: no further hook run.
    expect(text(await a.call('GET', 'a1'))).toBe('value-a1')
    expect(runsOf('missing-data')).toHaveLength(1)
  })

  it('concurrent reads of one missing file run the hook once', async () => {
    await filesWithD0Missing()
    const server = await start({ hook: restoring() })
    const [a, b, c] = [await connect(server), await connect(server), await connect(server)]
    const replies = await Promise.all([
      a.call('GET', 'a0'),
      b.call('GET', 'a1'),
      c.pipeline([
        ['MGET', 'b0', 'a0', 'a1'],
        ['CHECK', 'a1'],
      ]),
    ])
    expect(replies).toEqual([
      Buffer.from('value-a0'),
      Buffer.from('value-a1'),
      [[Buffer.from('value-b0'), Buffer.from('value-a0'), Buffer.from('value-a1')], 1],
    ])
    expect(runsOf('missing-data')).toHaveLength(1)
  })

  it('a hook that exits 1: GET replies -Internal Error and CHECK :-1, once the hook ran for each', async () => {
    await filesWithD0Missing()
    const server = await start({ hook: hookScript('case "$1" in missing-data) exit 1;; esac') })
    const c = await connect(server)
    expect(errorText(await c.call('GET', 'a0'))).toBe('Internal Error')
    expect(await c.call('CHECK', 'a0')).toBe(-1)
    expect(text(await c.call('GET', 'b0'))).toBe('value-b0')
    expect(runsOf('missing-data')).toEqual([
      ['missing-data', zdbid(server), d0()],
      ['missing-data', zdbid(server), d0()],
    ])
    const listed = ((await c.call('HOOKS')) as unknown[][]).filter((r) => String(r[0]) === 'missing-data')
    expect(listed.map((r) => [r[1], r[5]])).toEqual([
      [[Buffer.from(d0())], 1],
      [[Buffer.from(d0())], 1],
    ])
  })

  it('without --hook a missing file gives the usual replies at once', async () => {
    await filesWithD0Missing()
    const c = await connect(await start())
    expect(errorText(await c.call('GET', 'a0'))).toBe('Internal Error')
    expect(await c.call('CHECK', 'a0')).toBe(-1)
    expect(errorText(await c.call('DATA', 'RAW', '0', '28'))).toBe('Invalid Request')
    expect(text(await c.call('GET', 'b0'))).toBe('value-b0')
    expect(existsSync(log)).toBe(false)
  })
})
