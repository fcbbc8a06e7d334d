/**
 * The text of 0-db's INFO and NSINFO replies (bulk strings of `key: value` lines), parsed into
 * typed objects and printed back byte for byte.
 *
 * Sources: `command_info` in zdbd/commands_system.c and `command_nsinfo` in
 * zdbd/commands_namespace.c (upstream 0-db, v2 branch); the admin-only NSINFO fields
 * (`data_path` … `data_current_offset`) come from shared/specs/zdb.md §1 and the upstream
 * README, not from source (see {@link ZdbNsInfo}).
 * @module
 */
import { ZdbFormatError } from './errors.js'

/** Index mode of a namespace, as `index_modename` (libzdb/index.c) prints it. */
export type ZdbMode = 'userkey' | 'sequential'

/**
 * The INFO reply. Upstream prints four sections: `# server`, `# clients`, `# internals` and
 * `# stats`; the typed fields are found by key whatever section they are in.
 *
 * `*Mb` fields are upstream's `%.2f` of the byte count / 2^20: a rounded display value.
 */
export interface ZdbInfo {
  /** Every `key: value` line by section name (`server`, `clients`, …; `''` before any header). */
  readonly sections: Record<string, Record<string, string>>
  /** Every `key: value` line, all sections merged, values verbatim. */
  readonly raw: Record<string, string>
  /** Always `0-db (zdb)` upstream. */
  readonly serverName: string
  /** `git describe --tags` of the daemon build, e.g. `v2.0.7`. */
  readonly serverRevision: string
  /** `git describe --tags` of libzdb. */
  readonly engineRevision: string
  /** Random u32 picked at boot. */
  readonly instanceId: number
  /** Unix time the daemon started. */
  readonly bootTime: number
  /** Seconds since `bootTime`. */
  readonly uptime: number
  /** Connections accepted since boot. */
  readonly clientsLifetime: number
  /** Byte length of a sequential-mode key: 8 in v2. */
  readonly sequentialKeySize: number
  readonly commandsExecuted: number
  /** Unknown commands received. */
  readonly commandsFailed: number
  /** Failed admin authentications. */
  readonly commandsUnauthorized: number
  readonly indexDiskReadFailed: number
  readonly indexDiskWriteFailed: number
  readonly dataDiskReadFailed: number
  readonly dataDiskWriteFailed: number
  readonly indexDiskReadBytes: number
  readonly indexDiskReadMb: number
  readonly indexDiskWriteBytes: number
  readonly indexDiskWriteMb: number
  readonly dataDiskReadBytes: number
  readonly dataDiskReadMb: number
  readonly dataDiskWriteBytes: number
  readonly dataDiskWriteMb: number
  readonly networkRxBytes: number
  readonly networkRxMb: number
  readonly networkTxBytes: number
  readonly networkTxMb: number
}

/**
 * The NSINFO reply.
 *
 * Counters are u64 upstream; above 2^53 the `number` is the nearest double and `raw` keeps the
 * exact digits. `*Mb` / `*Kb` fields are upstream's `%.2f` of bytes / 2^20 or / 2^10. Optional
 * fields are absent from the object when upstream did not print them.
 */
