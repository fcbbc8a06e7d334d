/**
 * The `qsfs` command line: a subcommand, then its options; `--help` everywhere. Every option
 * of every command is listed here with its help text, so parsing and help cannot disagree.
 * @module
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { QsfsError } from '../errors.js'

type Option = { type: 'string' | 'boolean'; multiple?: boolean; short?: string; help: string; arg?: string }

const DIR: Option = { type: 'string', arg: 'DIR', help: 'node directory (default $QSFS_DIR or ~/.qsfs)' }
const JSON_OPT: Option = { type: 'boolean', help: 'print JSON instead of text' }

export const COMMANDS = {
  init: {
    summary: 'create a node: qsfs.toml, zstor.toml and a key',
    options: {
      dir: DIR,
      local: {
        type: 'string',
        arg: 'N',
        help: 'run N backend zdbs inside the node (default 4 when no --backend)',
      },
      backend: {
        type: 'string',
        multiple: true,
        arg: 'ADDR',
        help: 'a data backend zdb: host:port, [v6]:port or unix:/path (repeat)',
      },
      meta: {
        type: 'string',
        multiple: true,
        arg: 'ADDR',
        help: 'a metadata backend zdb (repeat; default: the data backends)',
      },
      'backend-password': { type: 'string', arg: 'PW', help: 'namespace password of the backends' },
      'backend-admin': {
        type: 'string',
        arg: 'PW',
        help: "the backends' admin password, to create the namespaces",
      },
      'data-namespace': {
        type: 'string',
        arg: 'NS',
        help: 'namespace of the data shards (default qsfs-data)',
      },
      'meta-namespace': { type: 'string', arg: 'NS', help: 'namespace of the metadata (default qsfs-meta)' },
      'data-shards': { type: 'string', arg: 'K', help: 'shards needed to read an object back' },
      'parity-shards': {
        type: 'string',
        arg: 'M',
        help: 'extra shards: backends that may be lost (default one per three backends)',
      },
      mountpoint: { type: 'string', arg: 'PATH', help: 'where the filesystem is mounted (default DIR/mnt)' },
      'cache-size': {
        type: 'string',
        arg: 'SIZE',
        help: 'local disk for data segments before eviction (default 4GiB)',
      },
      'segment-size': { type: 'string', arg: 'SIZE', help: 'size of a local data segment (default 32MiB)' },
      'loss-window': {
        type: 'string',
        arg: 'SEC',
        help: 'writes are uploaded within this many seconds (default 60)',
      },
      'status-listen': {
        type: 'string',
        arg: 'HOST:PORT',
        help: 'status page address, or "off" (default 127.0.0.1:9910)',
      },
      'passphrase-env': {
        type: 'string',
        arg: 'VAR',
        help: 'derive the key from the passphrase in this environment variable',
      },
      force: { type: 'boolean', help: 'overwrite an existing node config' },
    },
  },
  up: {
    summary: 'run the node: local zdb, zstor daemon, FUSE mount, status page',
    options: {
      dir: DIR,
      mountpoint: { type: 'string', arg: 'PATH', help: 'mount here instead of the configured mountpoint' },
      'status-listen': {
        type: 'string',
        arg: 'HOST:PORT',
        help: 'status page address for this run, or "off"',
      },
      'drain-timeout': {
        type: 'string',
        arg: 'SEC',
        help: 'at stop, wait this long for pending uploads (default 120)',
      },
    },
  },
  down: {
    summary: 'stop the node running on DIR (as Ctrl-C would)',
    options: {
      dir: DIR,
      timeout: { type: 'string', arg: 'SEC', help: 'give up waiting after SEC seconds (default 300)' },
    },
  },
  status: {
    summary: 'backends, upload queue, cache, last upload, data-loss window',
    options: { dir: DIR, json: JSON_OPT },
  },
  check: {
    summary: "verify that the node's files are stored (--deep: every shard)",
    options: { dir: DIR, deep: { type: 'boolean', help: 'read and verify every shard' }, json: JSON_OPT },
  },
  repair: {
    summary: 'rebuild missing or bad shards of every stored file',
    options: { dir: DIR, json: JSON_OPT },
  },
  recover: {
    summary: 'rebuild a lost node from its config and key, then run it',
    options: {
      dir: DIR,
      'no-up': { type: 'boolean', help: 'restore the files only; do not start the node' },
      mountpoint: { type: 'string', arg: 'PATH', help: 'mount here instead of the configured mountpoint' },
      'status-listen': {
        type: 'string',
        arg: 'HOST:PORT',
        help: 'status page address for this run, or "off"',
      },
    },
  },
  _daemon: { summary: '', options: { dir: DIR } },
  _mount: { summary: '', options: { dir: DIR, mountpoint: { type: 'string', arg: 'PATH', help: '' } } },
} satisfies Record<string, { summary: string; options: Record<string, Option> }>

export type CommandName = keyof typeof COMMANDS

export type Invocation =
  | { kind: 'help'; command: CommandName | null }
  | { kind: 'version' }
  | {
      kind: 'run'
      command: CommandName
      values: Record<string, string | boolean | string[] | undefined>
      dir: string
    }

export function defaultDir(): string {
  return process.env.QSFS_DIR || join(homedir(), '.qsfs')
}

export function parseCli(argv: readonly string[]): Invocation {
  const [first, ...rest] = argv
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined
    if (topic !== undefined && !(topic in COMMANDS)) throw usage(`unknown command '${topic}'`)
    return { kind: 'help', command: (topic as CommandName | undefined) ?? null }
  }
  if (first === '--version' || first === '-V') return { kind: 'version' }
  if (!(first in COMMANDS))
    throw usage(`unknown command '${first}'; the commands are ${visibleCommands().join(', ')}`)
  const command = first as CommandName
  if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', command }
  const options = Object.fromEntries(
    Object.entries(COMMANDS[command].options).map(([name, o]) => [
      name,
      { type: o.type, multiple: (o as Option).multiple ?? false },
    ]),
  )
  let values: Record<string, string | boolean | string[] | undefined>
  try {
    values = parseArgs({ args: [...rest], options, strict: true, allowPositionals: false })
      .values as typeof values
  } catch (error) {
    throw usage(`${(error as Error).message.split('\n')[0]} (see \`qsfs ${command} --help\`)`)
  }
  return { kind: 'run', command, values, dir: (values.dir as string | undefined) ?? defaultDir() }
}

function usage(message: string): QsfsError {
  return new QsfsError('ERR_USAGE', message)
}

function visibleCommands(): string[] {
  return Object.keys(COMMANDS).filter((c) => !c.startsWith('_'))
}

export function help(command: CommandName | null): string {
  if (command === null) {
    return [
      'qsfs: a quantum-safe filesystem node. Files written to the mount are compressed, encrypted,',
      'erasure-coded and spread over many zdb backends; the local disk is only a cache.',
      '',
      'Usage: qsfs <command> [options]     (qsfs <command> --help for its options)',
      '',
      'Commands:',
      ...visibleCommands().map((c) => `  ${c.padEnd(9)} ${COMMANDS[c as CommandName].summary}`),
      '',
      'Quick start:  qsfs init && qsfs up',
      '',
      'Exit status: 0 success, 1 failure (or a check that found problems), 2 bad usage.',
    ].join('\n')
  }
  const spec = COMMANDS[command]
  const lines = Object.entries(spec.options).map(([name, o]) => {
    const left = `--${name}${(o as Option).arg ? ` ${(o as Option).arg}` : ''}`
    return `  ${left.padEnd(26)} ${o.help}`
  })
  return [
    `qsfs ${command}: ${spec.summary}`,
    '',
    `Usage: qsfs ${command} [options]`,
    '',
    'Options:',
    ...lines,
    `  ${'--help'.padEnd(26)} this help`,
  ].join('\n')
}

/** A whole number of seconds, or a usage error naming the option. */
export function seconds(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0)
    throw usage(`--${name} must be a whole number of seconds, got '${String(value)}'`)
  return n
}
