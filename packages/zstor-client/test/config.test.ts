import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BackendAddress } from '@qsfs/zstor-codec'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  backendLabel,
  formatBackendAddress,
  loadConfig,
  parseBackendAddress,
  parseConfig,
} from '../src/config/index.js'
import { ConfigError } from '../src/errors.js'

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/config/${name}`, import.meta.url))
const hexBytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'))

const KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'
const HEAD = `minimal_shards = 1
expected_shards = 2
redundant_groups = 0
redundant_nodes = 0
`
const TAIL = `
[encryption]
algorithm = "AES"
key = "${KEY}"

[compression]
algorithm = "snappy"

[meta]
type = "zdb"

[meta.config]
prefix = "p"

[[meta.config.backends]]
address = "127.0.0.1:9900"

[[groups]]
[[groups.backends]]
address = "127.0.0.1:9901"

[[groups.backends]]
address = "127.0.0.1:9902"
`

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zstor-config-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('upstream configs', () => {
  it('an upstream README-style config parses unchanged, every field read', async () => {
    const path = fixture('upstream.toml')
    const config = await loadConfig(path)
    expect(config).toMatchObject({
      minimalShards: 2,
      expectedShards: 4,
      redundantGroups: 0,
      redundantNodes: 0,
      root: '/virtualroot',
      socket: '/tmp/zstor.sock',
      pidFile: '/tmp/zstor.pid',
      zdbDataDirPath: '/data/data/zdbfs-data',
      maxZdbDataDirSize: 2560,
      zdbfsMountpoint: '/mnt/qsfs',
      prometheusPort: 9100,
      keySource: { kind: 'hex' },
      compression: 'snappy',
      queueDir: null,
      repairInterval: 600,
      objectSize: null,
      file: path,
    })
    expect(config.key).toEqual(hexBytes(KEY))
    expect(config.meta.prefix).toBe('someprefix')
    expect(config.meta.keySource).toEqual({ kind: 'hex' })
    expect(config.meta.key).toEqual(new Uint8Array(32).fill(1))
    expect(config.meta.backends.map((b) => [b.label, b.password])).toEqual([
      ['[2a02:1802:5e::dead:beef]:9900/meta1', 'supersecretpass'],
      ['[2a02:1802:5e::dead:beef]:9901/meta2', 'supersecretpass'],
      ['10.0.0.3:9900/meta3', 'supersecretpass'],
      ['10.0.0.4:9900/meta4', 'supersecretpass'],
    ])
    expect(config.groups).toEqual([
      {
        backends: [
          {
            address: { kind: 'tcp', host: 'fe80::1', port: 9900 },
            namespace: null,
            password: null,
            label: '[fe80::1]:9900',
          },
          {
            address: { kind: 'tcp', host: 'fe80::1', port: 9900 },
            namespace: 'test',
            password: null,
            label: '[fe80::1]:9900/test',
          },
        ],
      },
      {
        backends: [
          {
            address: { kind: 'tcp', host: '2a02:1802:5e::dead:babe', port: 9900 },
            namespace: null,
            password: null,
            label: '[2a02:1802:5e::dead:babe]:9900',
          },
          {
            address: { kind: 'tcp', host: '10.0.0.2', port: 9900 },
            namespace: 'test2',
            password: 'supersecretpass',
            label: '10.0.0.2:9900/test2',
          },
        ],
      },
    ])
  })

  it('a config laid out as the quantum-storage scripts write it (tables reordered, no blank after [[groups]]) parses', async () => {
    const config = await loadConfig(fixture('quantum-storage.toml'))
    expect(config.root).toBe('/')
    expect(config.maxZdbDataDirSize).toBe(64)
    expect(config.meta.prefix).toBe('zstor-meta')
    expect(config.meta.key).toEqual(config.key)
    expect(config.meta.backends).toHaveLength(4)
    expect(config.groups.map((g) => g.backends.map((b) => b.label))).toEqual([
      ['127.0.0.1:9901/data1', '127.0.0.1:9902/data2', '127.0.0.1:9903/data3', '127.0.0.1:9904/data4'],
    ])
  })

  it('a config read from text has no file and the same fields as when loaded', async () => {
    const path = fixture('upstream.toml')
    const fromText = await parseConfig(await readFile(path, 'utf8'))
    expect(fromText.file).toBeNull()
    expect({ ...fromText, file: path }).toEqual(await loadConfig(path))
  })

  it('a byte-order mark before the first field is ignored', async () => {
    const path = join(dir, 'bom.toml')
    await writeFile(path, `\uFEFF${HEAD}${TAIL}`)
    expect((await loadConfig(path)).minimalShards).toBe(1)
  })

  it('a config file that does not exist, or is not UTF-8, is a read error naming the path', async () => {
    const missing = join(dir, 'missing.toml')
    await expect(loadConfig(missing)).rejects.toMatchObject({
      code: 'ERR_CONFIG_READ',
      message: expect.stringContaining(missing),
    })
    await expect(loadConfig(dir)).rejects.toMatchObject({
      code: 'ERR_CONFIG_READ',
      message: expect.stringContaining('EISDIR'),
    })
    const latin1 = join(dir, 'latin1.toml')
    await writeFile(latin1, Buffer.from(`${HEAD}root = "/caf\xe9"\n${TAIL}`, 'latin1'))
    await expect(loadConfig(latin1)).rejects.toMatchObject({
      code: 'ERR_CONFIG_READ',
      message: expect.stringContaining('UTF-8'),
    })
  })
})

describe('our additions', () => {
  it('queue_dir, repair_interval and object_size are read', async () => {
    const text = `${HEAD}queue_dir = "/var/lib/zstor/queue"\nrepair_interval = 3600\nobject_size = 8388608\n${TAIL}`
    const config = await parseConfig(text)
    expect([config.queueDir, config.repairInterval, config.objectSize]).toEqual([
      '/var/lib/zstor/queue',
      3600,
      8388608,
    ])
  })

  it.each(['zstd', 'none'] as const)('compression may be %s', async (name) => {
    const config = await parseConfig(
      `${HEAD}${TAIL}`.replace('algorithm = "snappy"', `algorithm = "${name}"`),
    )
    expect(config.compression).toBe(name)
  })

  it('meta.config.encryption may be left out, and a single meta backend is enough', async () => {
    const config = await parseConfig(`${HEAD}${TAIL}`)
    expect(config.meta.keySource).toBeNull()
    expect(config.meta.key).toBeNull()
    expect(config.meta.backends).toHaveLength(1)
  })

  it('groups and backends may be written as inline tables', async () => {
    const inline = `groups = [
  { backends = [{ address = "127.0.0.1:9901" }, { address = "127.0.0.1:9902", namespace = "n" }] },
]
`
    const config = await parseConfig(`${HEAD}${inline}${TAIL.slice(0, TAIL.indexOf('[[groups]]'))}`)
    expect(config.groups.map((g) => g.backends.map((b) => b.label))).toEqual([
      ['127.0.0.1:9901', '127.0.0.1:9902/n'],
    ])
  })
})

describe('backend addresses', () => {
  const good: [text: string, address: BackendAddress][] = [
    ['127.0.0.1:9900', { kind: 'tcp', host: '127.0.0.1', port: 9900 }],
    ['[::1]:9900', { kind: 'tcp', host: '::1', port: 9900 }],
    ['[fe80::1]:1', { kind: 'tcp', host: 'fe80::1', port: 1 }],
    ['[2a02:1802:5e::dead:beef]:65535', { kind: 'tcp', host: '2a02:1802:5e::dead:beef', port: 65535 }],
    ['zdb1.example:9900', { kind: 'tcp', host: 'zdb1.example', port: 9900 }],
    ['localhost:9900', { kind: 'tcp', host: 'localhost', port: 9900 }],
    ['unix:/run/zdb.sock', { kind: 'unix', path: '/run/zdb.sock' }],
  ]
  it.each(good)('%s is read, and written back the same', async (text, address) => {
    const config = await parseConfig(
      `${HEAD}${TAIL}`.replace('address = "127.0.0.1:9902"', `address = "${text}"\nnamespace = "ns"`),
    )
    const backend = config.groups[0]!.backends[1]!
    expect(backend.address).toEqual(address)
    expect(backend.label).toBe(`${text}/ns`)
    expect(formatBackendAddress(address)).toBe(text)
    expect(parseBackendAddress(text)).toEqual(address)
  })

  const bad: [text: string, problem: string][] = [
    ['::1:9900', 'must put an IPv6 address in brackets'],
    ['127.0.0.1', 'must end in `:port`'],
    ['127.0.0.1:0', 'has port 0; a port must be 1..65535'],
    ['127.0.0.1:65536', 'has port 65536'],
    ['127.0.0.1:http', 'must end in `:port`'],
    ['256.1.1.1:9900', 'has host "256.1.1.1", which is not a valid IPv4 address'],
    [
      'zdb_1!.example:9900',
      'has host "zdb_1!.example", which is neither an IP address nor a valid host name',
    ],
    ['-zdb.example:9900', 'has host "-zdb.example", which is neither an IP address nor a valid host name'],
    ['[zdb]:9900', 'must hold an IPv6 address in its brackets'],
    ['[::1]9900', 'must end in `:port`'],
    ['unix:run/zdb.sock', 'must give an absolute socket path'],
    [`unix:/${'s'.repeat(107)}`, 'is a socket path of 108 bytes; the kernel takes at most 107'],
  ]
  it.each(bad)('%s is refused: %s', async (text, problem) => {
    const config = `${HEAD}${TAIL}`.replace('127.0.0.1:9902', text)
    const line = config.split('\n').indexOf(`address = "${text}"`) + 1
    const error = await parseConfig(config).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect(error).toMatchObject({ code: 'ERR_CONFIG_INVALID' })
    expect((error as ConfigError).message).toContain(
      `line ${line}: \`groups[0].backends[1].address\` ${problem}`,
    )
    expect(() => parseBackendAddress(text)).toThrow(problem)
  })

  it('the label of the default namespace is the address alone', () => {
    expect(backendLabel({ kind: 'unix', path: '/run/zdb.sock' }, null)).toBe('unix:/run/zdb.sock')
    expect(backendLabel({ kind: 'unix', path: '/run/zdb.sock' }, 'ns')).toBe('unix:/run/zdb.sock/ns')
  })
})
