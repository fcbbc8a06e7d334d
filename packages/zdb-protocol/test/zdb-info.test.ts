/**
 * Fixtures in test/vectors/info-*.txt are upstream's output, rendered by glibc `sprintf` with the
 * exact format strings and argument order of upstream 0-db (v2 branch):
 * - info-server.txt: `command_info`, zdbd/commands_system.c (server/engine revision set to
 *   `v2.0.7`, as `git describe --tags` prints on that tag).
 * - info-ns-*.txt: `command_nsinfo`, zdbd/commands_namespace.c, with `bswap_32` for
 *   `next_internal_id` and upstream's `KB(x)`/`MB(x)` (`x / 1024.0`, `x / (1024 * 1024.0)`).
 *   info-ns-nodisk.txt is a namespace whose `statvfs` failed (no disk lines).
 *   info-ns-sequential-admin.txt is an admin client's view: the `data_path` … `data_current_offset`
 *   lines are NOT from source (names from shared/specs/zdb.md §1, `%s` / `%u` and their position
 *   assumed); `password_raw` is from source.
 * The `*_mb` values include exact binary ties (131072 B = 0.125 MiB prints `0.12`, 393216 B =
 * 0.375 MiB prints `0.38`): glibc rounds them half to even, unlike `Number#toFixed`.
 */
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  formatInfo,
  formatNsInfo,
  parseInfo,
  parseNsInfo,
  ZdbFormatError,
  type ZdbInfoFields,
  type ZdbNsInfoFields,
} from '../src/zdb/index.js'
import { thrown } from './helpers.js'

const vector = (name: string) => readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8')

const INFO_TEXT = vector('info-server.txt')
const NS_USERKEY_TEXT = vector('info-ns-userkey.txt')
const NS_SEQ_ADMIN_TEXT = vector('info-ns-sequential-admin.txt')
const NS_NODISK_TEXT = vector('info-ns-nodisk.txt')

const formatError = (fn: () => unknown) => thrown(ZdbFormatError, fn)

const withoutRaw = <T extends { raw: unknown }>({ raw: _, ...rest }: T) => rest
const crlf = (text: string) => text.replaceAll('\n', '\r\n')
const replaceLine = (text: string, key: string, line: string) =>
  text.replace(new RegExp(`^${key}: .*\\n`, 'm'), line === '' ? '' : `${line}\n`)

const INFO_FIELDS: ZdbInfoFields = {
  serverName: '0-db (zdb)',
  serverRevision: 'v2.0.7',
  engineRevision: 'v2.0.7',
  instanceId: 2845177221,
  bootTime: 1732190400,
  uptime: 86400,
  clientsLifetime: 1234,
  sequentialKeySize: 8,
  commandsExecuted: 987654,
  commandsFailed: 12,
  commandsUnauthorized: 3,
  indexDiskReadFailed: 0,
  indexDiskWriteFailed: 1,
  dataDiskReadFailed: 2,
  dataDiskWriteFailed: 0,
  indexDiskReadBytes: 131072,
  indexDiskReadMb: 0.12,
  indexDiskWriteBytes: 393216,
  indexDiskWriteMb: 0.38,
  dataDiskReadBytes: 10737418240,
  dataDiskReadMb: 10240,
  dataDiskWriteBytes: 5242880,
  dataDiskWriteMb: 5,
  networkRxBytes: 123456789,
  networkRxMb: 117.74,
  networkTxBytes: 7,
  networkTxMb: 0,
}

const NS_USERKEY_FIELDS: ZdbNsInfoFields = {
  name: 'default',
  entries: 3,
  public: true,
  worm: false,
  locked: false,
  password: false,
  dataSizeBytes: 131072,
  dataSizeMb: 0.12,
  dataLimitsBytes: 0,
  indexSizeBytes: 198,
  indexSizeKb: 0.19,
  nextInternalId: '0x00000000',
  mode: 'userkey',
  statsIndexIoErrors: 0,
  statsIndexIoErrorLast: 0,
  statsIndexFaults: 0,
  statsDataIoErrors: 0,
  statsDataIoErrorLast: 0,
  statsDataFaults: 0,
  indexDiskFreespaceBytes: 57676599296,
  indexDiskFreespaceMb: 55004.69,
  dataDiskFreespaceBytes: 57676599296,
  dataDiskFreespaceMb: 55004.69,
}

