/**
 * Upstream 0-db-fs `-o` options (spec zdbfs-and-glue.md §1 "Command line"), parsed into
 * {@link MountOptions}. `host`, `port`, `unix` apply to all three namespaces, then `mh/mp/mu/ms`
 * (meta), `dh/dp/du/ds` (data), `th/tp/tu` (temp) override per namespace. `mn/dn/tn/ts` are
 * accepted and ignored, as upstream ignores them. Options we do not know go to libfuse.
 * @module
 */
import { ZdbfsOptionError } from './errors.js'
import type { MountOptions, NamespaceConfig } from './mount-options.js'

/** Options that only the command line acts on. */
export interface CliOptions {
  background: boolean
  logfile: string | undefined
}

const SUFFIX: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }

/** A byte count: digits with an optional K/M/G/T suffix (powers of 1024). */
export function parseSize(name: string, value: string): number {
  const m = /^(\d+)([kmgt])?i?b?$/i.exec(value.trim())
  if (!m) throw new ZdbfsOptionError(`${name} must be a byte count like 10737418240 or 10G, got '${value}'`)
  const n = Number(m[1]) * (m[2] ? SUFFIX[m[2].toLowerCase()]! : 1)
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new ZdbfsOptionError(`${name} must be a positive byte count, got '${value}'`)
  return n
}

function parsePort(name: string, value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < 1 || n > 65535)
    throw new ZdbfsOptionError(`${name} must be a port 1..65535, got '${value}'`)
  return n
}

function parseCount(name: string, value: string, min: number): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < min)
    throw new ZdbfsOptionError(`${name} must be an integer >= ${min}, got '${value}'`)
  return n
}

/**
 * Parses `-o` option lists (each comma-separated) into mount options plus the command-line-only
 * ones. `mountpoint` is filled in by the caller.
 */
export function parseMountOptions(lists: string[]): {
  mount: Omit<MountOptions, 'mountpoint'>
  cli: CliOptions
} {
  const all: NamespaceConfig = {}
  const meta: NamespaceConfig = {}
  const data: NamespaceConfig = {}
  const temp: NamespaceConfig = {}
  const mount: Omit<MountOptions, 'mountpoint'> = { fuseOptions: [] }
  const cli: CliOptions = { background: false, logfile: undefined }
  for (const list of lists) {
    for (const item of list.split(',')) {
      if (item === '') continue
      const eq = item.indexOf('=')
      const key = eq === -1 ? item : item.slice(0, eq)
      const value = eq === -1 ? undefined : item.slice(eq + 1)
      const need = (): string => {
        if (value === undefined || value === '')
          throw new ZdbfsOptionError(`option ${key} needs a value (${key}=...)`)
        return value
      }
      switch (key) {
        case 'host':
          all.host = need()
          break
        case 'port':
          all.port = parsePort(key, need())
          break
        case 'unix':
          all.socket = need()
          break
        case 'mh':
          meta.host = need()
          break
        case 'mp':
          meta.port = parsePort(key, need())
          break
        case 'mu':
          meta.socket = need()
          break
        case 'ms':
          meta.password = need()
          break
        case 'dh':
          data.host = need()
          break
        case 'dp':
          data.port = parsePort(key, need())
          break
        case 'du':
          data.socket = need()
          break
        case 'ds':
          data.password = need()
          break
        case 'th':
          temp.host = need()
          break
        case 'tp':
          temp.port = parsePort(key, need())
          break
        case 'tu':
          temp.socket = need()
          break
        case 'mn':
        case 'dn':
        case 'tn':
        case 'ts':
          // Upstream parses these, then overwrites them with its fixed names and password.
          break
        case 'size':
          mount.size = parseSize(key, need())
          break
        case 'nocache':
          mount.nocache = true
          break
        case 'autons':
          mount.autons = true
          break
        case 'background':
          cli.background = true
          break
        case 'logfile':
          cli.logfile = need()
          break
        case 'cachesize':
          mount.cacheBlocks = parseCount(key, need(), 1)
          break
        case 'timeout':
          mount.timeout = parseCount(key, need(), 100)
          break
        case 'syncinterval':
          mount.syncInterval = parseCount(key, need(), 10)
          break
        case 'allow_other':
          mount.allowOther = true
          break
        case 'default_permissions':
          mount.defaultPermissions = true
          break
        default:
          mount.fuseOptions!.push(item)
      }
    }
  }
  const merge = (own: NamespaceConfig): NamespaceConfig => {
    const c: NamespaceConfig = { ...all, ...own }
    // A per-namespace host/port wins over a global unix socket, and the reverse.
    if ((own.host !== undefined || own.port !== undefined) && own.socket === undefined) delete c.socket
    return c
  }
  mount.zdb = { meta: merge(meta), data: merge(data), temp: merge(temp) }
  return { mount, cli }
}
