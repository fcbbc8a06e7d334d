/**
 * `zstor` command line, upstream's (spec zstor.md §4): global `-c/--config`, `-d/--debug`,
 * `--log_file`, then a subcommand and its flags. Ours in addition: `--json` (global or after
 * the subcommand), `check --deep`, `status --json`, `--help` everywhere, `--version`.
 * @module
 */
import { parseArgs } from 'node:util'

export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export const COMMANDS = ['store', 'retrieve', 'rebuild', 'check', 'test', 'status', 'monitor'] as const
export type CommandName = (typeof COMMANDS)[number]

export interface GlobalArgs {
  config: string
  debug: boolean
  logFile: string | null
  json: boolean
}

export type Invocation =
  | { kind: 'help'; command: CommandName | null }
  | { kind: 'version' }
  | {
      kind: 'run'
      global: GlobalArgs
      command: CommandName
      flags: Record<string, string | boolean | undefined>
    }

type Spec = Record<string, { type: 'string' | 'boolean'; short?: string }>

const COMMAND_FLAGS: Record<CommandName, Spec> = {
  store: {
    file: { type: 'string', short: 'f' },
    'key-path': { type: 'string', short: 'k' },
    'error-on-failure': { type: 'boolean', short: 'e' },
    'save-failure': { type: 'boolean', short: 's' },
    delete: { type: 'boolean', short: 'd' },
    notblocking: { type: 'boolean', short: 'n' },
  },
  retrieve: { file: { type: 'string', short: 'f' }, output: { type: 'string', short: 'o' } },
  rebuild: { file: { type: 'string', short: 'f' }, key: { type: 'string', short: 'k' } },
  check: { file: { type: 'string', short: 'f' }, deep: { type: 'boolean' } },
  test: {},
  status: {},
  monitor: {},
}

export const HELP: Record<CommandName | 'main', string> = {
  main: `zstor: store files erasure-coded and encrypted over many zdb backends (QSFS)

Usage: zstor [-c CONFIG] [-d] [--log_file FILE] [--json] <command> [options]

Commands:
  store -f FILE|DIR [-k DIR] [-d] [-n]   store a file, or the regular files of a directory
  retrieve -f FILE [-o OUT]              get a stored file back
  check -f FILE [--deep]                 print the stored file's BLAKE2b-128 (--deep: verify every shard)
  rebuild -f FILE | -k KEY               re-create missing or corrupt shards and metadata shards
  status                                 backends: reachable, objects, used, free
  test                                   check every backend and that shards can be placed
  monitor                                run the daemon (socket API, upload queue, repair, metrics)

Global options:
  -c, --config FILE   config file (default zstor_config.toml)
  -d, --debug         log debug detail
  --log_file FILE     where the daemon logs (default: standard error)
  --json              print results as JSON
  -h, --help          this help; \`zstor <command> --help\` for a command's
  -V, --version       print the version

Exit codes: 0 success; 1 the operation failed; 2 bad command line; 3 the config cannot be used.`,
  store: `Usage: zstor store -f FILE|DIR [-k DIR] [-d] [-n] [-e] [-s]

Stores FILE (or every regular file directly in DIR) unless the stored copy is identical.
  -f, --file PATH        file or directory to store
  -k, --key-path DIR     store as DIR/<file name> instead of the file's own path
  -d, --delete           delete the local file once stored
  -n, --notblocking      queue the upload in the daemon's durable queue and return at once
  -e, -s                 accepted for compatibility (upstream ignores them too)`,
  retrieve: `Usage: zstor retrieve -f FILE [-o OUT]

Retrieves FILE to its own path under the config's root (or OUT).
  -f, --file PATH    the stored path
  -o, --output PATH  where to write it`,
  rebuild: `Usage: zstor rebuild (-f FILE | -k KEY)

Re-creates the shards of a stored file that are missing, corrupt, on unreachable backends or
on backends no longer in the config, and rewrites missing metadata shards.
  -f, --file PATH   the stored path
  -k, --key KEY     the raw metadata key (/prefix/meta/<hash>)`,
  check: `Usage: zstor check -f FILE [--deep]

Prints the BLAKE2b-128 (hex) of the stored file, or nothing if it is not stored.
  --deep   also fetch and verify every shard; exit 1 if any is missing or corrupt`,
  status: `Usage: zstor status [--json]

Probes every meta and data backend and prints: backend, state, objects, used, free, usage.`,
  test: `Usage: zstor test

Connects to every data backend and checks that the shards of an object can be placed.`,
  monitor: `Usage: zstor monitor

Runs the daemon on the config's socket: a durable upload queue for \`store -n\`, a repairer that
sweeps all objects every repair_interval seconds (and when a backend fails or is removed),
Prometheus /metrics on prometheus_port, config reload on SIGHUP or SIGUSR1.`,
}

function isCommand(s: string): s is CommandName {
  return (COMMANDS as readonly string[]).includes(s)
}

export function parseCli(argv: readonly string[]): Invocation {
  const global: GlobalArgs = { config: 'zstor_config.toml', debug: false, logFile: null, json: false }
  let i = 0
  for (; i < argv.length; i++) {
    const arg = argv[i]!
    const value = () => {
      const v = argv[++i]
      if (v === undefined) throw new UsageError(`${arg} needs a value`)
      return v
    }
    if (arg === '-h' || arg === '--help') return { kind: 'help', command: null }
    else if (arg === '-V' || arg === '--version') return { kind: 'version' }
    else if (arg === '-c' || arg === '--config') global.config = value()
    else if (arg.startsWith('--config=')) global.config = arg.slice('--config='.length)
    else if (arg === '-d' || arg === '--debug') global.debug = true
    else if (arg === '--log_file' || arg === '--log-file') global.logFile = value()
    else if (arg === '--json') global.json = true
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg} (see zstor --help)`)
    else break
  }
  const name = argv[i]
  if (name === undefined) throw new UsageError('no command given (see zstor --help)')
  if (!isCommand(name))
    throw new UsageError(`unknown command ${JSON.stringify(name)}: one of ${COMMANDS.join(', ')}`)
  const rest = argv.slice(i + 1)
  if (rest.includes('-h') || rest.includes('--help')) return { kind: 'help', command: name }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...COMMAND_FLAGS[name], json: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    })
  } catch (error) {
    throw new UsageError(`${name}: ${(error as Error).message} (see zstor ${name} --help)`)
  }
  const flags = parsed.values as Record<string, string | boolean | undefined>
  if (flags.json) global.json = true
  if (name === 'store' || name === 'retrieve' || name === 'check') {
    if (!flags.file) throw new UsageError(`${name} needs -f FILE (see zstor ${name} --help)`)
  }
  if (name === 'rebuild' && Boolean(flags.file) === Boolean(flags.key)) {
    throw new UsageError('rebuild needs exactly one of -f FILE or -k KEY')
  }
  return { kind: 'run', global, command: name, flags }
}
