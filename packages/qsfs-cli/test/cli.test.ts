/**
 * The built `qsfs` command, spawned: help, usage errors (exit 2, one line, no stack), the
 * commands that work on a node that is not running, and `status` of a running one.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createZdbServer } from '@qsfs/zdb-server'
import { afterAll, describe, expect, it } from 'vitest'
import { COMMANDS } from '../src/cli/args.js'
import { loadNodeConfig } from '../src/config/node-config.js'
import { initNode } from '../src/init.js'
import { startNode } from '../src/node/node.js'
import { removeTempDirs, tempDir, zdbClient } from './helpers/env.js'

const MAIN = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js')
const VERSION = (
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }
).version
const home = tempDir('qsfs-home-')

afterAll(removeTempDirs)

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function qsfs(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = { ...process.env }
  delete base.QSFS_DIR
  delete base.QSFS_DEBUG
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { ...base, HOME: home, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`qsfs ${args.join(' ')} did not exit in 20 s; stderr: ${stderr}`))
    }, 20_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** A failure as the CLI must print it: exit `code`, one line `qsfs: CODE: …` on stderr, no stack. */
function expectOneLine(run: Run, code: number, error: string, ...parts: string[]): void {
  expect(run.code, run.stderr).toBe(code)
  expect(run.stdout).toBe('')
  expect(run.stderr.endsWith('\n')).toBe(true)
  const lines = run.stderr.trimEnd().split('\n')
  expect(lines, run.stderr).toHaveLength(1)
  expect(lines[0]!.startsWith(`qsfs: ${error}: `), lines[0]).toBe(true)
  expect(run.stderr).not.toMatch(/\n\s+at /)
  for (const part of parts) expect(lines[0]).toContain(part)
}

const VISIBLE = ['init', 'up', 'down', 'status', 'check', 'repair', 'recover'] as const

/** The options each command documents (written out here, so a dropped one fails). */
const OPTIONS: Record<(typeof VISIBLE)[number], string[]> = {
  init: [
    'dir',
    'local',
    'backend',
    'meta',
    'backend-password',
    'backend-admin',
    'data-namespace',
    'meta-namespace',
    'data-shards',
    'parity-shards',
    'mountpoint',
    'cache-size',
    'segment-size',
    'loss-window',
    'status-listen',
    'passphrase-env',
    'force',
  ],
  up: ['dir', 'mountpoint', 'status-listen', 'drain-timeout'],
  down: ['dir', 'timeout'],
  status: ['dir', 'json'],
  check: ['dir', 'deep', 'json'],
  repair: ['dir', 'json'],
  recover: ['dir', 'no-up', 'mountpoint', 'status-listen'],
}

// Each run of the CLI costs about half a second of CPU: the cases are chosen, not exhaustive.
const SLOW = { timeout: 30_000 }

describe.concurrent('help', SLOW, () => {
  it.each([[[]], [['-h']]])('qsfs %j lists every command', async (args) => {
    const run = await qsfs(args)
    expect(run.code).toBe(0)
    expect(run.stderr).toBe('')
    expect(run.stdout).toContain('Usage: qsfs <command> [options]')
    for (const command of VISIBLE) expect(run.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'))
    expect(run.stdout).not.toContain('_daemon')
    expect(run.stdout).not.toContain('_mount')
  })

  it.each(VISIBLE)('qsfs %s --help lists each of its options', async (command) => {
    const run = await qsfs([command, '--help'])
    expect(run.code).toBe(0)
    expect(run.stderr).toBe('')
    expect(run.stdout).toContain(`Usage: qsfs ${command} [options]`)
    const listed = [...run.stdout.matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1])
    expect(listed.sort()).toEqual([...OPTIONS[command], 'help'].sort())
    expect(Object.keys(COMMANDS[command].options).sort()).toEqual([...OPTIONS[command]].sort())
    for (const line of run.stdout.split('\n').filter((l) => l.startsWith('  --')))
      expect(line.trim().split(/\s{2,}/)[1], line).toMatch(/\w/)
  })

  it('qsfs help init is qsfs init --help; --help wins over bad values', async () => {
    const a = await qsfs(['help', 'init'])
    const c = await qsfs(['init', '--local', 'many', '--help'])
    expect(a.code).toBe(0)
    expect(a.stdout).toContain('Usage: qsfs init [options]')
    expect(c.stdout).toBe(a.stdout)
  })

  it('--version prints the package version', async () => {
    const run = await qsfs(['--version'])
    expect(run).toEqual({ code: 0, stdout: `qsfs ${VERSION}\n`, stderr: '' })
  })
})

