/** The `zdb-server` binary, run from source through tsx so no build is needed. */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { errorText, TestClient, text } from './helpers/client.js'
import { type TempDirs, tempDirs } from './helpers/server.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const cliArgs = ['--import', 'tsx', 'src/cli.ts']
let dirs: TempDirs
let children: ChildProcess[]

function runSync(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...cliArgs, ...args], {
    cwd: packageDir,
    encoding: 'utf8',
    timeout: 15000,
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Starts the CLI on port 0 and resolves with the port from its "listening on" line. */
function startCli(args: string[]): Promise<{ child: ChildProcess; port: number; line: string }> {
  const child = spawn(process.execPath, [...cliArgs, '--port', '0', ...args], { cwd: packageDir })
  children.push(child)
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /zdb-server listening on .*:(\d+) .*/.exec(out)
      if (m) resolve({ child, port: Number(m[1]), line: m[0] })
    })
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
    })
    child.on('exit', (code) => reject(new Error(`cli exited with ${code}: ${err}`)))
  })
}

const exitCode = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode)
    else child.on('exit', (code) => resolve(code))
  })

beforeEach(() => {
  dirs = tempDirs()
  children = []
})
afterEach(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  dirs.remove()
})

describe('zdb-server CLI', () => {
  it('--help prints the usage with defaults and exits 0', () => {
    const r = runSync(['--help'])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('Usage: zdb-server')
    expect(r.stdout).toContain('default ./zdb-data')
    expect(r.stdout).toContain('default 9900')
  })

  it('an unknown flag prints one line pointing to --help and exits 1, without a stack trace', () => {
    const r = runSync(['--bogus'])
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toEqual(["zdb-server: unknown option '--bogus' (see --help)"])
  })

  it('--hook: a ready hook that exits 1 stops the start with one line and status 1', () => {
    const hook = join(dirs.root, 'hook.sh')
    writeFileSync(hook, '#!/bin/sh\n[ "$1" = ready ] && exit 1\nexit 0\n')
    chmodSync(hook, 0o755)
    const r = runSync(['--port', '0', '--data', dirs.dataDir, '--index', dirs.indexDir, '--hook', hook])
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toEqual([
      `zdb-server: the ready hook (${hook}) exited with status 1; the server did not start`,
    ])
  })

  it('--hook: SIGTERM runs the close hook before exiting 0', async () => {
    const hook = join(dirs.root, 'hook.sh')
    const log = join(dirs.root, 'hook.log')
    writeFileSync(hook, `#!/bin/sh\necho "$1 $2" >> '${log}'\n`)
    chmodSync(hook, 0o755)
    const { child, port } = await startCli(['--data', dirs.dataDir, '--index', dirs.indexDir, '--hook', hook])
    child.kill('SIGTERM')
    expect(await exitCode(child)).toBe(0)
    const lines = readFileSync(log, 'utf8').trim().split('\n')
    expect(lines.slice(0, 3)).toEqual([
      `namespaces-init tcp://127.0.0.1:${port}`,
      `ready tcp://127.0.0.1:${port}`,
      `close tcp://127.0.0.1:${port}`,
    ])
  })

  it('--protect without --admin exits 1 with one line', () => {
    const r = runSync(['--protect'])
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toEqual([
      'zdb-server: --protect requires --admin <password> (see --help)',
    ])
  })

  it('--admin, --protect and --maxsize apply to clients of the default namespace', async () => {
    const { port } = await startCli([
      ...['--admin', 'pw', '--protect', '--maxsize', '8'],
      ...['--data', dirs.dataDir, '--index', dirs.indexDir],
    ])
    const c = await TestClient.connect('127.0.0.1', port)
    expect(errorText(await c.call('SET', 'k', 'v'))).toBe('Namespace is in read-only mode')
    expect(errorText(await c.call('NSNEW', 'x'))).toBe('Permission denied')
    expect(await c.call('SELECT', 'default', 'pw')).toBe('OK')
    expect(text(await c.call('SET', 'k', '12345678'))).toBe('k')
    expect(errorText(await c.call('SET', 'j', 'v'))).toBe('No space left on this namespace')
    expect(await c.call('AUTH', 'pw')).toBe('OK')
    expect(await c.call('NSNEW', 'x')).toBe('OK')
    await c.close()
  })

  it('--cache sets the value cache budget in MiB, and --cache 0 turns it off', async () => {
    for (const [mib, bytes] of [
      ['3', 3 * 2 ** 20],
      ['0', 0],
    ] as const) {
      const { child, port } = await startCli([
        '--data',
        dirs.dataDir,
        '--index',
        dirs.indexDir,
        '--cache',
        mib,
      ])
      const c = await TestClient.connect('127.0.0.1', port)
      expect(text(await c.call('INFO'))).toContain(`value_cache_limit_bytes: ${bytes}\n`)
      await c.close()
      child.kill('SIGTERM')
      expect(await exitCode(child)).toBe(0)
    }
  })

  it('starts, answers PING, and exits 0 on SIGTERM', async () => {
    const { child, port, line } = await startCli(['--data', dirs.dataDir, '--index', dirs.indexDir])
    expect(line).toBe(
      `zdb-server listening on 127.0.0.1:${port} (data ${dirs.dataDir}, index ${dirs.indexDir})`,
    )
    const c = await TestClient.connect('127.0.0.1', port)
    expect(await c.call('PING')).toBe('PONG')
    await c.close()
    child.kill('SIGTERM')
    expect(await exitCode(child)).toBe(0)
  })

  it('a second instance on the same directories refuses to start with a clear message', async () => {
    await startCli(['--data', dirs.dataDir, '--index', dirs.indexDir])
    const r = runSync(['--port', '0', '--data', dirs.dataDir, '--index', dirs.indexDir])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^zdb-server: data directory .* is in use by another zdb-server \(pid \d+/)
  })

  it('a namespace whose header mode differs from a forced --mode exits 1 with one line, no stack trace', async () => {
    const { child } = await startCli(['--mode', 'seq', '--data', dirs.dataDir, '--index', dirs.indexDir])
    child.kill('SIGTERM')
    expect(await exitCode(child)).toBe(0)
    const r = runSync(['--mode', 'user', '--port', '0', '--data', dirs.dataDir, '--index', dirs.indexDir])
    expect(r.status).toBe(1)
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^zdb-server: namespace "default" is in sequential mode .* --mode user/)
  })

  it('--background exits 0 once the detached server listens; --logfile receives its output', async () => {
    const log = join(dirs.root, 'server.log')
    const r = runSync(['--background', '--logfile', log, '--data', dirs.dataDir, '--index', dirs.indexDir])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const pid = Number(/running in the background, pid (\d+)/.exec(r.stdout)?.[1])
    expect(pid).toBeGreaterThan(0)
    try {
      const port = Number(/listening on .*:(\d+)/.exec(readFileSync(log, 'utf8'))?.[1])
      const c = await TestClient.connect('127.0.0.1', port)
      expect(await c.call('PING')).toBe('PONG')
      await c.close()
    } finally {
      process.kill(pid, 'SIGTERM')
    }
    // It closes cleanly on SIGTERM, releasing its lock, so the directories open again.
    for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((res) => setTimeout(res, 50))
    expect(isAlive(pid)).toBe(false)
  })

  it('a busy port exits 1 with a clear message', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    try {
      const r = runSync(['--port', String(port), '--data', dirs.dataDir, '--index', dirs.indexDir])
      expect(r.status).toBe(1)
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`)
    } finally {
      blocker.close()
    }
  })
})

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const redisCli = spawnSync('redis-cli', ['--version']).status === 0

describe.runIf(redisCli)('with redis-cli', () => {
  it('redis-cli SET then GET against our server prints the key, then the value', async () => {
    const { port } = await startCli(['--data', dirs.dataDir, '--index', dirs.indexDir])
    const cli = (...args: string[]): string =>
      execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim()
    expect(cli('SET', 'a', 'b')).toBe('a')
    expect(cli('GET', 'a')).toBe('b')
    expect(cli('PING')).toBe('PONG')
    const c = await TestClient.connect('127.0.0.1', port)
    expect(text(await c.call('GET', 'a'))).toBe('b')
    await c.close()
  })
})
