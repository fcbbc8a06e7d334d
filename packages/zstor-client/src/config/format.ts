/**
 * Writes a config back as TOML, the way upstream's `toml::to_string(&config)` does (spec
 * zstor.md §1, §6 `config::tests::encoding`): fields in struct order, absent optional fields
 * left out, one blank line before each table, and a blank line after each `[[groups]]`. Our
 * fields follow upstream's top-level scalars, and are left out when absent or at their default,
 * so that a config that uses none of them is written byte for byte as upstream writes it.
 * @module
 */
import { DEFAULT_SCRYPT_PARAMS, formatHexKey } from '@qsfs/zstor-codec'
import { ConfigError } from '../errors.js'
import { formatBackendAddress } from './backend-address.js'
import type { BackendConfig, KeySource, ZstorConfig } from './schema.js'
import { DEFAULT_REPAIR_INTERVAL } from './schema.js'

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\f': '\\f',
  '\r': '\\r',
}

/** A TOML basic string: quotes, backslashes and control characters escaped. */
export function tomlString(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: TOML requires control characters escaped.
  const escaped = text.replace(/["\\\u0000-\u001f\u007f]/g, (c) => {
    return ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
  return `"${escaped}"`
}

function keyLines(source: KeySource, key: Uint8Array | null, table: string): string[] {
  const lines = ['algorithm = "AES"']
  if (source.kind === 'hex') {
    if (key === null)
      throw new ConfigError('ERR_CONFIG_INVALID', `\`${table}\` has a hex key source but no key`)
    lines.push(`key = ${tomlString(formatHexKey(key))}`)
  } else if (source.kind === 'file') {
    lines.push(`key_file = ${tomlString(source.path)}`)
  } else {
    if (source.passphrase !== undefined) lines.push(`passphrase = ${tomlString(source.passphrase)}`)
    else if (source.env !== undefined) lines.push(`passphrase_env = ${tomlString(source.env)}`)
    else {
      throw new ConfigError(
        'ERR_CONFIG_INVALID',
        `\`${table}\`: a passphrase key source needs \`passphrase\` or \`env\` to be written out`,
      )
    }
    lines.push(`salt = ${tomlString(Buffer.from(source.salt).toString('hex'))}`)
    const params = source.params ?? DEFAULT_SCRYPT_PARAMS
    if (params.N !== DEFAULT_SCRYPT_PARAMS.N) lines.push(`scrypt_n = ${params.N}`)
    if (params.r !== DEFAULT_SCRYPT_PARAMS.r) lines.push(`scrypt_r = ${params.r}`)
    if (params.p !== DEFAULT_SCRYPT_PARAMS.p) lines.push(`scrypt_p = ${params.p}`)
  }
  return lines
}

function backendLines(backend: BackendConfig): string[] {
  const lines = [`address = ${tomlString(formatBackendAddress(backend.address))}`]
  if (backend.namespace !== null) lines.push(`namespace = ${tomlString(backend.namespace)}`)
  if (backend.password !== null) lines.push(`password = ${tomlString(backend.password)}`)
  return lines
}

/**
 * The config as TOML, in upstream's field order (spec zstor.md §1); `parseConfig` of the
 * result gives the same config back. The key is written the way it was given (hex, key file
 * or passphrase); a passphrase given through `passphrase_env` stays there.
 * @throws {ConfigError} `ERR_CONFIG_INVALID` if a key source cannot be written (a hex source
 *   without its key, a passphrase source with neither its passphrase nor its variable).
 */
export function formatConfig(config: ZstorConfig): string {
  const top: string[] = [
    `minimal_shards = ${config.minimalShards}`,
    `expected_shards = ${config.expectedShards}`,
    `redundant_groups = ${config.redundantGroups}`,
    `redundant_nodes = ${config.redundantNodes}`,
  ]
  const optional: [string, string | number | null][] = [
    ['root', config.root],
    ['socket', config.socket],
    ['pid_file', config.pidFile],
    ['zdb_data_dir_path', config.zdbDataDirPath],
    ['max_zdb_data_dir_size', config.maxZdbDataDirSize],
    ['zdbfs_mountpoint', config.zdbfsMountpoint],
    ['prometheus_port', config.prometheusPort],
    ['queue_dir', config.queueDir],
    ['repair_interval', config.repairInterval === DEFAULT_REPAIR_INTERVAL ? null : config.repairInterval],
    ['object_size', config.objectSize],
  ]
  for (const [name, value] of optional) {
    if (value !== null) top.push(`${name} = ${typeof value === 'number' ? value : tomlString(value)}`)
  }
  // An empty array of tables has no header to write; upstream's serializer inlines it.
  if (config.groups.length === 0) top.push('groups = []')

  const sections: string[][] = [
    top,
    ['[encryption]', ...keyLines(config.keySource, config.key, 'encryption')],
    ['[compression]', `algorithm = ${tomlString(config.compression)}`],
    ['[meta]', 'type = "zdb"'],
    [
      '[meta.config]',
      `prefix = ${tomlString(config.meta.prefix)}`,
      ...(config.meta.backends.length === 0 ? ['backends = []'] : []),
    ],
  ]
  if (config.meta.keySource !== null) {
    sections.push([
      '[meta.config.encryption]',
      ...keyLines(config.meta.keySource, config.meta.key, 'meta.config.encryption'),
    ])
  }
  for (const backend of config.meta.backends)
    sections.push(['[[meta.config.backends]]', ...backendLines(backend)])
  for (const group of config.groups) {
    if (group.backends.length === 0) sections.push(['[[groups]]', 'backends = []'])
    else sections.push(['[[groups]]'])
    for (const backend of group.backends) sections.push(['[[groups.backends]]', ...backendLines(backend)])
  }
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`
}
