/**
 * The zstor config file: upstream 0-stor v2's TOML read unchanged, with our additions
 * (spec zstor.md §1).
 * @module
 */
export {
  backendLabel,
  formatBackendAddress,
  MAX_SOCKET_PATH_BYTES,
  parseBackendAddress,
} from './backend-address.js'
export { formatConfig } from './format.js'
export { loadConfig } from './load.js'
export { CONFIG_FIELDS, type ParseConfigOptions, parseConfig } from './parse.js'
export {
  type BackendConfig,
  COMPRESSION_NAMES,
  type CompressionName,
  DEFAULT_REPAIR_INTERVAL,
  type GroupConfig,
  type KeySource,
  MAX_REPAIR_INTERVAL,
  type MetaConfig,
  type ZstorConfig,
} from './schema.js'
export { validateConfig } from './validate.js'
