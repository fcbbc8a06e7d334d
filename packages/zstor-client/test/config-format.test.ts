import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BackendAddress } from '@qsfs/zstor-codec'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type BackendConfig,
  backendLabel,
  type CompressionName,
  formatConfig,
  type GroupConfig,
  type KeySource,
  loadConfig,
  MAX_REPAIR_INTERVAL,
  parseConfig,
  validateConfig,
  type ZstorConfig,
} from '../src/config/index.js'
import { ConfigError } from '../src/errors.js'

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/config/${name}`, import.meta.url))
const FILE_KEY = Uint8Array.from({ length: 32 }, (_, i) => 255 - i)

let dir: string
let keyFile: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zstor-config-format-'))
  keyFile = join(dir, 'zstor.key')
  await writeFile(keyFile, `${Buffer.from(FILE_KEY).toString('hex')}\n`)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('formatConfig', () => {
  it('writes the upstream fixture back byte for byte (upstream config::tests::encoding)', async () => {
    const path = fixture('upstream.toml')
    expect(formatConfig(await loadConfig(path))).toBe(await readFile(path, 'utf8'))
  })

  it('writes a reordered config in upstream order, and what it writes reads back the same', async () => {
    const config = await loadConfig(fixture('quantum-storage.toml'))
    const text = formatConfig(config)
    expect(text.split('\n').filter((line) => line.startsWith('['))).toEqual([
      '[encryption]',
      '[compression]',
      '[meta]',
      '[meta.config]',
      '[meta.config.encryption]',
      ...Array(4).fill('[[meta.config.backends]]'),
      '[[groups]]',
      ...Array(4).fill('[[groups.backends]]'),
    ])
    expect(text).toContain('[[groups]]\n\n[[groups.backends]]')
    expect(await parseConfig(text)).toEqual({ ...config, file: null })
  })

  it('writes our fields after upstream’s scalars, and leaves out repair_interval at its default', async () => {
    const base = await loadConfig(fixture('upstream.toml'))
    const config: ZstorConfig = { ...base, queueDir: '/var/lib/zstor', repairInterval: 60, objectSize: 1024 }
    expect(formatConfig(config)).toContain(
      'prometheus_port = 9100\nqueue_dir = "/var/lib/zstor"\nrepair_interval = 60\nobject_size = 1024\n\n[encryption]',
    )
    expect(formatConfig({ ...config, repairInterval: 600 })).not.toContain('repair_interval')
  })

  it('writes each key source back the way it was given', async () => {
    const base = await loadConfig(fixture('upstream.toml'))
    const salt = Uint8Array.from({ length: 16 }, (_, i) => i)
    const params = { N: 2 ** 14, r: 8, p: 1 }
    const sources: [KeySource, string][] = [
      [{ kind: 'file', path: 'keys/zstor.key' }, 'key_file = "keys/zstor.key"'],
      [
        { kind: 'passphrase', salt, params, passphrase: 'a "quoted" phrase' },
        'passphrase = "a \\"quoted\\" phrase"',
      ],
      [{ kind: 'passphrase', salt, params, env: 'ZSTOR_PASSPHRASE' }, 'passphrase_env = "ZSTOR_PASSPHRASE"'],
    ]
    for (const [keySource, line] of sources) {
      const text = formatConfig({ ...base, keySource })
      expect(text).toContain(`[encryption]\nalgorithm = "AES"\n${line}\n`)
      if (keySource.kind === 'passphrase')
        expect(text).toContain(`salt = "000102030405060708090a0b0c0d0e0f"\nscrypt_n = 16384\n\n`)
    }
  })

  it('refuses to write a passphrase source that has neither its passphrase nor its variable', async () => {
    const base = await loadConfig(fixture('upstream.toml'))
    expect(() =>
      formatConfig({ ...base, keySource: { kind: 'passphrase', salt: new Uint8Array(16) } }),
    ).toThrow(ConfigError)
  })

  it('escapes quotes, backslashes and control characters so that strings read back unchanged', async () => {
    const base = await loadConfig(fixture('upstream.toml'))
    const odd = 'a"b\\c\nd\te\u0001f\u007fg é 🙂 # [[groups]] \' ]'
    const config: ZstorConfig = { ...base, root: odd, meta: { ...base.meta, prefix: odd }, file: null }
    expect(await parseConfig(formatConfig(config))).toEqual(config)
  })
})

// Strings that stress escaping and the line scanner: quotes, brackets, `#`, `=`, newlines.
const tricky = fc.constantFrom(
  '"',
  '\\',
  '\n',
  '\t',
  '\r',
  '\u007f',
  '\u0001',
  '#',
  '[',
  ']',
  '=',
  "'",
  'é',
  '🙂',
  'a',
  ' ',
  '.',
)
const text = (max: number) =>
  fc
    .oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: max }),
      fc.string({ unit: tricky, minLength: 1, maxLength: max }),
    )
    .filter((s) => !s.includes('\0'))
