import { describe, expect, it } from 'vitest'
import { parseConfig } from '../src/config/index.js'
import { ConfigError, type ConfigErrorCode } from '../src/errors.js'

const KEY = '5ec2e7ab'.repeat(8)
const META_KEY = '7e57ab1e'.repeat(8)
const PASSWORD = 'hunter2-zdb-password'
const SECRETS = [KEY.slice(0, 16), META_KEY.slice(0, 16), PASSWORD, 'p4ssphr4se-s3cret']

const BASE = `minimal_shards = 2
expected_shards = 3
redundant_groups = 0
redundant_nodes = 0

[encryption]
algorithm = "AES"
key = "${KEY}"

[compression]
algorithm = "snappy"

[meta]
type = "zdb"

[meta.config]
prefix = "zstor-meta"

[meta.config.encryption]
algorithm = "AES"
key = "${META_KEY}"

[[meta.config.backends]]
address = "[::1]:9901"
namespace = "meta1"
password = "${PASSWORD}"

[[meta.config.backends]]
address = "[::1]:9902"
namespace = "meta2"

[[groups]]
[[groups.backends]]
address = "10.0.0.1:9900"
namespace = "data1"
password = "${PASSWORD}"

[[groups]]
[[groups.backends]]
address = "10.0.0.2:9900"

[[groups.backends]]
address = "zdb3.example:9900"
namespace = "data3"
`

/** `text` with the one occurrence of `from` replaced. */
function edit(text: string, from: string, to: string): string {
  const at = text.indexOf(from)
  if (at < 0 || text.indexOf(from, at + 1) >= 0)
    throw new Error(`${JSON.stringify(from)} must occur exactly once`)
  return text.slice(0, at) + to + text.slice(at + from.length)
}

/** The 1-based line of the one occurrence of `needle`: the oracle for the locator. */
function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle)
  if (at < 0 || text.indexOf(needle, at + 1) >= 0)
    throw new Error(`${JSON.stringify(needle)} must occur exactly once`)
  return text.slice(0, at).split('\n').length
}

/** The first line of `to` that `from` does not have: where an edit put its field. */
function newLine(from: string, to: string): string {
  const old = new Set(from.split('\n'))
  const line = to.split('\n').find((l) => l !== '' && !old.has(l))
  if (line === undefined) throw new Error(`${JSON.stringify(to)} adds no line`)
  return line
}

/** The ConfigError that parsing `text` fails with; checks that no secret is in its message. */
async function refusal(text: string, code: ConfigErrorCode): Promise<string> {
  const error: unknown = await parseConfig(text, { file: 'zstor.toml', env: {} }).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ConfigError)
  const { message } = error as ConfigError
  expect((error as ConfigError).code, message).toBe(code)
  for (const secret of SECRETS) expect(message).not.toContain(secret)
  return message
}

describe('the base text of these tests', () => {
  it('parses, so each refusal below is caused by its own edit', async () => {
    const config = await parseConfig(BASE)
    expect(config.groups.map((g) => g.backends.length)).toEqual([1, 2])
  })
})

