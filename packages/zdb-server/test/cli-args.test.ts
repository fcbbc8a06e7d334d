import { describe, expect, it } from 'vitest'
import { parseArgs, parseDatasize } from '../src/cli-args.js'
import { ZdbOptionError } from '../src/errors.js'

describe('command-line flags (spec §4)', () => {
  it('defaults: 127.0.0.1:9900, ./zdb-data, ./zdb-index', () => {
    expect(parseArgs([])).toEqual({
      kind: 'run',
      host: '127.0.0.1',
      port: 9900,
      dataDir: './zdb-data',
      indexDir: './zdb-index',
      datasize: undefined,
      protect: false,
      sync: false,
      secure: false,
      dualnet: false,
      background: false,
      dump: false,
      verbose: false,
    })
  })

  it('accepts --flag value, --flag=value, the single-dash long form and unique prefixes', () => {
    const parsed = parseArgs(['-port', '1234', '--listen=::1', '--data', '/d', '-ind', '/i', '--verbose'])
    expect(parsed).toMatchObject({ port: 1234, host: '::1', dataDir: '/d', indexDir: '/i', verbose: true })
  })

  it('--help and --version win over other flags', () => {
    expect(parseArgs(['--port', '1', '--help'])).toEqual({ kind: 'help' })
    expect(parseArgs(['-version'])).toEqual({ kind: 'version' })
  })

  it('refuses unknown, ambiguous, valueless and positional arguments with a one-line reason', () => {
    expect(() => parseArgs(['--bogus'])).toThrow("unknown option '--bogus'")
    expect(() => parseArgs(['--da', 'x'])).toThrow(/ambiguous/)
    expect(() => parseArgs(['--port'])).toThrow('--port needs a value')
    expect(() => parseArgs(['extra'])).toThrow(/unexpected argument/)
    expect(() => parseArgs(['--port', '70000'])).toThrow(ZdbOptionError)
  })

  it('--dump is parsed and takes no value', () => {
    expect(parseArgs(['--dump', '--index', '/i'])).toMatchObject({ kind: 'run', dump: true, indexDir: '/i' })
    expect(() => parseArgs(['--dump=1'])).toThrow('--dump takes no value')
  })

  it('--socket and --dualnet are parsed; --dualnet alone is refused', () => {
    expect(parseArgs(['--socket', '/tmp/z.sock', '--dualnet'])).toMatchObject({
      socket: '/tmp/z.sock',
      dualnet: true,
    })
    expect(() => parseArgs(['--dualnet'])).toThrow(/--dualnet needs --socket/)
  })

  it('--background and --logfile are parsed; --logfile alone is refused', () => {
    expect(parseArgs(['--background', '--logfile', '/tmp/z.log'])).toMatchObject({
      background: true,
      logfile: '/tmp/z.log',
    })
    expect(() => parseArgs(['--logfile', '/tmp/z.log'])).toThrow(/--logfile is for --background mode/)
  })

  it('--hook takes the path of an executable', () => {
    expect(parseArgs(['--hook', '/usr/local/bin/zdb-hook'])).toMatchObject({
      hook: '/usr/local/bin/zdb-hook',
    })
    expect(parseArgs([])).toMatchObject({ hook: undefined })
    expect(() => parseArgs(['--hook='])).toThrow('--hook needs the path of an executable')
  })

  it('--admin, --protect and --maxsize are parsed, and --protect without --admin is refused', () => {
    expect(parseArgs([])).toMatchObject({ admin: undefined, protect: false, maxsize: undefined })
    expect(parseArgs(['--admin', 's3cret', '--protect', '--maxsize', '1024'])).toMatchObject({
      kind: 'run',
      admin: 's3cret',
      protect: true,
      maxsize: 1024,
    })
    expect(() => parseArgs(['--protect'])).toThrow('--protect requires --admin <password>')
    expect(() => parseArgs(['--admin='])).toThrow(/non-empty/)
    expect(() => parseArgs(['--maxsize', '1k'])).toThrow(/--maxsize must be a number of bytes/)
  })

  it('--cache takes whole MiB, 0 (no cache) to 4095, and is absent by default', () => {
    expect(parseArgs([])).toMatchObject({ cacheSize: undefined })
    expect(parseArgs(['--cache', '64'])).toMatchObject({ cacheSize: 64 * 2 ** 20 })
    expect(parseArgs(['--cache=0'])).toMatchObject({ cacheSize: 0 })
    expect(parseArgs(['-cache', '4095'])).toMatchObject({ cacheSize: 4095 * 2 ** 20 })
    for (const bad of ['4096', '1.5', '-1', '32M', '']) {
      expect(() => parseArgs(['--cache', bad])).toThrow(/--cache must be a whole number of MiB/)
    }
  })

  it('--secure and --rotate are parsed; --rotate needs whole seconds >= 1', () => {
    expect(parseArgs(['--secure', '--rotate', '30'])).toMatchObject({ secure: true, rotate: 30 })
    expect(() => parseArgs(['--rotate', '0'])).toThrow('--rotate must be a whole number of seconds >= 1')
  })

  it('--sync and --synctime are parsed; --synctime needs whole seconds >= 1', () => {
    expect(parseArgs(['--sync'])).toMatchObject({ sync: true, synctime: undefined })
    expect(parseArgs(['--synctime', '5'])).toMatchObject({ sync: false, synctime: 5 })
    expect(() => parseArgs(['--synctime', '0'])).toThrow(/--synctime must be a whole number of seconds/)
    expect(() => parseArgs(['--synctime', '1.5'])).toThrow(/--synctime must be/)
  })

  it('--mode takes user or seq, maps direct to seq, and defaults to mixed (undefined)', () => {
    expect(parseArgs(['--mode', 'user'])).toMatchObject({ kind: 'run', mode: 'user' })
    expect(parseArgs(['--mode', 'seq'])).toMatchObject({ kind: 'run', mode: 'seq' })
    expect(parseArgs(['--mode=direct'])).toMatchObject({ kind: 'run', mode: 'seq' })
    expect(parseArgs([])).toMatchObject({ kind: 'run', mode: undefined })
    expect(() => parseArgs(['--mode', 'bad'])).toThrow(/'user', 'seq' or 'direct'/)
  })

  it('--datasize takes k/M/G/T suffixes and upstream bounds', () => {
    expect(parseDatasize('524288')).toBe(524288)
    expect(parseDatasize('512k')).toBe(524288)
    expect(parseDatasize('256M')).toBe(256 * 2 ** 20)
    expect(parseDatasize('3G')).toBe(3 * 2 ** 30)
    expect(() => parseDatasize('524287')).toThrow(/524288/)
    expect(() => parseDatasize('4G')).toThrow(ZdbOptionError)
    expect(() => parseDatasize('12x')).toThrow(ZdbOptionError)
  })
})