describe.concurrent('usage errors: exit 2, one line', SLOW, () => {
  it('an unknown command names the commands', async () => {
    expectOneLine(
      await qsfs(['frobnicate']),
      2,
      'ERR_USAGE',
      "unknown command 'frobnicate'",
      'init, up, down, status, check, repair, recover',
    )
    expectOneLine(await qsfs(['help', 'frobnicate']), 2, 'ERR_USAGE', "unknown command 'frobnicate'")
  })

  it.each([
    [
      ['status', '--bogus'],
      ["'--bogus'", '(see `qsfs status --help`)'],
    ],
    [['status', 'extra'], ["'extra'"]],
    [['down', '--dir'], ['--dir']],
  ])('qsfs %j', async (args, parts) => {
    expectOneLine(await qsfs(args), 2, 'ERR_USAGE', ...parts)
  })

  it.each([
    [['--local', 'abc'], "--local must be a whole number, got 'abc'"],
    [['--local', '0'], 'give --local N or at least one --backend'],
    [['--local', '65'], '--local must be 1..64'],
    [['--local', '1'], '1 parity shard'],
    [['--local', '2', '--backend', 'h:1'], 'exclude each other'],
    [['--cache-size', 'lots'], "--cache-size must be a size like 4GiB or 512MiB, got 'lots'"],
    [['--loss-window=1.5'], "--loss-window must be a whole number of seconds, got '1.5'"],
  ])('qsfs init %j writes nothing', async (args, message) => {
    const dir = join(tempDir(), 'node')
    expectOneLine(await qsfs(['init', '--dir', dir, ...args]), 2, 'ERR_USAGE', message)
    expect(existsSync(join(dir, 'qsfs.toml'))).toBe(false)
  })

  it.each([
    [['--drain-timeout', 'soon'], "--drain-timeout must be a whole number of seconds, got 'soon'"],
    [['--status-listen', 'nowhere'], "--status-listen must be host:port or off, got 'nowhere'"],
  ])('qsfs up %j is refused before anything starts', async (args, message) => {
    const dir = tempDir()
    initNode({ dir, local: 2 })
    expectOneLine(await qsfs(['up', '--dir', dir, ...args]), 2, 'ERR_USAGE', message)
    expect(existsSync(join(dir, 'run'))).toBe(false)
  })
})