describe('unknown fields', () => {
  const cases: [where: string, from: string, to: string, path: string][] = [
    ['at the top level', 'redundant_nodes = 0\n', 'redundant_nodes = 0\nreplication = 2\n', 'replication'],
    ['in encryption', '[encryption]\n', '[encryption]\nmode = "gcm"\n', 'encryption.mode'],
    ['in compression', 'algorithm = "snappy"\n', 'algorithm = "snappy"\nlevel = 3\n', 'compression.level'],
    ['in meta', 'type = "zdb"\n', 'type = "zdb"\nkind = 1\n', 'meta.kind'],
    [
      'in meta.config (upstream etcd field)',
      'prefix = "zstor-meta"\n',
      'prefix = "zstor-meta"\nendpoints = []\n',
      'meta.config.endpoints',
    ],
    [
      'in meta.config.encryption',
      '[meta.config.encryption]\n',
      '[meta.config.encryption]\nnonce = "x"\n',
      'meta.config.encryption.nonce',
    ],
    [
      'in a meta backend',
      'namespace = "meta2"\n',
      'namespace = "meta2"\npasword = "x"\n',
      'meta.config.backends[1].pasword',
    ],
    [
      'in a group',
      '[[groups]]\n[[groups.backends]]\naddress = "10.0.0.2',
      '[[groups]]\nname = "dc2"\n[[groups.backends]]\naddress = "10.0.0.2',
      'groups[1].name',
    ],
    [
      'in a group backend',
      'namespace = "data3"\n',
      'namespace = "data3"\nweight = 1\n',
      'groups[1].backends[1].weight',
    ],
  ]
  it.each(cases)('an unknown field %s is refused with its path and line', async (_where, from, to, path) => {
    const text = edit(BASE, from, to)
    const message = await refusal(text, 'ERR_CONFIG_UNKNOWN_FIELD')
    expect(message).toContain(`unknown field \`${path}\``)
    expect(message).toContain(`zstor.toml:${lineOf(text, newLine(from, to))}:`)
  })

  it('a misspelt backend field is refused with its path, its line and the likely field', async () => {
    const text = edit(BASE, 'address = "zdb3.example:9900"', 'adress = "zdb3.example:9900"')
    const message = await refusal(text, 'ERR_CONFIG_UNKNOWN_FIELD')
    expect(message).toContain('unknown field `groups[1].backends[1].adress`')
    expect(message).toContain(`zstor.toml:${lineOf(text, 'adress')}:`)
    expect(message).toContain('did you mean `address`?')
  })

  it('an unknown field inside inline tables is located on the line that holds it', async () => {
    const groups = `groups = [
  { backends = [{ address = "10.0.0.1:9900" }] },
  { backends = [
    { address = "10.0.0.2:9900" },
    { address = "10.0.0.3:9900", adress = "x" },
  ] },
]
`
    const text = edit(
      BASE.slice(0, BASE.indexOf('[[groups]]')),
      'redundant_nodes = 0\n',
      `redundant_nodes = 0\n${groups}`,
    )
    const message = await refusal(text, 'ERR_CONFIG_UNKNOWN_FIELD')
    expect(message).toContain('`groups[1].backends[1].adress`')
    expect(message).toContain(`zstor.toml:${lineOf(text, 'adress')}:`)
  })

  it('headers, comments and dotted keys inside strings do not shift the reported line', async () => {
    const tricky = `password = '''\n[[groups]]\n[[groups.backends]]\n'''\n# [[groups]]\n`
    let text = edit(BASE, `namespace = "data1"\npassword = "${PASSWORD}"\n`, `namespace = "data1"\n${tricky}`)
    text = edit(text, 'namespace = "data3"\n', 'namespace = "data3"\nx.y = "[[groups]] # \\" a.b = 1"\n')
    const message = await refusal(text, 'ERR_CONFIG_UNKNOWN_FIELD')
    expect(message).toContain(
      `zstor.toml:${lineOf(text, 'x.y =')}: unknown field \`groups[1].backends[1].x\``,
    )
  })

  it('a __proto__ key is an unknown field like any other', async () => {
    const text = edit(BASE, 'namespace = "data3"\n', 'namespace = "data3"\n__proto__ = 1\n')
    const message = await refusal(text, 'ERR_CONFIG_UNKNOWN_FIELD')
    expect(message).toContain(
      `zstor.toml:${lineOf(text, '__proto__')}: unknown field \`groups[1].backends[1].__proto__\``,
    )
  })

  it('a quoted key is named quoted, and without a file the line is still given', async () => {
    const text = edit(BASE, 'redundant_nodes = 0\n', 'redundant_nodes = 0\n"two words" = 1\n')
    const error = await parseConfig(text).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toMatch(
      /^ERR_CONFIG_UNKNOWN_FIELD: line 5: unknown field `"two words"`/,
    )
  })
})

