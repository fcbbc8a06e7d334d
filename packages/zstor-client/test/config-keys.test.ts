import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { DEFAULT_SCRYPT_PARAMS, deriveKey } from '@qsfs/zstor-codec'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, parseConfig } from '../src/config/index.js'
import { ConfigError, type ConfigErrorCode } from '../src/errors.js'

const KEY = 'a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf'
const SALT = '000102030405060708090a0b0c0d0e0f'
const PASSPHRASE = 'correct horse battery staple'
// The floor of the codec's scrypt settings, so that these tests take milliseconds per key.
const FAST = { N: 2 ** 14, r: 8, p: 1 }

/** A config whose `[encryption]` table is `encryption`, and `[meta.config.encryption]` is `meta` if given. */
function config(encryption: string, meta?: string): string {
  return `minimal_shards = 1
expected_shards = 2
redundant_groups = 0
redundant_nodes = 0

[encryption]
algorithm = "AES"
${encryption}

[compression]
algorithm = "snappy"

[meta]
type = "zdb"

[meta.config]
prefix = "p"
${meta === undefined ? '' : `\n[meta.config.encryption]\nalgorithm = "AES"\n${meta}\n`}
[[meta.config.backends]]
address = "127.0.0.1:9900"

[[groups]]
[[groups.backends]]
address = "127.0.0.1:9901"
`
}

async function refusal(promise: Promise<unknown>, code: ConfigErrorCode): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ConfigError)
  expect((error as ConfigError).code, (error as ConfigError).message).toBe(code)
  return (error as ConfigError).message
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zstor-config-keys-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('hex keys', () => {
  it('a hex key in either case is the 32 bytes it spells', async () => {
    const lower = await parseConfig(config(`key = "${KEY}"`))
    const upper = await parseConfig(config(`key = "${KEY.toUpperCase()}"`))
    expect(lower.key).toEqual(Uint8Array.from(Buffer.from(KEY, 'hex')))
    expect(upper.key).toEqual(lower.key)
    expect(lower.keySource).toEqual({ kind: 'hex' })
  })
})

describe('key files', () => {
  it('a relative key_file is read from the config file’s directory, whitespace trimmed', async () => {
    const sub = join(dir, 'etc')
    await mkdir(sub, { recursive: true })
    await writeFile(join(sub, 'zstor.key'), `  ${KEY}\n\n`)
    await writeFile(join(sub, 'zstor.toml'), config('key_file = "zstor.key"', 'key_file = "./zstor.key"'))
    const loaded = await loadConfig(join(sub, 'zstor.toml'))
    expect(loaded.key).toEqual(Uint8Array.from(Buffer.from(KEY, 'hex')))
    expect(loaded.keySource).toEqual({ kind: 'file', path: 'zstor.key' })
    expect(loaded.meta.keySource).toEqual({ kind: 'file', path: './zstor.key' })
    expect(loaded.meta.key).toEqual(loaded.key)
  })

  it('an absolute key_file is read as it is, and a relative one without a config file from the working directory', async () => {
    const path = join(dir, 'absolute.key')
    await writeFile(path, KEY)
    expect((await parseConfig(config(`key_file = ${JSON.stringify(path)}`))).key[0]).toBe(0xa0)
    const fromCwd = relative(process.cwd(), path)
    expect((await parseConfig(config(`key_file = ${JSON.stringify(fromCwd)}`))).key[0]).toBe(0xa0)
  })

  it('a key_file that cannot be read is a read error naming the field, the line and the path', async () => {
    const missing = join(dir, 'missing.key')
    const message = await refusal(
      parseConfig(config(`key_file = ${JSON.stringify(missing)}`), { file: 'zstor.toml' }),
      'ERR_CONFIG_READ',
    )
    expect(message).toContain(
      `zstor.toml:8: \`encryption.key_file\`: cannot read ${JSON.stringify(missing)}: no such file (ENOENT)`,
    )
  })

  it('a key file that does not hold 64 hex characters is refused without quoting what it holds', async () => {
    const short = join(dir, 'short.key')
    await writeFile(short, 'deadbeefcafe1234')
    const message = await refusal(
      parseConfig(config(`key_file = ${JSON.stringify(short)}`)),
      'ERR_CONFIG_INVALID',
    )
    expect(message).toContain('must be 64 hex characters (32 bytes), got 16 characters')
    expect(message).not.toContain('deadbeef')
  })

  it('a key_file pointing at an endless device is read only up to its cap', async () => {
    const message = await refusal(parseConfig(config('key_file = "/dev/zero"')), 'ERR_CONFIG_INVALID')
    expect(message).toContain('got 4097 characters')
  })
})