describe.concurrent('a node that is not running', SLOW, () => {
  it.each([['status'], ['up'], ['recover']])(
    'qsfs %s on a directory without a node: ERR_NODE_CONFIG, exit 1',
    async (command) => {
      const dir = tempDir()
      expectOneLine(
        await qsfs([command, '--dir', dir]),
        1,
        'ERR_NODE_CONFIG',
        `no node in ${dir}`,
        `qsfs init --dir ${dir}`,
      )
    },
  )

  it('qsfs init, then again: ERR_NODE_EXISTS; --force rewrites it with the options given', async () => {
    const dir = join(tempDir(), 'node')
    const first = await qsfs(['init', '--dir', dir])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain(`qsfs: node created in ${dir}`)
    expect(first.stdout).toContain('4 backends, 3 data + 1 parity shards (33 % overhead)')
    expect(first.stdout).toContain(`next: qsfs up --dir ${dir}`)
    for (const file of ['qsfs.toml', 'zstor.toml', 'key']) expect(existsSync(join(dir, file))).toBe(true)
    expectOneLine(await qsfs(['init', '--dir', dir]), 1, 'ERR_NODE_EXISTS', '--force')
    const again = await qsfs([
      'init',
      '--dir',
      dir,
      '--force',
      '--local',
      '6',
      '--cache-size',
      '1GiB',
      '--segment-size',
      '8MiB',
      '--loss-window',
      '30',
      '--status-listen',
      'off',
    ])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain('6 backends, 4 data + 2 parity shards (50 % overhead)')
    expect(loadNodeConfig(dir)).toMatchObject({
      cacheSize: 2 ** 30,
      segmentSize: 8 * 2 ** 20,
      lossWindow: 30,
      status: null,
      localBackends: 6,
    })
  })

  it('qsfs init --backend creates the namespaces on the backends it reaches, reports the others', async () => {
    const root = tempDir()
    const server = await createZdbServer({
      socket: join(root, 'up.sock'),
      dataDir: join(root, 'data'),
      indexDir: join(root, 'index'),
    })
    try {
      const up = `unix:${join(root, 'up.sock')}`
      const down = `unix:${join(root, 'down.sock')}`
      const dir = join(root, 'node')
      const run = await qsfs(['init', '--dir', dir, '--backend', up, '--backend', down])
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toContain(`backend ${up}: created qsfs-data, qsfs-meta`)
      expect(run.stderr).toContain(`backend ${down}: not prepared`)
      const redis = zdbClient(join(root, 'up.sock'))
      try {
        expect(((await redis.call('NSLIST')) as string[]).sort()).toEqual([
          'default',
          'qsfs-data',
          'qsfs-meta',
        ])
        expect(await redis.call('NSINFO', 'qsfs-data')).toMatch(/mode: sequential/)
        expect(await redis.call('NSINFO', 'qsfs-meta')).toMatch(/mode: userkey/)
      } finally {
        redis.disconnect()
      }
    } finally {
      await server.close()
    }
  })

  it('qsfs down: ERR_NODE_NOT_RUNNING, exit 1', async () => {
    const dir = tempDir()
    initNode({ dir, local: 2 })
    expectOneLine(await qsfs(['down', '--dir', dir]), 1, 'ERR_NODE_NOT_RUNNING', `no node runs on ${dir}`)
  })

  it('qsfs status: not running, every backend of a --local node unreachable, exit 0', async () => {
    const dir = tempDir()
    initNode({ dir })
    const text = await qsfs(['status', '--dir', dir])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/^node +\S+ \(not running\)$/m)
    expect(text.stdout).toMatch(/^mount .*\(not mounted\)$/m)
    expect(text.stdout).toMatch(/^uploads +0 queued/m)
    expect(text.stdout).toMatch(/^cache +0 B of 4\.0 GiB in 0 segments/m)
    const backendLines = text.stdout.split('\n').filter((l) => /^ {2}(meta|data) /.test(l))
    expect(backendLines).toHaveLength(8)
    for (const line of backendLines) expect(line).toMatch(/b\d\.sock qsfs-(meta|data): unreachable/)

    const json = await qsfs(['status', '--dir', dir, '--json'])
    expect(json.code).toBe(0)
    const status = JSON.parse(json.stdout)
    expect(status).toMatchObject({
      running: false,
      dir: realpathSync(dir),
      mounted: false,
      queue: { depth: 0 },
      cache: { usedBytes: 0, limitBytes: 4 * 2 ** 30 },
      lossWindowLimit: 60,
    })
    expect(status.backends).toHaveLength(8)
    expect(status.backends.every((b: { state: string }) => b.state === 'unreachable')).toBe(true)
  })

  it('$QSFS_DIR is the default --dir', async () => {
    const dir = tempDir()
    initNode({ dir, local: 2 })
    const run = await qsfs(['status', '--json'], { QSFS_DIR: dir })
    expect(run.code, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout).dir).toBe(realpathSync(dir))
  })

  it('qsfs check of a node that never ran: nothing to check, exit 0', async () => {
    const dir = tempDir()
    initNode({ dir, local: 2 })
    const text = await qsfs(['check', '--dir', dir])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toBe('0 files: 0 healthy, 0 degraded, 0 pending upload, 0 lost\n')
  })

  it('a zstor.toml zstor refuses: ERR_NODE_CONFIG on one line', async () => {
    const dir = tempDir()
    initNode({ dir, local: 2 })
    writeFileSync(join(dir, 'zstor.toml'), 'minimal_shards = "many"\n')
    expectOneLine(await qsfs(['status', '--dir', dir]), 1, 'ERR_NODE_CONFIG', 'zstor.toml')
  })

  it('qsfs recover --no-up of a --local node: ERR_RECOVER, exit 1', async () => {
    const dir = tempDir()
    initNode({ dir, local: 3 })
    expectOneLine(await qsfs(['recover', '--dir', dir, '--no-up']), 1, 'ERR_RECOVER', '3 local backends')
  })
})

describe('a running node (started in this process, no mount)', () => {
  it('qsfs status reads it over its socket; up and recover on it are refused', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'mnt'))
    initNode({ dir, local: 3, statusListen: 'off' })
    const node = await startNode({ dir, mount: false, log: () => {} })
    try {
      const json = await qsfs(['status', '--dir', dir, '--json'])
      expect(json.code, json.stderr).toBe(0)
      const status = JSON.parse(json.stdout)
      expect(status).toMatchObject({ running: true, dir: realpathSync(dir), mounted: false })
      expect(status.startedAt).toBeGreaterThan(0)
      expect(status.backends).toHaveLength(6)
      expect(status.backends.every((b: { state: string }) => b.state === 'healthy')).toBe(true)
      const text = await qsfs(['status', '--dir', dir])
      expect(text.stdout).toMatch(/^node +\S+ \(up since \d{4}-/m)
      expectOneLine(
        await qsfs(['up', '--dir', dir]),
        1,
        'ERR_NODE_RUNNING',
        `(pid ${process.pid})`,
        'qsfs down',
      )
      expectOneLine(await qsfs(['recover', '--dir', dir, '--no-up']), 1, 'ERR_NODE_RUNNING')
    } finally {
      await node.stop()
    }
    // Stopped: the runtime file is gone and status says so.
    const after = await qsfs(['status', '--dir', dir, '--json'])
    expect(JSON.parse(after.stdout).running).toBe(false)
  }, 30_000)
})