describe('syntax errors', () => {
  it('a TOML syntax error gives its line and column and does not echo the key', async () => {
    const text = edit(BASE, `key = "${KEY}"`, `key = "${KEY}`)
    const message = await refusal(text, 'ERR_CONFIG_SYNTAX')
    expect(message).toMatch(new RegExp(`^ERR_CONFIG_SYNTAX: zstor.toml:${lineOf(text, KEY)}: column \\d+: `))
  })

  it('a field given twice is a syntax error on the second line', async () => {
    const text = edit(BASE, 'redundant_nodes = 0\n', 'redundant_nodes = 0\nminimal_shards = 3\n')
    const message = await refusal(text, 'ERR_CONFIG_SYNTAX')
    expect(message).toContain(`zstor.toml:${lineOf(text, 'minimal_shards = 3')}:`)
  })

  it('text that is not a string is refused as a ConfigError', async () => {
    await expect(parseConfig(42 as unknown as string)).rejects.toMatchObject({ code: 'ERR_CONFIG_SYNTAX' })
  })
})

describe('missing fields', () => {
  const cases: [field: string, from: string, to: string][] = [
    ['minimal_shards', 'minimal_shards = 2\n', ''],
    ['expected_shards', 'expected_shards = 3\n', ''],
    ['redundant_groups', 'redundant_groups = 0\n', ''],
    ['redundant_nodes', 'redundant_nodes = 0\n', ''],
    ['encryption', `[encryption]\nalgorithm = "AES"\nkey = "${KEY}"\n`, ''],
    ['compression', '[compression]\nalgorithm = "snappy"\n', ''],
    ['encryption.algorithm', `[encryption]\nalgorithm = "AES"\n`, '[encryption]\n'],
    ['encryption.key', `key = "${KEY}"`, ''],
    ['meta.type', 'type = "zdb"\n', ''],
    ['meta.config.prefix', 'prefix = "zstor-meta"\n', ''],
    ['groups', BASE.slice(BASE.indexOf('[[groups]]')), ''],
    [
      'groups[1].backends',
      '[[groups]]\n[[groups.backends]]\naddress = "10.0.0.2:9900"\n\n[[groups.backends]]\naddress = "zdb3.example:9900"\nnamespace = "data3"\n',
      '[[groups]]\n',
    ],
    ['meta.config.backends[1].address', 'address = "[::1]:9902"\n', ''],
  ]
  it.each(cases)('a missing `%s` is named', async (name, from, to) => {
    const message = await refusal(edit(BASE, from, to), 'ERR_CONFIG_MISSING_FIELD')
    expect(message).toContain(`missing field \`${name}\``)
  })

  it('a missing nested field is located at the header of its table', async () => {
    const text = edit(BASE, 'address = "[::1]:9902"\n', '')
    const message = await refusal(text, 'ERR_CONFIG_MISSING_FIELD')
    const header = text.split('\n').lastIndexOf('[[meta.config.backends]]') + 1
    expect(message).toContain(`zstor.toml:${header}: missing field \`meta.config.backends[1].address\``)
  })
})

