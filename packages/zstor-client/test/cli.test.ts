import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { zstor } from './helpers/cli.js'
import { Cluster } from './helpers/cluster.js'

let cluster: Cluster
let dir: string
let config: string

beforeAll(async () => {
  cluster = await Cluster.start({ groups: [3, 3], k: 4, m: 2, redundantGroups: 0, redundantNodes: 1 })
  dir = mkdtempSync(join(tmpdir(), 'zstor-cli-'))
  config = join(dir, 'zstor.toml')
  writeFileSync(config, cluster.toml())
})

afterAll(async () => {
  await cluster?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('zstor CLI', () => {
  it('store, check and retrieve a file', async () => {
    const bytes = randomBytes(123_456)
    const file = join(dir, 'f.bin')
    writeFileSync(file, bytes)
    const stored = await zstor(['-c', config, 'store', '-f', file])
    expect(stored).toMatchObject({ code: 0 })
    const check = await zstor(['-c', config, 'check', '-f', file])
    expect(check.code).toBe(0)
    expect(check.stdout.trim()).toMatch(/^[0-9a-f]{32}$/)
    rmSync(file)
    const got = await zstor(['-c', config, 'retrieve', '-f', file])
    expect(got.code).toBe(0)
    expect(readFileSync(file).equals(bytes)).toBe(true)
  })

  it('check of a path never stored prints nothing and exits 0, as upstream', async () => {
    const result = await zstor(['-c', config, 'check', '-f', join(dir, 'nothing')])
    expect(result).toMatchObject({ code: 0, stdout: '' })
  })

  it('status --json lists every backend with its state', async () => {
    const result = await zstor(['-c', config, 'status', '--json'])
    expect(result.code).toBe(0)
    const status = JSON.parse(result.stdout) as { backends: { role: string; state: string }[] }
    expect(status.backends).toHaveLength(10)
    expect(status.backends.every((b) => b.state === 'healthy')).toBe(true)
  })

  it('test says the shards can be placed', async () => {
    const result = await zstor(['-c', config, 'test'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('shards can be placed')
  })

  it('a bad command line exits 2 with one line, no stack trace', async () => {
    const result = await zstor(['-c', config, 'store'])
    expect(result.code).toBe(2)
    expect(result.stderr).toBe('zstor: store needs -f FILE (see zstor store --help)\n')
  })

  it('a missing config exits 3 naming the file', async () => {
    const result = await zstor(['-c', join(dir, 'nope.toml'), 'status'])
    expect(result.code).toBe(3)
    expect(result.stderr).toContain('nope.toml')
    expect(result.stderr).not.toContain('    at ')
  })

  it('every command has --help', async () => {
    for (const command of ['store', 'retrieve', 'rebuild', 'check', 'test', 'status', 'monitor']) {
      const result = await zstor([command, '--help'])
      expect(result.code).toBe(0)
      expect(result.stdout).toContain(`zstor ${command}`)
    }
  })

  it('retrieve of a path never stored exits 1 with ERR_NOT_FOUND', async () => {
    const result = await zstor(['-c', config, 'retrieve', '-f', join(dir, 'never')])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^zstor: ERR_NOT_FOUND: /)
  })
})