export interface ZdbNsInfo {
  /** Every `key: value` line, values verbatim, including fields this version does not type. */
  readonly raw: Record<string, string>
  readonly name: string
  readonly entries: number
  readonly public: boolean
  /** Write-once: overwrite and delete are refused. */
  readonly worm: boolean
  /** Set by `NSSET lock` or `NSSET freeze`. */
  readonly locked: boolean
  /** Whether a password is set. */
  readonly password: boolean
  readonly dataSizeBytes: number
  readonly dataSizeMb: number
  /** The namespace's maxsize; 0 means unlimited. */
  readonly dataLimitsBytes: number
  readonly indexSizeBytes: number
  readonly indexSizeKb: number
  /**
   * Kept as upstream's text because it is not the id's value: upstream prints the byte-swapped
   * next id in hex (`0x%08x` of `bswap_32`, so id 42 reads `0x2a000000`, in the source read;
   * shared/specs/zdb.md says `bswap_64`, which would print up to 16 digits).
   */
  readonly nextInternalId: string
  readonly mode: ZdbMode
  readonly statsIndexIoErrors: number
  /** Unix time of the last index I/O error, 0 if none. */
  readonly statsIndexIoErrorLast: number
  readonly statsIndexFaults: number
  readonly statsDataIoErrors: number
  /** Unix time of the last data I/O error, 0 if none. */
  readonly statsDataIoErrorLast: number
  readonly statsDataFaults: number
  /**
   * `maxsize - data size`, printed only when a maxsize is set. Upstream computes it in `size_t`,
   * so it wraps to about 2^64 when the data outgrew a lowered maxsize.
   */
  readonly spaceAvailable?: number
  /** Free space under the index directory; the `*Disk*` fields are absent if `statvfs` failed. */
  readonly indexDiskFreespaceBytes?: number
  readonly indexDiskFreespaceMb?: number
  readonly dataDiskFreespaceBytes?: number
  readonly dataDiskFreespaceMb?: number
  /**
   * Admin clients only. `dataPath` … `dataCurrentOffset` are named by shared/specs/zdb.md and the
   * upstream README; their printed form and position were not read in source.
   */
  readonly dataPath?: string
  readonly dataActive?: string
  readonly indexPath?: string
  readonly indexActive?: string
  readonly dataCurrentId?: number
  readonly dataCurrentOffset?: number
  /** The plaintext password, printed to admin clients when one is set. */
  readonly passwordRaw?: string
}

/** The typed part of {@link ZdbInfo}: what {@link formatInfo} prints. */
export type ZdbInfoFields = Omit<ZdbInfo, 'sections' | 'raw'>

/** The typed part of {@link ZdbNsInfo}: what {@link formatNsInfo} prints. */
export type ZdbNsInfoFields = Omit<ZdbNsInfo, 'raw'>

/**
 * How a value is printed upstream: `text` `%s`, `uint` `%lu`/`%u`, `int` `%ld` (time_t),
 * `fixed2` `%.2f`, `yesno` `"yes"`/`"no"`, `mode` `index_modename`, `hex` `0x%08x`.
 */
type Kind = 'text' | 'uint' | 'int' | 'fixed2' | 'yesno' | 'mode' | 'hex'

interface Field<P extends string> {
  readonly key: string
  readonly prop: P
  readonly kind: Kind
  readonly optional?: boolean
}

type InfoProp = keyof ZdbInfoFields
type NsProp = keyof ZdbNsInfoFields

/** INFO sections and their lines, in upstream's order. */
const INFO_SECTIONS: readonly { readonly name: string; readonly fields: readonly Field<InfoProp>[] }[] = [
  {
    name: 'server',
    fields: [
      { key: 'server_name', prop: 'serverName', kind: 'text' },
      { key: 'server_revision', prop: 'serverRevision', kind: 'text' },
      { key: 'engine_revision', prop: 'engineRevision', kind: 'text' },
      { key: 'instance_id', prop: 'instanceId', kind: 'uint' },
      { key: 'boot_time', prop: 'bootTime', kind: 'int' },
      { key: 'uptime', prop: 'uptime', kind: 'int' },
    ],
  },
  { name: 'clients', fields: [{ key: 'clients_lifetime', prop: 'clientsLifetime', kind: 'uint' }] },
  { name: 'internals', fields: [{ key: 'sequential_key_size', prop: 'sequentialKeySize', kind: 'uint' }] },
  {
    name: 'stats',
    fields: [
      { key: 'commands_executed', prop: 'commandsExecuted', kind: 'uint' },
      { key: 'commands_failed', prop: 'commandsFailed', kind: 'uint' },
      { key: 'commands_unauthorized', prop: 'commandsUnauthorized', kind: 'uint' },
      { key: 'index_disk_read_failed', prop: 'indexDiskReadFailed', kind: 'uint' },
      { key: 'index_disk_write_failed', prop: 'indexDiskWriteFailed', kind: 'uint' },
      { key: 'data_disk_read_failed', prop: 'dataDiskReadFailed', kind: 'uint' },
      { key: 'data_disk_write_failed', prop: 'dataDiskWriteFailed', kind: 'uint' },
      { key: 'index_disk_read_bytes', prop: 'indexDiskReadBytes', kind: 'uint' },
      { key: 'index_disk_read_mb', prop: 'indexDiskReadMb', kind: 'fixed2' },
      { key: 'index_disk_write_bytes', prop: 'indexDiskWriteBytes', kind: 'uint' },
      { key: 'index_disk_write_mb', prop: 'indexDiskWriteMb', kind: 'fixed2' },
      { key: 'data_disk_read_bytes', prop: 'dataDiskReadBytes', kind: 'uint' },
      { key: 'data_disk_read_mb', prop: 'dataDiskReadMb', kind: 'fixed2' },
      { key: 'data_disk_write_bytes', prop: 'dataDiskWriteBytes', kind: 'uint' },
      { key: 'data_disk_write_mb', prop: 'dataDiskWriteMb', kind: 'fixed2' },
      { key: 'network_rx_bytes', prop: 'networkRxBytes', kind: 'uint' },
      { key: 'network_rx_mb', prop: 'networkRxMb', kind: 'fixed2' },
      { key: 'network_tx_bytes', prop: 'networkTxBytes', kind: 'uint' },
      { key: 'network_tx_mb', prop: 'networkTxMb', kind: 'fixed2' },
    ],
  },
]