describe('invalid values', () => {
  const cases: [what: string, from: string, to: string, expected: string][] = [
    [
      'minimal_shards 0',
      'minimal_shards = 2',
      'minimal_shards = 0',
      '`minimal_shards` must be an integer 1..255, got 0',
    ],
    [
      'minimal_shards 256',
      'minimal_shards = 2',
      'minimal_shards = 256',
      '`minimal_shards` must be an integer 1..255, got 256',
    ],
    ['a float shard count', 'minimal_shards = 2', 'minimal_shards = 2.0', 'got 2 (a float)'],
    ['a string shard count', 'minimal_shards = 2', 'minimal_shards = "2"', 'got "2"'],
    [
      'no parity',
      'expected_shards = 3',
      'expected_shards = 2',
      '`expected_shards` must be an integer 3..256',
    ],
    ['more than 256 shards', 'expected_shards = 3', 'expected_shards = 257', 'got 257'],
    [
      'negative redundancy',
      'redundant_groups = 0',
      'redundant_groups = -1',
      '`redundant_groups` must be an integer ≥ 0, got -1',
    ],
    [
      'port 0',
      'redundant_nodes = 0',
      'redundant_nodes = 0\nprometheus_port = 0',
      '`prometheus_port` must be an integer 1..65535, got 0',
    ],
    ['port 65536', 'redundant_nodes = 0', 'redundant_nodes = 0\nprometheus_port = 65536', 'got 65536'],
    [
      'a zero dir size',
      'redundant_nodes = 0',
      'redundant_nodes = 0\nmax_zdb_data_dir_size = 0',
      '`max_zdb_data_dir_size` must be a size in MiB ≥ 1',
    ],
    [
      'repair_interval 0',
      'redundant_nodes = 0',
      'redundant_nodes = 0\nrepair_interval = 0',
      '`repair_interval` must be a number of seconds',
    ],
    [
      'object_size over 1 GiB',
      'redundant_nodes = 0',
      'redundant_nodes = 0\nobject_size = 1073741825',
      '`object_size` must be a number of bytes 1..1073741824',
    ],
    ['an empty root', 'redundant_nodes = 0', 'redundant_nodes = 0\nroot = ""', '`root` must not be empty'],
    [
      'a numeric root',
      'redundant_nodes = 0',
      'redundant_nodes = 0\nroot = 5',
      '`root` must be a string, got 5',
    ],
    [
      'a date for a path',
      'redundant_nodes = 0',
      'redundant_nodes = 0\npid_file = 1979-05-27',
      'got a date-time',
    ],
    [
      'a long socket path',
      'redundant_nodes = 0',
      `redundant_nodes = 0\nsocket = "/${'s'.repeat(120)}"`,
      'the kernel takes at most 107',
    ],
    [
      'algorithm "aes"',
      'algorithm = "AES"\nkey = "5',
      'algorithm = "aes"\nkey = "5',
      '`encryption.algorithm` must be "AES", got "aes"',
    ],
    [
      'compression "lz4"',
      'algorithm = "snappy"',
      'algorithm = "lz4"',
      '`compression.algorithm` must be one of "snappy", "zstd", "none", got "lz4"',
    ],
    ['meta type "etcd"', 'type = "zdb"', 'type = "etcd"', '`meta.type` must be "zdb", got "etcd"'],
    [
      'a short key',
      `key = "${KEY}"`,
      `key = "${KEY.slice(0, 10)}"`,
      '`encryption.key` must be 64 hex characters (32 bytes), got 10 characters',
    ],
    ['a non-hex key', `key = "${KEY}"`, `key = "${KEY.slice(0, 63)}g"`, 'character 64 is not one'],
    [
      'a numeric key',
      `key = "${KEY}"`,
      'key = 123456789',
      '`encryption.key` must be a string, got an integer',
    ],
    [
      'a key and a key file',
      `key = "${KEY}"`,
      `key = "${KEY}"\nkey_file = "k"`,
      'it gives `key` and `key_file`',
    ],
    [
      'a salt beside a hex key',
      `key = "${META_KEY}"`,
      `key = "${META_KEY}"\nsalt = "00"`,
      '`meta.config.encryption.salt` is only used with a passphrase',
    ],
    [
      'an empty namespace',
      'namespace = "data3"',
      'namespace = ""',
      '`groups[1].backends[1].namespace` must not be empty',
    ],
    ['a namespace with a slash', 'namespace = "data3"', 'namespace = "a/b"', "without `/` (0-db's rule)"],
    [
      'a namespace of 129 bytes',
      'namespace = "data3"',
      `namespace = "${'n'.repeat(129)}"`,
      'must be 1..128 bytes',
    ],
    [
      'a numeric password',
      'namespace = "meta2"',
      'namespace = "meta2"\npassword = 271828',
      '`meta.config.backends[1].password` must be a string, got an integer',
    ],
    [
      'an address without port',
      'address = "10.0.0.2:9900"',
      'address = "10.0.0.2"',
      '`groups[1].backends[0].address` must end in `:port`',
    ],
    [
      'backends as a string',
      '[[groups]]\n[[groups.backends]]\naddress = "10.0.0.2:9900"\n',
      '[[groups]]\nbackends = "10.0.0.2:9900"\n[[groups]]\n[[groups.backends]]\naddress = "10.0.0.2:9900"\n',
      '`groups[1].backends` must be an array of tables, got "10.0.0.2:9900"',
    ],
  ]
  it.each(cases)(
    '%s is refused with its path, line and what is expected',
    async (_what, from, to, expected) => {
      const text = edit(BASE, from, to)
      const message = await refusal(text, 'ERR_CONFIG_INVALID')
      expect(message).toContain(`zstor.toml:${lineOf(text, newLine(from, to))}: `)
      expect(message).toContain(expected)
    },
  )

  it('encryption given as a string is refused as not a table', async () => {
    const text = edit(
      edit(BASE, `[encryption]\nalgorithm = "AES"\nkey = "${KEY}"\n`, ''),
      'redundant_nodes = 0\n',
      'redundant_nodes = 0\nencryption = "AES"\n',
    )
    expect(await refusal(text, 'ERR_CONFIG_INVALID')).toContain(
      'zstor.toml:5: `encryption` must be a table, got "AES"',
    )
  })

  it('a group backend that is not a table is refused with its index', async () => {
    const text = edit(
      BASE.slice(0, BASE.indexOf('[[groups]]')),
      'redundant_nodes = 0\n',
      'redundant_nodes = 0\ngroups = [{ backends = [5] }]\n',
    )
    expect(await refusal(text, 'ERR_CONFIG_INVALID')).toContain(
      '`groups[0].backends[0]` must be a table, got 5',
    )
  })

  it('a meta store without backends is refused', async () => {
    const withoutMeta =
      BASE.slice(0, BASE.indexOf('[[meta.config.backends]]')) + BASE.slice(BASE.indexOf('[[groups]]'))
    const text = edit(withoutMeta, 'prefix = "zstor-meta"', 'prefix = "zstor-meta"\nbackends = []')
    expect(await refusal(text, 'ERR_CONFIG_INVALID')).toContain(
      `zstor.toml:${lineOf(text, 'backends = []')}: \`meta.config.backends\` must list at least 1 backend`,
    )
  })
})

