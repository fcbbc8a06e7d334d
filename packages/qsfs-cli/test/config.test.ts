/**
 * qsfs.toml and the sizes people write in it.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULTS, loadNodeConfig, parseListen, parseNodeConfig } from '../src/config/node-config.js'
import { formatSize, parseSize } from '../src/config/sizes.js'
import { QsfsError } from '../src/errors.js'
import { removeTempDirs, tempDir } from './helpers/env.js'

const KiB = 1024
const MiB = KiB * 1024
const GiB = MiB * 1024
const TiB = GiB * 1024
const PiB = TiB * 1024

afterAll(removeTempDirs)

/** The QsfsError `fn` throws (fails when it throws something else or nothing). */
function thrown(fn: () => unknown): QsfsError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(QsfsError)
    return error as QsfsError
  }
  throw new Error('expected a QsfsError, nothing was thrown')
}

const DIR = '/srv/node'
const parse = (text: string) => parseNodeConfig(text, DIR)

describe('parseNodeConfig', () => {
  it('an empty qsfs.toml gives the documented defaults, paths in the node directory', () => {
    expect(parse('')).toEqual({
      dir: DIR,
      mountpoint: '/srv/node/mnt',
      cacheSize: 4 * GiB,
      segmentSize: 32 * MiB,
      lossWindow: 60,
      status: { host: '127.0.0.1', port: 9910 },
      fsSize: 10 * TiB,
      localBackends: 0,
      localBackendsDir: '/srv/node/backends',
      zstorConfig: '/srv/node/zstor.toml',
    })
    expect(DEFAULTS.cacheSize).toBe(4 * GiB)
  })

  it('reads every field', () => {
    const config = parse(
      [
        'mountpoint = "/mnt/qsfs"',
        'cache_size = "1.5GiB"',
        'segment_size = 8388608',
        'loss_window = 0',
        'status_listen = "0.0.0.0:8080"',
        'fs_size = "2 TiB"',
        'local_backends = 5',
        'local_backends_dir = "/var/lib/qsfs-backends"',
        'zstor_config = "/etc/zstor/zstor.toml"',
      ].join('\n'),
    )
    expect(config).toEqual({
      dir: DIR,
      mountpoint: '/mnt/qsfs',
      cacheSize: 1.5 * GiB,
      segmentSize: 8 * MiB,
      lossWindow: 0,
      status: { host: '0.0.0.0', port: 8080 },
      fsSize: 2 * TiB,
      localBackends: 5,
      localBackendsDir: '/var/lib/qsfs-backends',
      zstorConfig: '/etc/zstor/zstor.toml',
    })
  })

  it('resolves relative paths against the node directory, not the working directory', () => {
    const config = parse(
      'mountpoint = "fs"\nlocal_backends_dir = "../shared/backends"\nzstor_config = "conf/zstor.toml"',
    )
    expect(config.mountpoint).toBe('/srv/node/fs')
    expect(config.localBackendsDir).toBe('/srv/shared/backends')
    expect(config.zstorConfig).toBe('/srv/node/conf/zstor.toml')
  })

  it('status_listen takes host:port, [v6]:port and off', () => {
    expect(parse('status_listen = "off"').status).toBeNull()
    expect(parse('status_listen = "[::1]:9000"').status).toEqual({ host: '::1', port: 9000 })
    expect(parse('status_listen = "localhost:0"').status).toEqual({ host: 'localhost', port: 0 })
    expect(parseListen('host')).toBeUndefined()
    expect(parseListen('host:65536')).toBeUndefined()
    expect(parseListen('::1:80')).toBeUndefined()
  })

  it('an unknown field is refused by name, with the list of fields', () => {
    const error = thrown(() => parse('cache_size = "1GiB"\ncachesize = "2GiB"'))
    expect(error.code).toBe('ERR_NODE_CONFIG')
    expect(error.message).toContain('/srv/node/qsfs.toml')
    expect(error.message).toContain('unknown field `cachesize`')
    expect(error.message).toContain('cache_size')
    expect(thrown(() => parse('[status]\nport = 1')).message).toContain('unknown field `status`')
  })

  it('TOML that does not parse is ERR_NODE_CONFIG naming the file', () => {
    const error = thrown(() => parse('cache_size = '))
    expect(error.code).toBe('ERR_NODE_CONFIG')
    expect(error.message).toMatch(/qsfs\.toml: not valid TOML/)
    expect(error.message).not.toContain('\n')
  })

  it.each([
    ['cache_size = "lots"', 'cache_size', '"lots"'],
    ['cache_size = -1', 'cache_size', '-1'],
    ['cache_size = 1.5', 'cache_size', '1.5'],
    ['cache_size = 0', 'cache_size', '0'],
    ['cache_size = true', 'cache_size', 'true'],
    ['segment_size = "1KiB"', 'segment_size', '"1KiB"'],
    ['segment_size = 4095', 'segment_size', '4095'],
    ['fs_size = "10 XB"', 'fs_size', '"10 XB"'],
    ['fs_size = "99999999PiB"', 'fs_size', '"99999999PiB"'],
  ])('bad size %s is refused with the field, an example and the value', (line, field, shown) => {
    const error = thrown(() => parse(line))
    expect(error.code).toBe('ERR_NODE_CONFIG')
    expect(error.message).toContain(`${field} must be a size of at least`)
    expect(error.message).toContain('"4GiB"')
    expect(error.message).toContain(`got ${shown}`)
  })

  it('segment_size takes 4096 bytes and up', () => {
    expect(parse('segment_size = "4KiB"').segmentSize).toBe(4096)
  })

  it.each([
    ['loss_window = -1', 'loss_window', '0..86400'],
    ['loss_window = 1.5', 'loss_window', '0..86400'],
    ['loss_window = "60"', 'loss_window', '0..86400'],
    ['loss_window = 86401', 'loss_window', '0..86400'],
    ['local_backends = 65', 'local_backends', '0..64'],
    ['local_backends = "4"', 'local_backends', '0..64'],
  ])('bad count %s is refused with its range', (line, field, range) => {
    const error = thrown(() => parse(line))
    expect(error.code).toBe('ERR_NODE_CONFIG')
    expect(error.message).toContain(`${field} must be a whole number ${range}`)
  })

  it('loss_window takes 0 and a day', () => {
    expect(parse('loss_window = 0').lossWindow).toBe(0)
    expect(parse('loss_window = 86400').lossWindow).toBe(86_400)
  })

  it.each([
    'status_listen = "9910"',
    'status_listen = 9910',
    'status_listen = "127.0.0.1:99999"',
    'status_listen = "on"',
    'status_listen = ""',
  ])('bad status_listen %s is refused with the forms it takes', (line) => {
    const error = thrown(() => parse(line))
    expect(error.code).toBe('ERR_NODE_CONFIG')
    expect(error.message).toContain('status_listen must be "host:port" or "off"')
  })

  it.each(['mountpoint = ""', 'mountpoint = 3', 'zstor_config = []'])('bad path %s is refused', (line) => {
    const error = thrown(() => parse(line))
    expect(error.code).toBe('ERR_NODE_CONFIG')
    expect(error.message).toMatch(/must be a path; got/)
  })
})