const NS_SEQ_ADMIN_FIELDS: ZdbNsInfoFields = {
  name: 'backup',
  entries: 42,
  public: false,
  worm: true,
  locked: true,
  password: true,
  dataSizeBytes: 3932160,
  dataSizeMb: 3.75,
  dataLimitsBytes: 10485760,
  indexSizeBytes: 0,
  indexSizeKb: 0,
  nextInternalId: '0x2a000000',
  mode: 'sequential',
  statsIndexIoErrors: 2,
  statsIndexIoErrorLast: 1732270000,
  statsIndexFaults: 0,
  statsDataIoErrors: 1,
  statsDataIoErrorLast: 1732271111,
  statsDataFaults: 0,
  spaceAvailable: 6553600,
  indexDiskFreespaceBytes: 1099511627776,
  indexDiskFreespaceMb: 1048576,
  dataDiskFreespaceBytes: 393216,
  dataDiskFreespaceMb: 0.38,
  dataPath: '/var/lib/zdb/data/backup',
  dataActive: '/var/lib/zdb/data/backup/d3',
  indexPath: '/var/lib/zdb/index/backup',
  indexActive: '/var/lib/zdb/index/backup/i3',
  dataCurrentId: 3,
  dataCurrentOffset: 1048604,
  passwordRaw: 's3cr3t: pass',
}

const NS_NODISK_FIELDS: ZdbNsInfoFields = {
  name: 'tiny',
  entries: 0,
  public: true,
  worm: false,
  locked: false,
  password: false,
  dataSizeBytes: 0,
  dataSizeMb: 0,
  dataLimitsBytes: 0,
  indexSizeBytes: 0,
  indexSizeKb: 0,
  nextInternalId: '0x00000000',
  mode: 'userkey',
  statsIndexIoErrors: 0,
  statsIndexIoErrorLast: 0,
  statsIndexFaults: 0,
  statsDataIoErrors: 0,
  statsDataIoErrorLast: 0,
  statsDataFaults: 0,
}

const NS_VECTORS = [
  ['info-ns-userkey.txt', NS_USERKEY_TEXT, NS_USERKEY_FIELDS],
  ['info-ns-sequential-admin.txt', NS_SEQ_ADMIN_TEXT, NS_SEQ_ADMIN_FIELDS],
  ['info-ns-nodisk.txt', NS_NODISK_TEXT, NS_NODISK_FIELDS],
] as const

