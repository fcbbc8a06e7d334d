/**
 * Checks across the sections of a config, run at startup as upstream's `Config::validate()`
 * is (spec zstor.md §1, §4). Upstream checks one thing: the groups hold at least
 * `expected_shards` backends. We also refuse settings under which placement can never succeed,
 * and backends listed twice, which would put two shards of an object, or metadata and data, on
 * one namespace.
 * @module
 */
import { KEY_LENGTH } from '@qsfs/zstor-codec'
import { ConfigError } from '../errors.js'
import type { BackendConfig, ZstorConfig } from './schema.js'

function fail(config: ZstorConfig, message: string): never {
  throw new ConfigError('ERR_CONFIG_INVALID', config.file === null ? message : `${config.file}: ${message}`)
}

// Two spellings of one namespace on one server compare equal: host names and IPv6 are case-blind.
function identity(backend: BackendConfig): string {
  const a = backend.address
  const where = a.kind === 'unix' ? `unix:${a.path}` : `${a.host.toLowerCase()}:${a.port}`
  return `${where}/${backend.namespace ?? ''}`
}

/**
 * Refuses a config that cannot work, before any backend is contacted (spec zstor.md §1
 * `validate()`, with more checks). `parseConfig` and `loadConfig` do not call it: a reload
 * (SIGUSR1) does not validate upstream either.
 * @throws {ConfigError} `ERR_CONFIG_INVALID`, naming the file and what to change.
 */
export function validateConfig(config: ZstorConfig): void {
  const k = config.minimalShards
  const n = config.expectedShards
  if (!Number.isInteger(k) || k < 1 || k > 255) fail(config, `\`minimal_shards\` must be 1..255, got ${k}`)
  if (!Number.isInteger(n) || n <= k || n > 256) {
    fail(config, `\`expected_shards\` must be ${k + 1}..256 (at least 1 parity shard), got ${n}`)
  }
  if (!(config.key instanceof Uint8Array) || config.key.length !== KEY_LENGTH) {
    fail(config, `the encryption key must be ${KEY_LENGTH} bytes`)
  }
  const backends = config.groups.flatMap((group) => group.backends)
  if (backends.length < n) {
    fail(
      config,
      `insufficient data backends: \`expected_shards\` is ${n}, so the groups must hold at least ${n} backends; they hold ${backends.length}`,
    )
  }
  if (config.redundantNodes > n - k) {
    fail(
      config,
      `\`redundant_nodes\` is ${config.redundantNodes}, more than the ${n - k} parity shards: no placement of the ` +
        'shards can survive losing that many backends of a group',
    )
  }
  const usable = config.groups.filter((group) => group.backends.length >= config.redundantNodes).length
  if (config.redundantGroups >= usable) {
    fail(
      config,
      `\`redundant_groups\` is ${config.redundantGroups}, but only ${usable} groups have at least \`redundant_nodes\` ` +
        `(${config.redundantNodes}) backends: shards must go to more groups than may be lost`,
    )
  }
  if (config.meta.backends.length < 1) fail(config, '`meta.config.backends` must list at least 1 backend')
  const seen = new Map<string, string>()
  const check = (backend: BackendConfig, where: string) => {
    const id = identity(backend)
    const first = seen.get(id)
    if (first !== undefined)
      fail(config, `backend ${backend.label} is listed twice: in ${first} and in ${where}`)
    seen.set(id, where)
  }
  for (const [i, backend] of config.meta.backends.entries()) check(backend, `meta.config.backends[${i}]`)
  for (const [g, group] of config.groups.entries()) {
    for (const [i, backend] of group.backends.entries()) check(backend, `groups[${g}].backends[${i}]`)
  }
}
