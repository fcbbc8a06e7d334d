/**
 * Command-line parsing with upstream's flag names (spec zdb.md §4). Like `getopt_long_only`,
 * `-port` equals `--port`, `--flag=value` and `--flag value` both work, and an unambiguous
 * prefix (`--dat` is ambiguous, `--ind` is `--index`) names its flag.
 * @module
 */
import { ZdbOptionError } from './errors.js'

export const MIN_DATASIZE = 524288

interface FlagSpec {
  readonly takesValue: boolean
}

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  data: { takesValue: true },
  index: { takesValue: true },
  listen: { takesValue: true },
  port: { takesValue: true },
  datasize: { takesValue: true },
  mode: { takesValue: true },
  verbose: { takesValue: false },
  version: { takesValue: false },
  help: { takesValue: false },
  socket: { takesValue: true },
  dualnet: { takesValue: false },
  maxsize: { takesValue: true },
  admin: { takesValue: true },
  protect: { takesValue: false },
  hook: { takesValue: true },
  sync: { takesValue: false },
  synctime: { takesValue: true },
  secure: { takesValue: false },
  rotate: { takesValue: true },
  background: { takesValue: false },
  logfile: { takesValue: true },
  dump: { takesValue: false },
  // Not upstream's (spec zdb.md §4 has no flag of this name or prefix).
  cache: { takesValue: true },
}

export type CliCommand =
  | { kind: 'help' }
  | { kind: 'version' }
  | {
      kind: 'run'
      host: string
      port: number
      dataDir: string
      indexDir: string
      datasize: number | undefined
      /** `--mode`; `direct` is mapped to `seq`. Absent means mixed mode. */
      mode: 'user' | 'seq' | undefined
      /** `--admin`; absent means every client is admin. */
      admin: string | undefined
      protect: boolean
      /** `--maxsize` of `default`, in bytes. */
      maxsize: number | undefined
      /** `--sync`: acknowledge writes only once fsynced. */
      sync: boolean
      /** `--synctime N`: fsync when the last fsync is older than N seconds. */
      synctime: number | undefined
      /** `--secure`: fsync files before every jump to the next pair. */
      secure: boolean
      /** `--rotate N`: jump to the next files every N seconds. */
      rotate: number | undefined
      /** `--socket`: Unix socket path (TCP is then off unless `dualnet`). */
      socket: string | undefined
      dualnet: boolean
      /** `--background`: detach once ready. */
      background: boolean
      /** `--logfile`: where the background server's output goes. */
      logfile: string | undefined
      /** `--hook <exe>`: run on the events of spec §3. */
      hook: string | undefined
      /** `--dump`: print the index files and exit instead of serving. */
      dump: boolean
      /** `--cache <MiB>`: payload cache budget in bytes; 0 disables; absent means the default. */
      cacheSize: number | undefined
      verbose: boolean
    }

export const USAGE = `Usage: zdb-server [options]

A 0-db (zdb) compatible key-value server.

 Database settings:
  --data  <dir>       data files directory (default ./zdb-data)
  --index <dir>       index files directory (default ./zdb-index)
  --mode  <mode>      force every namespace to 'user' or 'seq' ('direct' = seq);
                      default: mixed, new namespaces are user mode
  --datasize <size>   data file size before rotation, suffixes k M G T
                      (default 256M, at least 524288 bytes)
  --maxsize <bytes>   payload limit of the default namespace (in memory only)
  --cache <MiB>       memory for recently written and read values of up to 64 KiB,
                      so that reading them again needs no disk read (default 32,
                      0 disables; not an upstream flag)

 Durability (default: no fsync, as upstream; the OS writes back when it wants):
  --sync              acknowledge a write only after it is fsynced; writes that arrive
                      together share one fsync per file (group commit)
  --synctime <sec>    fsync written files when the last fsync is older than <sec>
  --secure            fsync a namespace's files before every jump to the next pair
  --rotate <sec>      jump every namespace with data to the next file pair every <sec>

 Access:
  --admin <password>  admin password; without it every client is admin
  --protect           default namespace read-only until SELECT default <admin password>
                      (requires --admin)

 Hooks:
  --hook <exe>        run <exe> <event> <zdbid> [args..] on server events (no shell):
                      namespaces-init, ready (non-zero exit aborts the start), close,
                      namespace-created/updated/deleted/reloaded/closing, jump-index,
                      jump-data, missing-data (exit 0 if the data file was restored),
                      crash (a fatal error; waited for up to 10 s, then exit 1)

 Network options:
  --listen <addr>     listen address (default 127.0.0.1; upstream uses ::)
  --port   <port>     listen port (default 9900)
  --socket <path>     listen on this Unix socket instead of TCP
  --dualnet           with --socket: listen on TCP as well

 Other:
  --background        detach once the server is ready; prints the server's pid
  --logfile <file>    with --background: append the server's output to <file>
  --dump              print every entry of every index file (key, data file:offset,
                      length, flags, timestamp) and exit; reads only, takes no lock
  --verbose           print debug messages
  --version           print the version and exit
  --help              print this message and exit
`