describe('passphrases', () => {
  const fast = `salt = "${SALT}"\nscrypt_n = 16384`

  it('a passphrase with its salt and scrypt settings gives the key deriveKey gives', async () => {
    const parsed = await parseConfig(config(`passphrase = "${PASSPHRASE}"\n${fast}`))
    const salt = Uint8Array.from(Buffer.from(SALT, 'hex'))
    const expected = await deriveKey({ passphrase: PASSPHRASE, salt, params: FAST })
    expect(parsed.key).toEqual(expected.key)
    expect(parsed.keySource).toEqual({ kind: 'passphrase', salt, params: FAST, passphrase: PASSPHRASE })
  })

  it('passphrase_env takes the passphrase from the named variable, and the source keeps only the name', async () => {
    const inline = await parseConfig(config(`passphrase = "${PASSPHRASE}"\n${fast}`))
    const parsed = await parseConfig(config(`passphrase_env = "ZSTOR_PASSPHRASE"\n${fast}`), {
      env: { ZSTOR_PASSPHRASE: PASSPHRASE },
    })
    expect(parsed.key).toEqual(inline.key)
    expect(parsed.keySource).toMatchObject({ kind: 'passphrase', env: 'ZSTOR_PASSPHRASE' })
    expect(parsed.keySource).not.toHaveProperty('passphrase')
  })

  it('an unset passphrase variable is refused by name', async () => {
    const message = await refusal(
      parseConfig(config(`passphrase_env = "ZSTOR_PASSPHRASE"\n${fast}`), { env: {} }),
      'ERR_CONFIG_INVALID',
    )
    expect(message).toContain(
      'line 8: `encryption.passphrase_env` names the environment variable ZSTOR_PASSPHRASE',
    )
  })

  it('data and meta keys from one passphrase are equal but separate buffers', async () => {
    const table = `passphrase = "${PASSPHRASE}"\n${fast}`
    const parsed = await parseConfig(config(table, table))
    expect(parsed.meta.key).toEqual(parsed.key)
    parsed.key.fill(0)
    expect(parsed.meta.key!.some((byte) => byte !== 0)).toBe(true)
  })

  it('without scrypt settings the codec defaults are used and recorded', async () => {
    const parsed = await parseConfig(config(`passphrase = "${PASSPHRASE}"\nsalt = "${SALT}"`))
    const salt = Uint8Array.from(Buffer.from(SALT, 'hex'))
    expect(parsed.keySource).toMatchObject({ kind: 'passphrase', params: DEFAULT_SCRYPT_PARAMS })
    expect(parsed.key).toEqual((await deriveKey({ passphrase: PASSPHRASE, salt })).key)
  }, 30_000)

  const bad: [what: string, table: string, expected: string][] = [
    [
      'a short salt',
      `passphrase = "x"\nsalt = "0011"`,
      '`encryption.salt` must be 16..1024 bytes written as hex, got "0011"',
    ],
    [
      'a salt that is not hex',
      `passphrase = "x"\nsalt = "${'zz'.repeat(16)}"`,
      'must be 16..1024 bytes written as hex',
    ],
    [
      'scrypt_n not a power of two',
      `passphrase = "x"\nsalt = "${SALT}"\nscrypt_n = 20000`,
      '`encryption.scrypt_n` must be a power of two',
    ],
    ['scrypt_n too small', `passphrase = "x"\nsalt = "${SALT}"\nscrypt_n = 1024`, 'got 1024'],
    [
      'scrypt over 1 GiB',
      `passphrase = "x"\nsalt = "${SALT}"\nscrypt_n = 1048576\nscrypt_r = 16`,
      'needs 2048 MiB; the limit is 1024 MiB',
    ],
    [
      'scrypt_p 0',
      `passphrase = "x"\nsalt = "${SALT}"\nscrypt_p = 0`,
      '`encryption.scrypt_p` must be an integer 1..16, got 0',
    ],
    ['an empty passphrase', `passphrase = ""\nsalt = "${SALT}"`, '`encryption.passphrase` must not be empty'],
    [
      'a passphrase and a key',
      `passphrase = "x"\nkey = "${KEY}"\nsalt = "${SALT}"`,
      'it gives `key` and `passphrase`',
    ],
  ]
  it.each(bad)('%s is refused', async (_what, table, expected) => {
    expect(await refusal(parseConfig(config(table)), 'ERR_CONFIG_INVALID')).toContain(expected)
  })

  it('no refusal of a passphrase config quotes the passphrase', async () => {
    const tables = [
      `passphrase = "${PASSPHRASE}"\nsalt = "00"`,
      `passphrase = "${PASSPHRASE}"\nsalt = "${SALT}"\nscrypt_n = 3`,
      `passphrase = "${PASSPHRASE}"\nkey_file = "k"`,
      `passphrase = "${PASSPHRASE}`,
      `passphrase = ["${PASSPHRASE}"]\nsalt = "${SALT}"`,
    ]
    for (const table of tables) {
      const error = await parseConfig(config(table)).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).message).not.toContain('horse')
    }
  })
})