const INFO_FIELDS: readonly Field<InfoProp>[] = INFO_SECTIONS.flatMap((s) => s.fields)

/**
 * NSINFO lines in upstream's order. The order of the admin-only block is assumed (spec order,
 * after the disk fields, `password_raw` last as in the source read).
 */
const NS_FIELDS: readonly Field<NsProp>[] = [
  { key: 'name', prop: 'name', kind: 'text' },
  { key: 'entries', prop: 'entries', kind: 'uint' },
  { key: 'public', prop: 'public', kind: 'yesno' },
  { key: 'worm', prop: 'worm', kind: 'yesno' },
  { key: 'locked', prop: 'locked', kind: 'yesno' },
  { key: 'password', prop: 'password', kind: 'yesno' },
  { key: 'data_size_bytes', prop: 'dataSizeBytes', kind: 'uint' },
  { key: 'data_size_mb', prop: 'dataSizeMb', kind: 'fixed2' },
  { key: 'data_limits_bytes', prop: 'dataLimitsBytes', kind: 'uint' },
  { key: 'index_size_bytes', prop: 'indexSizeBytes', kind: 'uint' },
  { key: 'index_size_kb', prop: 'indexSizeKb', kind: 'fixed2' },
  { key: 'next_internal_id', prop: 'nextInternalId', kind: 'hex' },
  { key: 'mode', prop: 'mode', kind: 'mode' },
  { key: 'stats_index_io_errors', prop: 'statsIndexIoErrors', kind: 'uint' },
  { key: 'stats_index_io_error_last', prop: 'statsIndexIoErrorLast', kind: 'int' },
  { key: 'stats_index_faults', prop: 'statsIndexFaults', kind: 'uint' },
  { key: 'stats_data_io_errors', prop: 'statsDataIoErrors', kind: 'uint' },
  { key: 'stats_data_io_error_last', prop: 'statsDataIoErrorLast', kind: 'int' },
  { key: 'stats_data_faults', prop: 'statsDataFaults', kind: 'uint' },
  { key: 'space_available', prop: 'spaceAvailable', kind: 'uint', optional: true },
  { key: 'index_disk_freespace_bytes', prop: 'indexDiskFreespaceBytes', kind: 'uint', optional: true },
  { key: 'index_disk_freespace_mb', prop: 'indexDiskFreespaceMb', kind: 'fixed2', optional: true },
  { key: 'data_disk_freespace_bytes', prop: 'dataDiskFreespaceBytes', kind: 'uint', optional: true },
  { key: 'data_disk_freespace_mb', prop: 'dataDiskFreespaceMb', kind: 'fixed2', optional: true },
  { key: 'data_path', prop: 'dataPath', kind: 'text', optional: true },
  { key: 'data_active', prop: 'dataActive', kind: 'text', optional: true },
  { key: 'index_path', prop: 'indexPath', kind: 'text', optional: true },
  { key: 'index_active', prop: 'indexActive', kind: 'text', optional: true },
  { key: 'data_current_id', prop: 'dataCurrentId', kind: 'uint', optional: true },
  { key: 'data_current_offset', prop: 'dataCurrentOffset', kind: 'uint', optional: true },
  { key: 'password_raw', prop: 'passwordRaw', kind: 'text', optional: true },
]

