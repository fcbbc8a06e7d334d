/**
 * `qsfs init`: the three files of a node, and that zstor and the node read them back.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig, parseConfig, validateConfig, type ZstorConfig } from '@qsfs/zstor-client'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { loadNodeConfig } from '../src/config/node-config.js'
import { QsfsError } from '../src/errors.js'
import { defaultParity, type InitOptions, initNode } from '../src/init.js'
import { removeTempDirs, tempDir } from './helpers/env.js'

afterAll(removeTempDirs)

const mode = (file: string) => statSync(file).mode & 0o777

function refused(options: InitOptions): QsfsError {
  try {
    initNode(options)
  } catch (error) {
    expect(error).toBeInstanceOf(QsfsError)
    return error as QsfsError
  }
  throw new Error('initNode did not refuse')
}

/** zstor.toml as zstor reads it at start: parsed and validated. */
async function zstorOf(dir: string, env?: Record<string, string>): Promise<ZstorConfig> {
  const config = await loadConfig(join(dir, 'zstor.toml'), env ? { env } : {})
  validateConfig(config)
  return config
}

const labels = (config: ZstorConfig) => ({
  data: config.groups.flatMap((g) => g.backends.map((b) => b.label)),
  meta: config.meta.backends.map((b) => b.label),
})