describe('secrets in messages', () => {
  it('no refusal quotes the key, the meta key or a password, whatever the field', async () => {
    const texts = [
      edit(BASE, `key = "${KEY}"`, `key = "${KEY}0"`),
      edit(BASE, `key = "${KEY}"`, `key = "${KEY.slice(0, 40)}"`),
      edit(BASE, `key = "${META_KEY}"`, `key = "x${META_KEY.slice(1)}"`),
      edit(BASE, `key = "${META_KEY}"`, `key = ["${META_KEY}"]`),
      edit(BASE, `key = "${KEY}"`, `passphrase = "p4ssphr4se-s3cret"\nsalt = "zz"`),
      edit(BASE, 'namespace = "meta2"', `namespace = "meta2"\npassword = ""`),
      edit(BASE, `password = "${PASSWORD}"\n\n[[meta`, `password = "${PASSWORD}\n\n[[meta`),
      edit(BASE, 'namespace = "meta2"', 'namespace = "meta2"\npassword = 31415926'),
    ]
    for (const text of texts) {
      const error = await parseConfig(text).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConfigError)
      for (const secret of [KEY.slice(0, 16), META_KEY.slice(1, 17), 'p4ssphr4se', PASSWORD, '31415926']) {
        expect((error as ConfigError).message).not.toContain(secret)
      }
    }
  })
})