/**
 * Parses an INFO reply. Accepts `\n` or `\r\n`, blank lines and lines it does not know;
 * throws {@link ZdbFormatError} if a typed field is missing or malformed.
 */
export function parseInfo(text: string | Uint8Array): ZdbInfo {
  const { raw, sections } = readLines(text)
  return { sections, raw, ...readFields(INFO_FIELDS, raw, 'INFO') } as unknown as ZdbInfo
}

/**
 * Parses an NSINFO reply. Accepts `\n` or `\r\n`, blank lines and lines it does not know;
 * throws {@link ZdbFormatError} if a typed field is missing or malformed.
 */
export function parseNsInfo(text: string | Uint8Array): ZdbNsInfo {
  const { raw } = readLines(text)
  return { raw, ...readFields(NS_FIELDS, raw, 'NSINFO') } as unknown as ZdbNsInfo
}

/**
 * INFO text exactly as upstream prints it. `*Mb` values are printed as given (the caller derives
 * them from the byte counts); untyped `raw` or `sections` entries are not printed.
 */
export function formatInfo(info: ZdbInfoFields): string {
  return INFO_SECTIONS.map((s) => `# ${s.name}\n${writeFields(s.fields, info, 'INFO')}`).join('\n')
}

/**
 * NSINFO text exactly as upstream prints it, optional fields only when present. `*Mb` / `*Kb`
 * values are printed as given; untyped `raw` entries are not printed.
 */
export function formatNsInfo(info: ZdbNsInfoFields): string {
  return `# namespace\n${writeFields(NS_FIELDS, info, 'NSINFO')}`
}

interface Lines {
  readonly raw: Record<string, string>
  readonly sections: Record<string, Record<string, string>>
}

function readLines(input: string | Uint8Array): Lines {
  const text =
    typeof input === 'string'
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString()
  // Null prototypes: a server-sent key such as `__proto__` must land in the map, not on it.
  const raw: Record<string, string> = Object.create(null)
  const sections: Record<string, Record<string, string>> = Object.create(null)
  let section: Record<string, string> | undefined
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine
    if (line.trim() === '') continue
    if (line.startsWith('#')) {
      section = sectionOf(sections, line.slice(1).trim())
      continue
    }
    const colon = line.indexOf(':')
    const key = colon < 0 ? '' : line.slice(0, colon).trim()
    if (key === '') continue
    // Upstream prints `key: value`; only that one separating space is not part of the value.
    const after = line.slice(colon + 1)
    const value = after.startsWith(' ') ? after.slice(1) : after
    raw[key] = value
    section ??= sectionOf(sections, '')
    section[key] = value
  }
  return { raw, sections }
}

function sectionOf(sections: Record<string, Record<string, string>>, name: string): Record<string, string> {
  let section = sections[name]
  if (section === undefined) {
    section = Object.create(null) as Record<string, string>
    sections[name] = section
  }
  return section
}

function readFields<P extends string>(
  fields: readonly Field<P>[],
  raw: Record<string, string>,
  reply: string,
): Partial<Record<P, unknown>> {
  const out: Partial<Record<P, unknown>> = {}
  for (const field of fields) {
    const value = raw[field.key]
    if (value === undefined) {
      if (field.optional) continue
      throw new ZdbFormatError(`${reply} field ${field.key} is missing`, field.key)
    }
    out[field.prop] = parseValue(field, value, reply)
  }
  return out
}

const UINT = /^\d+$/
const INT = /^-?\d+$/
const DECIMAL = /^-?\d+(?:\.\d+)?$/
const HEX = /^0x[0-9a-f]{1,16}$/i

