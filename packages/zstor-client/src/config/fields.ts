/**
 * Typed reads of TOML values for the config reader. Every refusal is a {@link ConfigError}
 * that names the field by its dotted path and says `file:line` and what was expected; values
 * of secret fields are described by their length only.
 * @module
 */
import { ConfigError, type ConfigErrorCode } from '../errors.js'
import { type FieldPath, formatPath, Locator } from './locate.js'

/** A parsed TOML table (smol-toml's tables have a null prototype). */
export type Table = Readonly<Record<string, unknown>>

/** The config text being read: turns a path into `file:line` for messages. */
export class Source {
  readonly file: string | null
  readonly #locator: Locator

  constructor(text: string, file: string | null) {
    this.file = file
    this.#locator = new Locator(text)
  }

  /** `file:line`, `line N`, the file alone, or '' when neither is known. */
  where(path: FieldPath): string {
    const line = this.#locator.line(path)
    if (line === undefined) return this.file ?? ''
    return this.file === null ? `line ${line}` : `${this.file}:${line}`
  }

  /** An error located at `path`. */
  error(code: ConfigErrorCode, path: FieldPath, message: string): ConfigError {
    const where = this.where(path)
    return new ConfigError(code, where === '' ? message : `${where}: ${message}`)
  }
}

/** `\`groups[0].backends\`` for messages. */
export function field(path: FieldPath): string {
  return `\`${formatPath(path)}\``
}

/** What a value is, for "got …"; a `secret` value shows only its kind (and a string its length). */
export function describe(value: unknown, secret = false): string {
  if (typeof value === 'string') {
    if (secret) return `a string of ${value.length} characters`
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  }
  if (typeof value === 'bigint') return secret ? 'an integer' : String(value)
  if (typeof value === 'number') return secret ? 'a float' : `${value} (a float)`
  if (typeof value === 'boolean') return secret ? 'a boolean' : String(value)
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Date) return 'a date-time'
  if (isTable(value)) return 'a table'
  return typeof value
}

/** A TOML table, as opposed to an array, a date or a scalar. */
export function isTable(value: unknown): value is Table {
  if (typeof value !== 'object' || value === null) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === null || proto === Object.prototype
}

/** `value` as a table, or an invalid-field error at `path`. */
export function asTable(src: Source, value: unknown, path: FieldPath): Table {
  if (!isTable(value))
    throw src.error('ERR_CONFIG_INVALID', path, `${field(path)} must be a table, got ${describe(value)}`)
  return value
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = row
  }
  return previous[b.length]!
}

/** Refuses the first field of `table` not in `known`, as upstream's `deny_unknown_fields` does. */
export function checkFields(src: Source, table: Table, path: FieldPath, known: readonly string[]): void {
  for (const name of Object.keys(table)) {
    if (known.includes(name)) continue
    // A typo of a short name is as far from it as any other short name: suggest only close ones.
    const near = known.find(
      (k) => distance(k, name) <= Math.max(1, Math.floor(Math.min(k.length, name.length) / 3)),
    )
    const hint = near === undefined ? '' : `did you mean \`${near}\`? `
    throw src.error(
      'ERR_CONFIG_UNKNOWN_FIELD',
      [...path, name],
      `unknown field ${field([...path, name])}; ${hint}expected one of ${known.map((k) => `\`${k}\``).join(', ')}`,
    )
  }
}

/** The value of `name`, or a missing-field error located at its table. */
export function required(src: Source, table: Table, path: FieldPath, name: string): unknown {
  const value = table[name]
  if (value === undefined) {
    throw src.error('ERR_CONFIG_MISSING_FIELD', path, `missing field ${field([...path, name])}`)
  }
  return value
}

/** Bounds of {@link readInteger}; `what` replaces the plain range in messages. */
export interface IntegerRule {
  readonly min: number
  readonly max: number
  readonly what?: string
}

/** An integer field within `rule`; `null` when it is absent. */
export function readInteger(
  src: Source,
  table: Table,
  path: FieldPath,
  name: string,
  rule: IntegerRule,
): number | null {
  const value = table[name]
  if (value === undefined) return null
  const at = [...path, name]
  // Integers arrive as bigint (`integersAsBigInt: true`), so `2.0` is told apart from `2`.
  if (typeof value !== 'bigint' || value < BigInt(rule.min) || value > BigInt(rule.max)) {
    const what = rule.what ?? `an integer ${rule.min}..${rule.max}`
    throw src.error('ERR_CONFIG_INVALID', at, `${field(at)} must be ${what}, got ${describe(value)}`)
  }
  return Number(value)
}

/** Rules of {@link readString}. */
export interface StringRule {
  /** Describe a wrong value by its length only. */
  readonly secret?: boolean
  /** Accept `''`. */
  readonly allowEmpty?: boolean
}

/**
 * A string field; `null` when it is absent. NUL is refused: the kernel ends a path at one, and
 * 0-db refuses one in a namespace name.
 */
export function readString(
  src: Source,
  table: Table,
  path: FieldPath,
  name: string,
  rule: StringRule = {},
): string | null {
  const value = table[name]
  if (value === undefined) return null
  const at = [...path, name]
  if (typeof value !== 'string') {
    throw src.error(
      'ERR_CONFIG_INVALID',
      at,
      `${field(at)} must be a string, got ${describe(value, rule.secret)}`,
    )
  }
  if (value === '' && rule.allowEmpty !== true) {
    throw src.error('ERR_CONFIG_INVALID', at, `${field(at)} must not be empty`)
  }
  if (value.includes('\0')) {
    throw src.error('ERR_CONFIG_INVALID', at, `${field(at)} must not contain a NUL character`)
  }
  return value
}

/** An array field; `null` when it is absent. */
export function readArray(
  src: Source,
  table: Table,
  path: FieldPath,
  name: string,
): readonly unknown[] | null {
  const value = table[name]
  if (value === undefined) return null
  const at = [...path, name]
  if (!Array.isArray(value)) {
    throw src.error(
      'ERR_CONFIG_INVALID',
      at,
      `${field(at)} must be an array of tables, got ${describe(value)}`,
    )
  }
  return value
}

/** Bytes of `text` as UTF-8, for limits that the kernel or zdb count in bytes. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}
