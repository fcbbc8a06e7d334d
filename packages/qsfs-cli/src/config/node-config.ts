/**
 * The node config, `qsfs.toml` in the node directory: where the filesystem is mounted, how much
 * local disk the data cache may use, how often the open segment is uploaded, and where the
 * zstor config (backends, k/m, key) is. Relative paths are relative to the node directory, so a
 * node directory copied to another machine works there.
 * @module
 */
import { readFileSync, realpathSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { parse as parseToml } from 'smol-toml'
import { QsfsError } from '../errors.js'
import { parseSize } from './sizes.js'

export const NODE_CONFIG_FILE = 'qsfs.toml'

export interface NodeConfig {
  /** The node directory (holds qsfs.toml). */
  readonly dir: string
  /** Where the filesystem is mounted. */
  readonly mountpoint: string
  /** Bytes of data segments kept locally; above it, uploaded segments are evicted (LRU). */
  readonly cacheSize: number
  /** Bytes of one local data segment before the local zdb starts the next. */
  readonly segmentSize: number
  /** Seconds: writes are uploaded at most this long after they are made (0: only closed segments). */
  readonly lossWindow: number
  /** Status page address, null when off. */
  readonly status: { readonly host: string; readonly port: number } | null
  /** Size the filesystem reports (statfs). */
  readonly fsSize: number
  /** Backends `qsfs up` runs itself (`qsfs init --local N`); 0 when all are elsewhere. */
  readonly localBackends: number
  /** Where those backends keep their files. */
  readonly localBackendsDir: string
  /** The zstor config: backends, k/m, groups, key. */
  readonly zstorConfig: string
}

export const DEFAULTS = {
  cacheSize: 4 * 2 ** 30,
  segmentSize: 32 * 2 ** 20,
  lossWindow: 60,
  status: { host: '127.0.0.1', port: 9910 },
  fsSize: 10 * 2 ** 40,
} as const

const FIELDS = [
  'mountpoint',
  'cache_size',
  'segment_size',
  'loss_window',
  'status_listen',
  'fs_size',
  'local_backends',
  'local_backends_dir',
  'zstor_config',
] as const

function invalid(file: string, message: string): QsfsError {
  return new QsfsError('ERR_NODE_CONFIG', `${file}: ${message}`)
}

function size(file: string, table: Record<string, unknown>, name: string, fallback: number, min = 1): number {
  const raw = table[name]
  if (raw === undefined) return fallback
  const bytes = typeof raw === 'string' || typeof raw === 'number' ? parseSize(raw) : null
  if (bytes === null || bytes < min)
    throw invalid(
      file,
      `${name} must be a size of at least ${min} bytes, like "4GiB" or 1073741824; got ${JSON.stringify(raw)}`,
    )
  return bytes
}

function integer(
  file: string,
  table: Record<string, unknown>,
  name: string,
  fallback: number,
  max: number,
): number {
  const raw = table[name]
  if (raw === undefined) return fallback
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > max)
    throw invalid(file, `${name} must be a whole number 0..${max}; got ${JSON.stringify(raw)}`)
  return raw
}

function path(
  file: string,
  dir: string,
  table: Record<string, unknown>,
  name: string,
  fallback: string,
): string {
  const raw = table[name] ?? fallback
  if (typeof raw !== 'string' || raw === '')
    throw invalid(file, `${name} must be a path; got ${JSON.stringify(raw)}`)
  return isAbsolute(raw) ? raw : resolve(dir, raw)
}

/** `host:port`, `[v6]:port`, or `off`. */
export function parseListen(text: string): { host: string; port: number } | null | undefined {
  if (text === 'off') return null
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text)
  const port = m ? Number(m[3]) : -1
  if (!m || port > 65535) return undefined
  return { host: m[1] ?? m[2]!, port }
}

/** Parses the text of a qsfs.toml that lives in `dir`. */
export function parseNodeConfig(text: string, dir: string, file = join(dir, NODE_CONFIG_FILE)): NodeConfig {
  let table: Record<string, unknown>
  try {
    table = parseToml(text) as Record<string, unknown>
  } catch (error) {
    throw invalid(file, `not valid TOML: ${(error as Error).message.split('\n')[0]}`)
  }
  for (const key of Object.keys(table)) {
    if (!(FIELDS as readonly string[]).includes(key))
      throw invalid(file, `unknown field \`${key}\`; the fields are ${FIELDS.join(', ')}`)
  }
  let status: NodeConfig['status'] = DEFAULTS.status
  if (table.status_listen !== undefined) {
    const parsed = typeof table.status_listen === 'string' ? parseListen(table.status_listen) : undefined
    if (parsed === undefined)
      throw invalid(
        file,
        `status_listen must be "host:port" or "off"; got ${JSON.stringify(table.status_listen)}`,
      )
    status = parsed
  }
  return {
    dir,
    mountpoint: path(file, dir, table, 'mountpoint', 'mnt'),
    cacheSize: size(file, table, 'cache_size', DEFAULTS.cacheSize),
    segmentSize: size(file, table, 'segment_size', DEFAULTS.segmentSize, 4096),
    lossWindow: integer(file, table, 'loss_window', DEFAULTS.lossWindow, 86_400),
    status,
    fsSize: size(file, table, 'fs_size', DEFAULTS.fsSize),
    localBackends: integer(file, table, 'local_backends', 0, 64),
    localBackendsDir: path(file, dir, table, 'local_backends_dir', 'backends'),
    zstorConfig: path(file, dir, table, 'zstor_config', 'zstor.toml'),
  }
}

/** Reads `<dir>/qsfs.toml`. */
export function loadNodeConfig(dir: string): NodeConfig {
  const abs = resolve(dir)
  const file = join(abs, NODE_CONFIG_FILE)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new QsfsError(
      'ERR_NODE_CONFIG',
      code === 'ENOENT'
        ? `no node in ${abs} (${NODE_CONFIG_FILE} not found); create one with \`qsfs init --dir ${dir}\``
        : `cannot read ${file}: ${code ?? (error as Error).message}`,
    )
  }
  // The real path: zstor stores a file under its real path relative to `root` (this
  // directory's zdb/), so a symlink in the node's path would give every file another key.
  return parseNodeConfig(text, realpathSync(abs), file)
}