function parseValue(field: Field<string>, value: string, reply: string): unknown {
  const text = value.trim()
  const bad = (expected: string): ZdbFormatError =>
    new ZdbFormatError(
      `${reply} field ${field.key} must be ${expected}, got ${JSON.stringify(value)}`,
      field.key,
    )
  switch (field.kind) {
    case 'text':
      return value
    case 'uint':
      if (!UINT.test(text)) throw bad('an unsigned integer')
      return Number(text)
    case 'int':
      if (!INT.test(text)) throw bad('an integer')
      return Number(text)
    case 'fixed2':
      if (!DECIMAL.test(text)) throw bad('a decimal number')
      return Number(text)
    case 'yesno':
      if (text === 'yes') return true
      if (text === 'no') return false
      throw bad('"yes" or "no"')
    case 'mode':
      if (text === 'userkey' || text === 'sequential') return text
      throw bad('"userkey" or "sequential"')
    case 'hex':
      if (!HEX.test(text)) throw bad('0x followed by hex digits')
      return text
  }
}

function writeFields<P extends string>(
  fields: readonly Field<P>[],
  info: Partial<Record<P, unknown>>,
  reply: string,
): string {
  let out = ''
  for (const field of fields) {
    const value = info[field.prop]
    if (value === undefined) {
      if (field.optional) continue
      throw new ZdbFormatError(`${reply} field ${field.key} (${field.prop}) is missing`, field.key)
    }
    out += `${field.key}: ${formatValue(field, value, reply)}\n`
  }
  return out
}

function formatValue(field: Field<string>, value: unknown, reply: string): string {
  const bad = (expected: string): ZdbFormatError =>
    new ZdbFormatError(
      `${reply} field ${field.key} (${field.prop}) must be ${expected}, got ${show(value)}`,
      field.key,
    )
  switch (field.kind) {
    case 'text':
      // A line break would split the line, so the text could not be parsed back.
      if (typeof value !== 'string' || /[\r\n]/.test(value)) throw bad('a string without CR or LF')
      return value
    case 'uint':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** 64) {
        throw bad('an integer in 0..2^64-1')
      }
      // BigInt, not String: the exact integer a C `%lu` would print for this double, never `1e+21`.
      return BigInt(value).toString()
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < -(2 ** 63) || value >= 2 ** 63) {
        throw bad('an integer in -2^63..2^63-1')
      }
      return BigInt(value).toString()
    case 'fixed2':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw bad('a finite number')
      return formatFixed2(value)
    case 'yesno':
      if (typeof value !== 'boolean') throw bad('a boolean')
      return value ? 'yes' : 'no'
    case 'mode':
      if (value !== 'userkey' && value !== 'sequential') throw bad('"userkey" or "sequential"')
      return value
    case 'hex':
      if (typeof value !== 'string' || !HEX.test(value)) throw bad('0x followed by hex digits')
      return value
  }
}

function show(value: unknown): string {
  return typeof value === 'string'
    ? JSON.stringify(value)
    : typeof value === 'bigint'
      ? `${value}n`
      : String(value)
}

/**
 * C's `printf("%.2f", x)` as glibc prints it: the exact binary value rounded half to even.
 * `toFixed` rounds ties up, so 131072 bytes (0.125 MiB) would print `0.13` instead of `0.12`.
 */
function formatFixed2(x: number): string {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  const high = view.getUint32(0)
  const negative = high >>> 31 === 1
  const exponent = (high >>> 20) & 0x7ff
  let mantissa = (BigInt(high & 0xf_ffff) << 32n) | BigInt(view.getUint32(4))
  let shift: number
  if (exponent === 0) {
    shift = -1074
  } else {
    mantissa |= 1n << 52n
    shift = exponent - 1075
  }
  // |x| = mantissa * 2^shift; hundredths = round(|x| * 100)
  let hundredths: bigint
  if (shift >= 0) {
    hundredths = (mantissa << BigInt(shift)) * 100n
  } else {
    const divisor = 1n << BigInt(-shift)
    const scaled = mantissa * 100n
    hundredths = scaled / divisor
    const twice = (scaled % divisor) * 2n
    if (twice > divisor || (twice === divisor && (hundredths & 1n) === 1n)) hundredths += 1n
  }
  const digits = hundredths.toString().padStart(3, '0')
  return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`
}