const address: fc.Arbitrary<BackendAddress> = fc.oneof(
  fc.record({
    kind: fc.constant('tcp' as const),
    host: fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain()),
    port: fc.integer({ min: 1, max: 65535 }),
  }),
  fc.record({
    kind: fc.constant('unix' as const),
    path: text(30)
      .map((s) => `/${s}`)
      .filter((p) => Buffer.byteLength(p) <= 107),
  }),
)
const backend: fc.Arbitrary<BackendConfig> = fc
  .record({
    address,
    namespace: fc.option(
      text(20).filter((s) => !s.includes('/') && Buffer.byteLength(s) <= 128),
      { nil: null },
    ),
    password: fc.option(text(20), { nil: null }),
  })
  .map((b) => ({ ...b, label: backendLabel(b.address, b.namespace) }))
const group: fc.Arbitrary<GroupConfig> = fc.record({ backends: fc.array(backend, { maxLength: 3 }) })
const key = fc.uint8Array({ minLength: 32, maxLength: 32 })
const dataKey = fc.oneof(
  key.map((k) => ({ key: k, keySource: { kind: 'hex' } as KeySource })),
  fc.constant(null).map(() => ({ key: FILE_KEY, keySource: { kind: 'file', path: keyFile } as KeySource })),
)
const shards = fc
  .integer({ min: 1, max: 255 })
  .chain((k) => fc.tuple(fc.constant(k), fc.integer({ min: k + 1, max: 256 })))
const path = fc.option(text(30), { nil: null })
const configArb: fc.Arbitrary<ZstorConfig> = fc
  .record({
    shards,
    redundantGroups: fc.nat(10),
    redundantNodes: fc.nat(10),
    root: path,
    socket: fc.option(
      text(30).filter((s) => Buffer.byteLength(s) <= 107),
      { nil: null },
    ),
    pidFile: path,
    zdbDataDirPath: path,
    maxZdbDataDirSize: fc.option(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { nil: null }),
    zdbfsMountpoint: path,
    prometheusPort: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: null }),
    dataKey,
    compression: fc.constantFrom<CompressionName>('snappy', 'zstd', 'none'),
    metaKey: fc.option(key, { nil: null }),
    prefix: text(20),
    metaBackends: fc.array(backend, { minLength: 1, maxLength: 4 }),
    groups: fc.array(group, { maxLength: 3 }),
    queueDir: path,
    repairInterval: fc.integer({ min: 1, max: MAX_REPAIR_INTERVAL }),
    objectSize: fc.option(fc.integer({ min: 1, max: 2 ** 30 }), { nil: null }),
  })
  .map(({ shards: [k, n], dataKey, metaKey, prefix, metaBackends, ...rest }) => ({
    ...rest,
    minimalShards: k,
    expectedShards: n,
    ...dataKey,
    meta: {
      prefix,
      backends: metaBackends,
      key: metaKey,
      keySource: metaKey === null ? null : ({ kind: 'hex' } as KeySource),
    },
    file: null,
  }))

