/**
 * Reading the config file from disk (upstream's `-c/--config`, spec zstor.md §4).
 * @module
 */
import { ConfigError } from '../errors.js'
import { describe } from './fields.js'
import { type ParseConfigOptions, parseConfig } from './parse.js'
import { ioReason, readFileCapped } from './read-file.js'
import type { ZstorConfig } from './schema.js'

// Real configs are a few KiB; the cap keeps a wrong path (a device, a log) from filling memory.
const MAX_CONFIG_BYTES = 4 * 2 ** 20

/**
 * Reads the config file at `path` (spec zstor.md §1, upstream's `-c/--config`); see
 * {@link parseConfig}. A leading byte-order mark is ignored.
 * @throws {ConfigError} `ERR_CONFIG_READ` if the file cannot be read, is over 4 MiB or is not
 *   UTF-8, and the errors of {@link parseConfig}.
 */
export async function loadConfig(
  path: string,
  options: Omit<ParseConfigOptions, 'file'> = {},
): Promise<ZstorConfig> {
  if (typeof path !== 'string' || path === '') {
    throw new ConfigError(
      'ERR_CONFIG_READ',
      `the config path must be a non-empty string, got ${describe(path)}`,
    )
  }
  let bytes: Buffer
  try {
    bytes = await readFileCapped(path, MAX_CONFIG_BYTES)
  } catch (error) {
    throw new ConfigError('ERR_CONFIG_READ', `cannot read config ${JSON.stringify(path)}: ${ioReason(error)}`)
  }
  if (bytes.length > MAX_CONFIG_BYTES) {
    throw new ConfigError('ERR_CONFIG_READ', `${path}: the config is over ${MAX_CONFIG_BYTES / 2 ** 20} MiB`)
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw new ConfigError('ERR_CONFIG_READ', `${path}: the config is not valid UTF-8`)
  } finally {
    bytes.fill(0)
  }
  return parseConfig(text, { ...options, file: path })
}