describe('loadNodeConfig', () => {
  it('reads DIR/qsfs.toml and resolves paths against DIR', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'qsfs.toml'), 'mountpoint = "m"\ncache_size = "64M"\n')
    const config = loadNodeConfig(dir)
    expect(config.dir).toBe(dir)
    expect(config.mountpoint).toBe(join(dir, 'm'))
    expect(config.cacheSize).toBe(64 * MiB)
  })

  it('a directory without a node says so and how to make one', () => {
    const dir = tempDir()
    const error = thrown(() => loadNodeConfig(dir))
    expect(error.code).toBe('ERR_NODE_CONFIG')
    expect(error.message).toContain(`no node in ${dir}`)
    expect(error.message).toContain('qsfs init --dir')
  })

  it('an unreadable qsfs.toml is ERR_NODE_CONFIG with the reason', () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'qsfs.toml'))
    const error = thrown(() => loadNodeConfig(dir))
    expect(error.code).toBe('ERR_NODE_CONFIG')
    expect(error.message).toContain('EISDIR')
  })

  it('errors in the file name the file', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'qsfs.toml'), 'loss_window = -5\n')
    expect(thrown(() => loadNodeConfig(dir)).message).toContain(join(dir, 'qsfs.toml'))
  })
})

describe('parseSize', () => {
  it.each([
    ['4GiB', 4 * GiB],
    ['512 MiB', 512 * MiB],
    ['64M', 64 * MiB],
    ['64m', 64 * MiB],
    ['1.5G', 1.5 * GiB],
    ['2 KB', 2 * KiB],
    ['3kib', 3 * KiB],
    ['1T', TiB],
    ['2PiB', 2 * PiB],
    ['100', 100],
    ['100B', 100],
    ['  7 MiB  ', 7 * MiB],
    ['0', 0],
  ])('%j is %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes)
  })

  it('takes plain numbers of bytes', () => {
    expect(parseSize(0)).toBe(0)
    expect(parseSize(1_073_741_824)).toBe(GiB)
  })

  it.each([
    '',
    ' ',
    'abc',
    'GiB',
    '-1',
    '-1GiB',
    '1e3',
    '.5G',
    '1.',
    '4 XiB',
    '4GiBs',
    '4 GiB extra',
    '4GG',
    '0x10',
    '1,5G',
    '99999999P',
  ])('rejects %j', (text) => {
    expect(parseSize(text)).toBeNull()
  })

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('rejects the number %d', (n) => {
    expect(parseSize(n)).toBeNull()
  })

  const suffix = fc.constantFrom(
    ['', 1],
    ['b', 1],
    ['B', 1],
    ['k', KiB],
    ['K', KiB],
    ['KiB', KiB],
    ['kb', KiB],
    ['M', MiB],
    ['MiB', MiB],
    ['G', GiB],
    ['GiB', GiB],
    ['gib', GiB],
    ['T', TiB],
    ['TiB', TiB],
  ) as fc.Arbitrary<[string, number]>

  it('N<suffix>, with or without spaces, is N times the binary unit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4096 }),
        suffix,
        fc.constantFrom('', ' ', '  ', '\t'),
        (n, [unit, mult], space) => parseSize(`${n}${space}${unit}`) === n * mult,
      ),
    )
  })

  it('text with a character no size has is never a size', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 12 }).filter((s) => /[^0-9.\skKmMgGtTpPiIbB]/.test(s)),
        (text) => parseSize(text) === null,
      ),
    )
  })
})