describe('round trip', () => {
  it('parseConfig(formatConfig(c)) is c for generated configs', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, async (config) => {
        expect(await parseConfig(formatConfig(config))).toEqual(config)
      }),
      { numRuns: 200 },
    )
  })

  it('an unknown field added to any backend of a generated config is reported on its line', async () => {
    const target = configArb
      .filter((c) => c.groups.some((g) => g.backends.length > 0))
      .chain((c) => fc.tuple(fc.constant(c), fc.boolean(), fc.nat(), fc.nat()))
    await fc.assert(
      fc.asyncProperty(target, async ([config, inMeta, i, j]) => {
        const lines = formatConfig(config).split('\n')
        let expectedPath: string
        let header: string
        let occurrence: number
        if (inMeta) {
          occurrence = i % config.meta.backends.length
          expectedPath = `meta.config.backends[${occurrence}].bogus`
          header = '[[meta.config.backends]]'
        } else {
          const nonEmpty = config.groups.flatMap((g, gi) => (g.backends.length > 0 ? [gi] : []))
          const g = nonEmpty[i % nonEmpty.length]!
          const b = j % config.groups[g]!.backends.length
          expectedPath = `groups[${g}].backends[${b}].bogus`
          header = '[[groups.backends]]'
          occurrence = config.groups.slice(0, g).reduce((sum, gr) => sum + gr.backends.length, 0) + b
        }
        // Every value is on one line, so any line starting with `[` is a header.
        const at = lines.map((line, n) => (line === header ? n : -1)).filter((n) => n >= 0)[occurrence]!
        lines.splice(at + 1, 0, 'bogus = 1')
        const error = await parseConfig(lines.join('\n'), { file: 'c.toml' }).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(ConfigError)
        expect((error as ConfigError).message).toContain(
          `c.toml:${at + 2}: unknown field \`${expectedPath}\``,
        )
      }),
      { numRuns: 100 },
    )
  })
})

describe('validateConfig', () => {
  const load = () => loadConfig(fixture('upstream.toml'))
  const backendAt = (port: number, namespace: string | null = null): BackendConfig => {
    const address: BackendAddress = { kind: 'tcp', host: '10.1.0.1', port }
    return { address, namespace, password: null, label: backendLabel(address, namespace) }
  }

  it('accepts the upstream fixture', async () => {
    const config = await load()
    expect(() => validateConfig(config)).not.toThrow()
  })

  it('refuses fewer group backends than expected_shards, as upstream does, naming the file', async () => {
    const config = await load()
    const one: ZstorConfig = { ...config, groups: [{ backends: [backendAt(1), backendAt(2), backendAt(3)] }] }
    expect(() => validateConfig(one)).toThrow(
      `${config.file}: insufficient data backends: \`expected_shards\` is 4, so the groups must hold at least 4 backends; they hold 3`,
    )
  })

  it('refuses redundant_groups that leave no group to place shards in', async () => {
    const config = await load()
    expect(() => validateConfig({ ...config, redundantGroups: 2 })).toThrow(
      '`redundant_groups` is 2, but only 2 groups',
    )
  })

  it('refuses redundant_nodes above the parity shards', async () => {
    const config = await load()
    expect(() => validateConfig({ ...config, redundantNodes: 3 })).toThrow(
      '`redundant_nodes` is 3, more than the 2 parity shards',
    )
  })

  it('refuses a backend listed twice, in groups or between meta and data', async () => {
    const config = await load()
    const twice: ZstorConfig = {
      ...config,
      groups: [...config.groups, { backends: [config.groups[1]!.backends[1]!] }],
    }
    expect(() => validateConfig(twice)).toThrow(
      'backend 10.0.0.2:9900/test2 is listed twice: in groups[1].backends[1] and in groups[2].backends[0]',
    )
    const shared: ZstorConfig = {
      ...config,
      groups: [...config.groups, { backends: [config.meta.backends[0]!] }],
    }
    expect(() => validateConfig(shared)).toThrow('in meta.config.backends[0] and in groups[2].backends[0]')
  })

  it('treats host names and IPv6 literals that differ only in case as one backend', async () => {
    const config = await load()
    const upper = {
      ...config.groups[0]!.backends[1]!,
      address: { kind: 'tcp' as const, host: 'FE80::1', port: 9900 },
    }
    expect(() => validateConfig({ ...config, groups: [...config.groups, { backends: [upper] }] })).toThrow(
      'listed twice',
    )
  })

  it('refuses shard counts and keys a config built in code got wrong', async () => {
    const config = await load()
    expect(() => validateConfig({ ...config, expectedShards: 2 })).toThrow('`expected_shards` must be 3..256')
    expect(() => validateConfig({ ...config, key: new Uint8Array(16) })).toThrow(
      'the encryption key must be 32 bytes',
    )
    for (const bad of [
      { ...config, minimalShards: 0 },
      { ...config, meta: { ...config.meta, backends: [] } },
    ]) {
      expect(() => validateConfig(bad)).toThrow(ConfigError)
    }
  })
})