describe('initNode', () => {
  it('by default makes a --local 4 node: k=3 m=1, key, zstor.toml and qsfs.toml', async () => {
    const dir = tempDir()
    const result = initNode({ dir })
    expect(result).toMatchObject({ dir, k: 3, m: 1, backends: 4 })
    const key = join(dir, 'key')
    expect([...result.files].sort()).toEqual([key, join(dir, 'qsfs.toml'), join(dir, 'zstor.toml')].sort())
    expect(mode(key)).toBe(0o600)
    expect(mode(join(dir, 'zstor.toml'))).toBe(0o600)
    expect(readFileSync(key, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/)

    const zstor = await zstorOf(dir)
    expect(zstor.minimalShards).toBe(3)
    expect(zstor.expectedShards).toBe(4)
    expect(zstor.redundantNodes).toBe(1)
    expect(zstor.keySource).toEqual({ kind: 'file', path: 'key' })
    expect(Buffer.from(zstor.key).toString('hex')).toBe(readFileSync(key, 'utf8').trim())
    expect(zstor.meta.key && Buffer.from(zstor.meta.key).toString('hex')).toBe(
      readFileSync(key, 'utf8').trim(),
    )
    const sockets = [0, 1, 2, 3].map((i) => `unix:${join(dir, 'backends', `b${i}.sock`)}`)
    expect(labels(zstor)).toEqual({
      data: sockets.map((s) => `${s}/qsfs-data`),
      meta: sockets.map((s) => `${s}/qsfs-meta`),
    })

    const node = loadNodeConfig(dir)
    expect(node).toMatchObject({
      mountpoint: join(dir, 'mnt'),
      cacheSize: 4 * 2 ** 30,
      segmentSize: 32 * 2 ** 20,
      lossWindow: 60,
      status: { host: '127.0.0.1', port: 9910 },
      localBackends: 4,
      localBackendsDir: join(dir, 'backends'),
      zstorConfig: join(dir, 'zstor.toml'),
    })
  })

  it('--local N runs N backends with the default parity', async () => {
    const dir = tempDir()
    expect(initNode({ dir, local: 7 })).toMatchObject({ k: 5, m: 2, backends: 7 })
    expect(labels(await zstorOf(dir)).data).toHaveLength(7)
    expect(loadNodeConfig(dir).localBackends).toBe(7)
  })

  it('--backend lists: remote data and meta backends, namespaces, password, no local backends', async () => {
    const dir = tempDir()
    const backends = ['10.0.0.1:9900', '[2001:db8::1]:9900', 'unix:/run/zdb.sock', 'h4:9900', 'h5:1', 'h6:2']
    const result = initNode({
      dir,
      backends,
      metaBackends: ['10.0.1.1:9900', '10.0.1.2:9900'],
      dataNamespace: 'd-ns',
      metaNamespace: 'm-ns',
      backendPassword: 'sekrit "quoted"',
    })
    expect(result).toMatchObject({ k: 4, m: 2, backends: 6 })
    const zstor = await zstorOf(dir)
    expect(labels(zstor)).toEqual({
      data: backends.map((b) => `${b}/d-ns`),
      meta: ['10.0.1.1:9900/m-ns', '10.0.1.2:9900/m-ns'],
    })
    for (const b of [...zstor.groups[0]!.backends, ...zstor.meta.backends])
      expect(b.password).toBe('sekrit "quoted"')
    expect(loadNodeConfig(dir).localBackends).toBe(0)
  })

  it('meta backends default to the data backends', async () => {
    const dir = tempDir()
    initNode({ dir, backends: ['a:1', 'b:2', 'c:3'] })
    expect(labels(await zstorOf(dir)).meta).toEqual(['a:1/qsfs-meta', 'b:2/qsfs-meta', 'c:3/qsfs-meta'])
  })

  it('the password of a --local node is not written (its backends have none)', () => {
    const dir = tempDir()
    initNode({ dir, local: 3, backendPassword: 'x' })
    expect(readFileSync(join(dir, 'zstor.toml'), 'utf8')).not.toContain('password')
  })

  it('explicit k and m', async () => {
    const dir = tempDir()
    expect(initNode({ dir, local: 6, dataShards: 2, parityShards: 3 })).toMatchObject({ k: 2, m: 3 })
    const zstor = await zstorOf(dir)
    expect([zstor.minimalShards, zstor.expectedShards]).toEqual([2, 5])
  })

  it('k+m above the backends is refused, saying how many are needed', () => {
    const dir = tempDir()
    const error = refused({ dir, backends: ['a:1', 'b:2', 'c:3'], dataShards: 3, parityShards: 1 })
    expect(error.code).toBe('ERR_USAGE')
    expect(error.message).toContain('k+m = 4 shards need 4 backends, only 3 given')
    expect(existsSync(join(dir, 'qsfs.toml'))).toBe(false)
    expect(refused({ dir, local: 4, dataShards: 4, parityShards: 1 }).message).toContain('k+m = 5')
  })

  it.each([
    [{ local: 0 }, 'give --local N or at least one --backend'],
    [{ local: 65 }, '--local must be'],
    [{ local: 2.5 }, '--local must be'],
    [{ local: -1 }, '--local must be'],
    [{ local: 2, backends: ['a:1', 'b:1'] }, 'exclude each other'],
    [{ local: 4, dataShards: 0 }, 'need at least 1 data shard'],
    [{ local: 1 }, 'parity'],
    [{ backends: ['a:1'] }, 'parity'],
    [{ local: 4, parityShards: 0 }, 'parity'],
  ] as const)('refuses %j', (options, message) => {
    const dir = tempDir()
    const error = refused({ dir, ...options })
    expect(error.code).toBe('ERR_USAGE')
    expect(error.message).toContain(message)
    expect(existsSync(join(dir, 'qsfs.toml'))).toBe(false)
  })

  it('an existing node is refused without force, kept intact; force overwrites', () => {
    const dir = tempDir()
    initNode({ dir, local: 4, cacheSize: 2 ** 30 })
    const before = readFileSync(join(dir, 'qsfs.toml'), 'utf8')
    const key = readFileSync(join(dir, 'key'), 'utf8')
    const error = refused({ dir, local: 5 })
    expect(error.code).toBe('ERR_NODE_EXISTS')
    expect(error.message).toContain('--force')
    expect(readFileSync(join(dir, 'qsfs.toml'), 'utf8')).toBe(before)
    expect(readFileSync(join(dir, 'key'), 'utf8')).toBe(key)
    const forced = initNode({ dir, local: 5, force: true })
    expect(forced.backends).toBe(5)
    expect(loadNodeConfig(dir).localBackends).toBe(5)
    // The key is not config: what the node stored is readable only with it.
    expect(forced.files).not.toContain(join(dir, 'key'))
    expect(readFileSync(join(dir, 'key'), 'utf8')).toBe(key)
  })

  it('a key file already there (without a node) is kept', () => {
    const dir = tempDir()
    const key = `${'ab'.repeat(32)}\n`
    writeFileSync(join(dir, 'key'), key, { mode: 0o600 })
    const result = initNode({ dir })
    expect(result.files).not.toContain(join(dir, 'key'))
    expect(readFileSync(join(dir, 'key'), 'utf8')).toBe(key)
  })

  it('passphrase_env: no key file; the key is derived from the variable and the salt', async () => {
    const dir = tempDir()
    const result = initNode({ dir, local: 3, passphraseEnv: 'QSFS_TEST_PASS' })
    expect(result.files).not.toContain(join(dir, 'key'))
    expect(existsSync(join(dir, 'key'))).toBe(false)
    const text = readFileSync(join(dir, 'zstor.toml'), 'utf8')
    expect(text).toContain('passphrase_env = "QSFS_TEST_PASS"')
    expect(text).toMatch(/salt = "[0-9a-f]{32}"/)
    const a = await zstorOf(dir, { QSFS_TEST_PASS: 'correct horse' })
    expect(a.keySource).toMatchObject({ kind: 'passphrase', env: 'QSFS_TEST_PASS' })
    const again = await parseConfig(text, { env: { QSFS_TEST_PASS: 'correct horse' } })
    expect(Buffer.from(again.key).equals(Buffer.from(a.key))).toBe(true)
    const other = await parseConfig(text, { env: { QSFS_TEST_PASS: 'battery staple' } })
    expect(Buffer.from(other.key).equals(Buffer.from(a.key))).toBe(false)
    await expect(parseConfig(text, { env: {} })).rejects.toThrow(/QSFS_TEST_PASS/)
  })

  it('writes the node options so that loadNodeConfig reads them back', () => {
    const dir = tempDir()
    initNode({
      dir,
      local: 3,
      mountpoint: join(dir, 'elsewhere'),
      cacheSize: 1536 * 2 ** 20,
      segmentSize: 12_345,
      lossWindow: 0,
      statusListen: 'off',
    })
    expect(loadNodeConfig(dir)).toMatchObject({
      mountpoint: join(dir, 'elsewhere'),
      cacheSize: 1536 * 2 ** 20,
      segmentSize: 12_345,
      lossWindow: 0,
      status: null,
    })
  })

  it('any cache and segment size round-trips through qsfs.toml', () => {
    const dir = tempDir()
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 42 }),
        fc.integer({ min: 4096, max: 2 ** 32 - 2 }),
        (cacheSize, segmentSize) => {
          initNode({ dir, local: 2, cacheSize, segmentSize, force: true })
          const node = loadNodeConfig(dir)
          return node.cacheSize === cacheSize && node.segmentSize === segmentSize
        },
      ),
      { numRuns: 30 },
    )
  })
})

describe('defaultParity', () => {
  it.each([
    [1, 0],
    [2, 1],
    [3, 1],
    [4, 1],
    [5, 1],
    [6, 2],
    [8, 2],
    [9, 3],
    [12, 4],
    [16, 5],
    [64, 21],
  ])('%d backends: %d parity', (backends, parity) => {
    expect(defaultParity(backends)).toBe(parity)
  })

  it('from 3 backends, overhead m/k stays within 25–50 %, and one backend may always be lost', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 256 }), (n) => {
        const m = defaultParity(n)
        const overhead = m / (n - m)
        return m >= 1 && overhead >= 0.25 && overhead <= 0.5
      }),
    )
  })
})