describe('formatSize', () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [12 * MiB, '12.0 MiB'],
    [1.5 * GiB, '1.5 GiB'],
    [3 * TiB, '3.0 TiB'],
    [2 * PiB, '2.0 PiB'],
  ])('%d is %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text)
  })

  it('parseSize reads back what formatSize wrote, within its rounding (0.05 of the unit)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 * PiB }), (bytes) => {
        const text = formatSize(bytes)
        const back = parseSize(text)
        if (back === null) return false
        const unit = 1024 ** Math.max(0, Math.floor(Math.log2(Math.max(bytes, 1)) / 10))
        // One decimal: at most half of 0.1 unit off, i.e. under 5 % of the value.
        return Math.abs(back - bytes) <= 0.05 * unit + 1 && Math.abs(back - bytes) <= 0.05 * bytes + 1
      }),
      { numRuns: 2000 },
    )
  })

  it('round trips exactly below 1 KiB and for whole tenths of a unit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1023 }), (bytes) => parseSize(formatSize(bytes)) === bytes),
    )
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 10_239 }),
        fc.constantFrom(KiB, MiB, GiB, TiB),
        (tenths, unit) => {
          // 1.0 .. 1023.9 units, whole tenths, on a byte boundary.
          const bytes = (tenths * unit) / 10
          fc.pre(Number.isInteger(bytes))
          return parseSize(formatSize(bytes)) === bytes
        },
      ),
    )
  })
})