/** Parses `argv` (without node and script); throws {@link ZdbOptionError} with a one-line reason. */
export function parseArgs(argv: readonly string[]): CliCommand {
  const values = new Map<string, string | true>()
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    if (!token.startsWith('-') || token === '-' || token === '--') {
      throw new ZdbOptionError(`unexpected argument '${token}'`)
    }
    const body = token.replace(/^--?/, '')
    const eq = body.indexOf('=')
    const given = eq === -1 ? body : body.slice(0, eq)
    const name = resolveFlag(given, token)
    const spec = FLAGS[name]!
    if (!spec.takesValue) {
      if (eq !== -1) throw new ZdbOptionError(`--${name} takes no value`)
      values.set(name, true)
      continue
    }
    let value: string | undefined
    if (eq !== -1) value = body.slice(eq + 1)
    else value = argv[++i]
    if (value === undefined) throw new ZdbOptionError(`--${name} needs a value`)
    values.set(name, value)
  }
  if (values.has('help')) return { kind: 'help' }
  if (values.has('version')) return { kind: 'version' }
  const modeArg = values.get('mode')
  let mode: 'user' | 'seq' | undefined
  if (typeof modeArg === 'string') {
    if (modeArg === 'user') mode = 'user'
    else if (modeArg === 'seq' || modeArg === 'direct') mode = 'seq'
    else throw new ZdbOptionError(`--mode must be 'user', 'seq' or 'direct', got '${modeArg}'`)
  }
  const str = (name: string, fallback: string): string => {
    const v = values.get(name)
    return typeof v === 'string' ? v : fallback
  }
  const datasize = values.get('datasize')
  const maxsize = values.get('maxsize')
  const synctime = values.get('synctime')
  const rotate = values.get('rotate')
  const cache = values.get('cache')
  const logfile = values.get('logfile')
  const socket = values.get('socket')
  if (values.has('dualnet') && typeof socket !== 'string') {
    throw new ZdbOptionError('--dualnet needs --socket <path> (it adds TCP to the Unix socket)')
  }
  if (logfile !== undefined && !values.has('background')) {
    throw new ZdbOptionError('--logfile is for --background mode (in the foreground the output is yours)')
  }
  const admin = values.get('admin')
  const hook = values.get('hook')
  if (hook === '') throw new ZdbOptionError('--hook needs the path of an executable')
  if (typeof admin === 'string' && admin === '')
    throw new ZdbOptionError('--admin needs a non-empty password')
  if (values.has('protect') && typeof admin !== 'string') {
    throw new ZdbOptionError('--protect requires --admin <password>')
  }
  return {
    kind: 'run',
    host: str('listen', '127.0.0.1'),
    port: parsePort(str('port', '9900')),
    dataDir: str('data', './zdb-data'),
    indexDir: str('index', './zdb-index'),
    datasize: typeof datasize === 'string' ? parseDatasize(datasize) : undefined,
    mode,
    admin: typeof admin === 'string' ? admin : undefined,
    protect: values.has('protect'),
    maxsize: typeof maxsize === 'string' ? parseMaxsize(maxsize) : undefined,
    sync: values.has('sync'),
    synctime: typeof synctime === 'string' ? parseSeconds('synctime', synctime) : undefined,
    secure: values.has('secure'),
    rotate: typeof rotate === 'string' ? parseSeconds('rotate', rotate) : undefined,
    socket: typeof socket === 'string' ? socket : undefined,
    dualnet: values.has('dualnet'),
    background: values.has('background'),
    logfile: typeof logfile === 'string' ? logfile : undefined,
    hook: typeof hook === 'string' ? hook : undefined,
    dump: values.has('dump'),
    cacheSize: typeof cache === 'string' ? parseCacheMiB(cache) : undefined,
    verbose: values.has('verbose'),
  }
}

function resolveFlag(given: string, token: string): string {
  if (given in FLAGS) return given
  const candidates = given.length > 0 ? Object.keys(FLAGS).filter((f) => f.startsWith(given)) : []
  if (candidates.length === 1) return candidates[0]!
  if (candidates.length > 1) {
    throw new ZdbOptionError(`option '${token}' is ambiguous (${candidates.map((c) => `--${c}`).join(', ')})`)
  }
  throw new ZdbOptionError(`unknown option '${token}'`)
}

function parsePort(text: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isInteger(port) || port > 65535)
    throw new ZdbOptionError(`--port must be 0..65535, got '${text}'`)
  return port
}

const UNITS: Readonly<Record<string, number>> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }

/** Bytes, with an optional k/M/G/T suffix (powers of 1024); 524288 ≤ size < 4294967295. */
export function parseDatasize(text: string): number {
  const m = /^(\d+)([kKmMgGtT]?)$/.exec(text)
  const size = m ? Number(m[1]) * (m[2] ? UNITS[m[2].toLowerCase()]! : 1) : Number.NaN
  if (!Number.isSafeInteger(size) || size < MIN_DATASIZE || size >= 0xffffffff) {
    throw new ZdbOptionError(
      `--datasize must be ${MIN_DATASIZE}..4294967294 bytes (suffixes k, M, G, T allowed), got '${text}'`,
    )
  }
  return size
}

/** `--maxsize`: bytes, in decimal. */
export function parseMaxsize(text: string): number {
  const size = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(size)) {
    throw new ZdbOptionError(`--maxsize must be a number of bytes, got '${text}'`)
  }
  return size
}

/** `--synctime`, `--rotate`: whole seconds, at least 1. */
export function parseSeconds(flag: string, text: string): number {
  const seconds = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new ZdbOptionError(`--${flag} must be a whole number of seconds >= 1, got '${text}'`)
  }
  return seconds
}

/** `--cache`: whole MiB, 0 (no cache) to 4095. */
export function parseCacheMiB(text: string): number {
  const mib = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(mib) || mib > 4095) {
    throw new ZdbOptionError(`--cache must be a whole number of MiB, 0 (no cache) to 4095, got '${text}'`)
  }
  return mib * 1024 * 1024
}