/** `key: value` pairs of a text, the way a reader of upstream's format sees them. */
function pairsOf(text: string): Record<string, string> {
  const pairs: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const match = /^([^#:][^:]*): (.*)$/s.exec(line)
    if (match) pairs[match[1]!] = match[2]!
  }
  return pairs
}

describe('parseInfo', () => {
  it('types every field of upstream INFO', () => {
    const info = parseInfo(INFO_TEXT)
    expect({ ...info, sections: undefined, raw: undefined }).toEqual({ ...INFO_FIELDS })
  })

  it('groups the lines by section and keeps them verbatim', () => {
    const info = parseInfo(INFO_TEXT)
    expect(Object.keys(info.sections)).toEqual(['server', 'clients', 'internals', 'stats'])
    expect(info.sections.server).toEqual({
      server_name: '0-db (zdb)',
      server_revision: 'v2.0.7',
      engine_revision: 'v2.0.7',
      instance_id: '2845177221',
      boot_time: '1732190400',
      uptime: '86400',
    })
    expect(info.sections.clients).toEqual({ clients_lifetime: '1234' })
    expect(info.sections.internals).toEqual({ sequential_key_size: '8' })
    expect(info.sections.stats?.index_disk_read_mb).toBe('0.12')
    expect(info.raw).toEqual(pairsOf(INFO_TEXT))
  })

  it('reads CRLF line endings and bytes the same as LF text', () => {
    const expected = parseInfo(INFO_TEXT)
    expect(parseInfo(crlf(INFO_TEXT))).toEqual(expected)
    expect(parseInfo(Buffer.from(INFO_TEXT))).toEqual(expected)
    expect(parseInfo(new Uint8Array(Buffer.from(crlf(INFO_TEXT))))).toEqual(expected)
  })

  it('keeps fields it does not know, in raw and in their section', () => {
    const info = parseInfo(`${INFO_TEXT}\n# future\nreplication_lag: 3\n`)
    expect(info.raw.replication_lag).toBe('3')
    expect(info.sections.future).toEqual({ replication_lag: '3' })
  })

  it('files lines that come before any section header under the empty section', () => {
    const info = parseInfo(`early: 1\n${INFO_TEXT}`)
    expect(info.sections['']).toEqual({ early: '1' })
  })

  it('finds a typed field even if upstream moves it to another section', () => {
    const moved = INFO_TEXT.replace('uptime: 86400\n', '').replace('# stats\n', '# stats\nuptime: 86400\n')
    expect(parseInfo(moved).uptime).toBe(86400)
  })

  it('rejects a missing field with ERR_ZDB_FORMAT naming it', () => {
    const error = formatError(() => parseInfo(replaceLine(INFO_TEXT, 'commands_failed', '')))
    expect(error.code).toBe('ERR_ZDB_FORMAT')
    expect(error.field).toBe('commands_failed')
    expect(error.message).toBe('INFO field commands_failed is missing')
  })

  it('rejects a malformed number with ERR_ZDB_FORMAT naming the field instead of returning NaN', () => {
    const error = formatError(() => parseInfo(replaceLine(INFO_TEXT, 'uptime', 'uptime: 12s')))
    expect(error.code).toBe('ERR_ZDB_FORMAT')
    expect(error.field).toBe('uptime')
    expect(error.message).toBe('INFO field uptime must be an integer, got "12s"')
  })
})

describe('formatInfo', () => {
  it('prints upstream INFO byte for byte', () => {
    expect(formatInfo(INFO_FIELDS)).toBe(INFO_TEXT)
    expect(formatInfo(parseInfo(INFO_TEXT))).toBe(INFO_TEXT)
  })

  it('rejects a missing field with ERR_ZDB_FORMAT', () => {
    const { uptime: _, ...partial } = INFO_FIELDS
    const error = formatError(() => formatInfo(partial as ZdbInfoFields))
    expect(error.code).toBe('ERR_ZDB_FORMAT')
    expect(error.field).toBe('uptime')
    expect(error.message).toBe('INFO field uptime (uptime) is missing')
  })

  it('parses back every INFO it printed', () => {
    fc.assert(
      fc.property(infoFields, (fields) => {
        const text = formatInfo(fields)
        const parsed = parseInfo(text)
        expect({ ...parsed, sections: undefined, raw: undefined }).toEqual({ ...fields })
        expect(parsed.raw).toEqual(pairsOf(text))
        expect(formatInfo(parsed)).toBe(text)
      }),
    )
  })
})

describe('parseNsInfo', () => {
  it.each(NS_VECTORS)('types every field of %s', (_, text, fields) => {
    const info = parseNsInfo(text)
    expect(withoutRaw(info)).toEqual(fields)
    expect(info.raw).toEqual(pairsOf(text))
  })

  it('leaves out optional fields upstream did not print', () => {
    const info = parseNsInfo(NS_NODISK_TEXT)
    for (const prop of ['spaceAvailable', 'indexDiskFreespaceBytes', 'dataPath', 'passwordRaw']) {
      expect(prop in info).toBe(false)
    }
  })

  it('keeps a value containing ": " whole', () => {
    expect(parseNsInfo(NS_SEQ_ADMIN_TEXT).passwordRaw).toBe('s3cr3t: pass')
  })

  it('reads an empty text value as the empty string', () => {
    expect(parseNsInfo(`${NS_USERKEY_TEXT}password_raw: \n`).passwordRaw).toBe('')
  })

  it('reads CRLF line endings, blank lines, stray lines and bytes the same as upstream text', () => {
    const expected = parseNsInfo(NS_SEQ_ADMIN_TEXT)
    expect(parseNsInfo(crlf(NS_SEQ_ADMIN_TEXT))).toEqual(expected)
    expect(parseNsInfo(Buffer.from(NS_SEQ_ADMIN_TEXT))).toEqual(expected)
    const noisy = `\n\r\n   \n${NS_SEQ_ADMIN_TEXT.replace('entries:', 'a line without a colon\n\nentries:')}\n\n`
    expect(parseNsInfo(noisy)).toEqual(expected)
  })

  it('decodes the name as UTF-8 when given bytes', () => {
    const text = NS_USERKEY_TEXT.replace('name: default', 'name: données')
    expect(parseNsInfo(Buffer.from(text, 'utf8')).name).toBe('données')
  })

  it('keeps fields it does not know in raw', () => {
    const info = parseNsInfo(`${NS_USERKEY_TEXT}index_fragmentation: 0.25\n`)
    expect(info.raw.index_fragmentation).toBe('0.25')
    expect(info).not.toHaveProperty('indexFragmentation')
  })

  it('keeps a server-sent __proto__ key as data', () => {
    const info = parseNsInfo(`${NS_USERKEY_TEXT}__proto__: x\n`)
    expect(Object.entries(info.raw)).toContainEqual(['__proto__', 'x'])
    expect(Object.getPrototypeOf(info.raw)).toBe(null)
  })

  it('reads a space_available that upstream wrapped around 2^64, keeping the exact digits in raw', () => {
    const info = parseNsInfo(`${NS_USERKEY_TEXT}space_available: 18446744073709420544\n`)
    expect(info.spaceAvailable).toBe(2 ** 64 - 2 ** 17)
    expect(info.raw.space_available).toBe('18446744073709420544')
  })

  it.each([
    ['entries', 'entries: 12a', 'NSINFO field entries must be an unsigned integer, got "12a"'],
    ['entries', 'entries: ', 'NSINFO field entries must be an unsigned integer, got ""'],
    ['entries', 'entries: -1', 'NSINFO field entries must be an unsigned integer, got "-1"'],
    [
      'data_size_bytes',
      'data_size_bytes: 1e3',
      'NSINFO field data_size_bytes must be an unsigned integer, got "1e3"',
    ],
    [
      'stats_index_io_error_last',
      'stats_index_io_error_last: never',
      'NSINFO field stats_index_io_error_last must be an integer, got "never"',
    ],
    ['data_size_mb', 'data_size_mb: 0,12', 'NSINFO field data_size_mb must be a decimal number, got "0,12"'],
    ['index_size_kb', 'index_size_kb: nan', 'NSINFO field index_size_kb must be a decimal number, got "nan"'],
    ['public', 'public: true', 'NSINFO field public must be "yes" or "no", got "true"'],
    ['mode', 'mode: unknown', 'NSINFO field mode must be "userkey" or "sequential", got "unknown"'],
    [
      'next_internal_id',
      'next_internal_id: 42',
      'NSINFO field next_internal_id must be 0x followed by hex digits, got "42"',
    ],
  ])('rejects a malformed %s with ERR_ZDB_FORMAT naming the field', (key, line, message) => {
    const error = formatError(() => parseNsInfo(replaceLine(NS_USERKEY_TEXT, key, line)))
    expect(error.code).toBe('ERR_ZDB_FORMAT')
    expect(error.name).toBe('ZdbFormatError')
    expect(error.field).toBe(key)
    expect(error.message).toBe(message)
  })

  it('rejects a malformed optional field with ERR_ZDB_FORMAT', () => {
    const error = formatError(() => parseNsInfo(`${NS_USERKEY_TEXT}space_available: lots\n`))
    expect(error.code).toBe('ERR_ZDB_FORMAT')
    expect(error.field).toBe('space_available')
  })

  it.each(['name', 'locked', 'next_internal_id', 'stats_data_faults'])(
    'rejects a reply without %s with ERR_ZDB_FORMAT',
    (key) => {
      const error = formatError(() => parseNsInfo(replaceLine(NS_USERKEY_TEXT, key, '')))
      expect(error.code).toBe('ERR_ZDB_FORMAT')
      expect(error.field).toBe(key)
      expect(error.message).toBe(`NSINFO field ${key} is missing`)
    },
  )
})

describe('formatNsInfo', () => {
  it.each(NS_VECTORS)('prints %s byte for byte', (_, text, fields) => {
    expect(formatNsInfo(fields)).toBe(text)
    expect(formatNsInfo(parseNsInfo(text))).toBe(text)
  })

  it.each([
    [0, '0.00'],
    [0.005, '0.01'],
    [0.015, '0.01'],
    [0.125, '0.12'],
    [0.375, '0.38'],
    [0.625, '0.62'],
    [0.875, '0.88'],
    [1.005, '1.00'],
    [1.125, '1.12'],
    [2.5, '2.50'],
    [2.675, '2.67'],
    [1e-7, '0.00'],
    [3 / 1024, '0.00'],
    [55004.6875, '55004.69'],
    [1048575.995, '1048575.99'],
    [123456789.125, '123456789.12'],
    [4503599627370495.5, '4503599627370495.50'],
    [2 ** 53, '9007199254740992.00'],
    [1e20, '100000000000000000000.00'],
  ])('prints %s as glibc printf("%%.2f") does: %s', (value, printed) => {
    expect(formatNsInfo({ ...NS_NODISK_FIELDS, dataSizeMb: value })).toContain(`\ndata_size_mb: ${printed}\n`)
  })

  it('prints integers above 2^53 as the exact integer the double holds', () => {
    const text = formatNsInfo({ ...NS_NODISK_FIELDS, spaceAvailable: 2 ** 64 - 2 ** 17 })
    expect(text).toContain('\nspace_available: 18446744073709420544\n')
  })

  it.each([
    ['name', { name: 'a\nb' }, 'a string without CR or LF'],
    ['name', { name: 7 }, 'a string without CR or LF'],
    ['entries', { entries: -1 }, 'an integer in 0..2^64-1'],
    ['entries', { entries: 1.5 }, 'an integer in 0..2^64-1'],
    ['entries', { entries: 2 ** 64 }, 'an integer in 0..2^64-1'],
    ['data_limits_bytes', { dataLimitsBytes: Number.NaN }, 'an integer in 0..2^64-1'],
    ['stats_index_io_error_last', { statsIndexIoErrorLast: 0.5 }, 'an integer in -2^63..2^63-1'],
    ['data_size_mb', { dataSizeMb: Number.POSITIVE_INFINITY }, 'a finite number'],
    ['public', { public: 'yes' }, 'a boolean'],
    ['mode', { mode: 'direct' }, '"userkey" or "sequential"'],
    ['next_internal_id', { nextInternalId: '2a000000' }, '0x followed by hex digits'],
    ['password_raw', { passwordRaw: 'x\r' }, 'a string without CR or LF'],
  ])('rejects a bad %s with ERR_ZDB_FORMAT', (key, patch, expected) => {
    const error = formatError(() => formatNsInfo({ ...NS_NODISK_FIELDS, ...patch } as ZdbNsInfoFields))
    expect(error.code).toBe('ERR_ZDB_FORMAT')
    expect(error.field).toBe(key)
    expect(error.message).toContain(`must be ${expected}, got `)
  })

  it('rejects a missing field with ERR_ZDB_FORMAT', () => {
    const { mode: _, ...partial } = NS_NODISK_FIELDS
    const error = formatError(() => formatNsInfo(partial as ZdbNsInfoFields))
    expect(error.code).toBe('ERR_ZDB_FORMAT')
    expect(error.field).toBe('mode')
    expect(error.message).toBe('NSINFO field mode (mode) is missing')
  })

  it('parses back every NSINFO it printed, from text, CRLF text or bytes', () => {
    fc.assert(
      fc.property(nsInfoFields, (fields) => {
        const text = formatNsInfo(fields)
        const parsed = parseNsInfo(text)
        expect(withoutRaw(parsed)).toEqual(fields)
        expect(parsed.raw).toEqual(pairsOf(text))
        expect(formatNsInfo(parsed)).toBe(text)
        expect(parseNsInfo(crlf(text))).toEqual(parsed)
        expect(parseNsInfo(Buffer.from(text))).toEqual(parsed)
      }),
    )
  })
})

const plainText = fc.string({ unit: 'grapheme', maxLength: 24 }).filter((s) => !/[\r\n]/.test(s))
const uint = fc.maxSafeNat()
const int = fc.maxSafeInteger()
// Two-decimal values, as upstream's %.2f prints them, so the printed text is the value itself.
const fixed2 = fc.integer({ min: 0, max: 2 ** 45 }).map((hundredths) => hundredths / 100)
const yesno = fc.boolean()

const infoFields: fc.Arbitrary<ZdbInfoFields> = fc.record({
  serverName: plainText,
  serverRevision: plainText,
  engineRevision: plainText,
  instanceId: fc.integer({ min: 0, max: 0xffff_ffff }),
  bootTime: int,
  uptime: int,
  clientsLifetime: uint,
  sequentialKeySize: uint,
  commandsExecuted: uint,
  commandsFailed: uint,
  commandsUnauthorized: uint,
  indexDiskReadFailed: uint,
  indexDiskWriteFailed: uint,
  dataDiskReadFailed: uint,
  dataDiskWriteFailed: uint,
  indexDiskReadBytes: uint,
  indexDiskReadMb: fixed2,
  indexDiskWriteBytes: uint,
  indexDiskWriteMb: fixed2,
  dataDiskReadBytes: uint,
  dataDiskReadMb: fixed2,
  dataDiskWriteBytes: uint,
  dataDiskWriteMb: fixed2,
  networkRxBytes: uint,
  networkRxMb: fixed2,
  networkTxBytes: uint,
  networkTxMb: fixed2,
})

const nsInfoFields: fc.Arbitrary<ZdbNsInfoFields> = fc.record(
  {
    name: plainText,
    entries: uint,
    public: yesno,
    worm: yesno,
    locked: yesno,
    password: yesno,
    dataSizeBytes: uint,
    dataSizeMb: fixed2,
    dataLimitsBytes: uint,
    indexSizeBytes: uint,
    indexSizeKb: fixed2,
    nextInternalId: fc.stringMatching(/^0x[0-9a-f]{1,16}$/),
    mode: fc.constantFrom('userkey' as const, 'sequential' as const),
    statsIndexIoErrors: uint,
    statsIndexIoErrorLast: int,
    statsIndexFaults: uint,
    statsDataIoErrors: uint,
    statsDataIoErrorLast: int,
    statsDataFaults: uint,
    spaceAvailable: uint,
    indexDiskFreespaceBytes: uint,
    indexDiskFreespaceMb: fixed2,
    dataDiskFreespaceBytes: uint,
    dataDiskFreespaceMb: fixed2,
    dataPath: plainText,
    dataActive: plainText,
    indexPath: plainText,
    indexActive: plainText,
    dataCurrentId: uint,
    dataCurrentOffset: uint,
    passwordRaw: plainText,
  },
  {
    requiredKeys: [
      'name',
      'entries',
      'public',
      'worm',
      'locked',
      'password',
      'dataSizeBytes',
      'dataSizeMb',
      'dataLimitsBytes',
      'indexSizeBytes',
      'indexSizeKb',
      'nextInternalId',
      'mode',
      'statsIndexIoErrors',
      'statsIndexIoErrorLast',
      'statsIndexFaults',
      'statsDataIoErrors',
      'statsDataIoErrorLast',
      'statsDataFaults',
    ],
  },
)
