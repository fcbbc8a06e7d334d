/**
 * `qsfs init`: a node directory with `qsfs.toml`, `zstor.toml` and a key. With `--local N` the
 * node also runs N backend zdbs itself (the default when no backend is given), so one command
 * gives a working node on one machine; with `--backend` the shards go to zdbs elsewhere.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { socketPathProblem } from './config/layout.js'
import { DEFAULTS, NODE_CONFIG_FILE } from './config/node-config.js'
import { QsfsError } from './errors.js'

export interface InitOptions {
  readonly dir: string
  /** Backends the node runs itself; default 4 when `backends` is empty. */
  readonly local?: number
  /** Data backends elsewhere: `host:port`, `[v6]:port` or `unix:/path`. */
  readonly backends?: readonly string[]
  /** Meta backends; default: the data backends' hosts. */
  readonly metaBackends?: readonly string[]
  readonly dataNamespace?: string
  readonly metaNamespace?: string
  /** Namespace password of the remote backends. */
  readonly backendPassword?: string
  readonly dataShards?: number
  readonly parityShards?: number
  readonly mountpoint?: string
  readonly cacheSize?: number
  readonly segmentSize?: number
  readonly lossWindow?: number
  readonly statusListen?: string
  /** Derive the key from the passphrase in this environment variable instead of a random key file. */
  readonly passphraseEnv?: string
  /** Overwrite an existing node config. */
  readonly force?: boolean
}

export interface InitResult {
  readonly dir: string
  readonly files: readonly string[]
  readonly k: number
  readonly m: number
  readonly backends: number
}

/** Parity that keeps the overhead within 20–50 %: one parity shard per three shards, at least one. */
export function defaultParity(backends: number): number {
  return backends < 2 ? 0 : Math.max(1, Math.floor(backends / 3))
}

const toml = (text: string) => JSON.stringify(text)

export function localBackendAddress(backendsDir: string, i: number): string {
  return `unix:${join(backendsDir, `b${i}.sock`)}`
}

export function initNode(options: InitOptions): InitResult {
  const dir = resolve(options.dir)
  const nodeFile = join(dir, NODE_CONFIG_FILE)
  if (existsSync(nodeFile) && !options.force)
    throw new QsfsError(
      'ERR_NODE_EXISTS',
      `${nodeFile} exists; use another --dir, or --force to overwrite it`,
    )
  const remote = options.backends ?? []
  if (remote.length > 0 && options.local)
    throw new QsfsError(
      'ERR_USAGE',
      '--local and --backend exclude each other: the node runs its backends, or uses others',
    )
  const local = remote.length > 0 ? 0 : (options.local ?? 4)
  if (!Number.isInteger(local) || local < 0 || local > 64)
    throw new QsfsError('ERR_USAGE', `--local must be 1..64 backends, got ${options.local}`)
  const backendsDir = join(dir, 'backends')
  const data =
    local > 0 ? Array.from({ length: local }, (_, i) => localBackendAddress(backendsDir, i)) : [...remote]
  if (data.length === 0) throw new QsfsError('ERR_USAGE', 'give --local N or at least one --backend')
  const m = options.parityShards ?? defaultParity(data.length)
  const k = options.dataShards ?? data.length - m
  // zstor refuses a config without parity (expected_shards > minimal_shards), so `up` would fail.
  if (!Number.isInteger(k) || k < 1 || !Number.isInteger(m) || m < 1)
    throw new QsfsError(
      'ERR_USAGE',
      `need at least 1 data shard and 1 parity shard (so at least 2 backends), got k=${k} m=${m}`,
    )
  if (k + m > data.length)
    throw new QsfsError(
      'ERR_USAGE',
      `k+m = ${k + m} shards need ${k + m} backends, only ${data.length} given; add backends or lower --data-shards/--parity-shards`,
    )
  const meta = options.metaBackends?.length ? [...options.metaBackends] : data
  const dataNs = options.dataNamespace ?? 'qsfs-data'
  const metaNs = options.metaNamespace ?? 'qsfs-meta'
  const password = local > 0 ? undefined : options.backendPassword

  const tooLong = socketPathProblem(dir, local > 0 ? backendsDir : undefined)
  if (tooLong) throw new QsfsError('ERR_USAGE', tooLong)
  mkdirSync(dir, { recursive: true })
  const files: string[] = []
  let encryption: string
  if (options.passphraseEnv) {
    encryption = `passphrase_env = ${toml(options.passphraseEnv)}\nsalt = "${randomBytes(16).toString('hex')}"`
  } else {
    const keyFile = join(dir, 'key')
    // Kept even with --force: what the node stored is readable only with it.
    if (!existsSync(keyFile)) {
      writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 })
      files.push(keyFile)
    }
    encryption = 'key_file = "key"'
  }
  const backend = (table: string, address: string, ns: string) =>
    `[[${table}]]\naddress = ${toml(address)}\nnamespace = ${toml(ns)}\n${password ? `password = ${toml(password)}\n` : ''}`
  const zstor = [
    '# zstor config of this QSFS node: where shards go, how many, and the key.',
    '# Keep a copy of this file and of the key (or passphrase) off the machine: with them,',
    '# `qsfs recover` rebuilds the node anywhere.',
    `minimal_shards = ${k}`,
    `expected_shards = ${k + m}`,
    'redundant_groups = 0',
    `redundant_nodes = ${m}`,
    '',
    '[encryption]',
    'algorithm = "AES"',
    encryption,
    '',
    '[compression]',
    'algorithm = "snappy"',
    '',
    '[meta]',
    'type = "zdb"',
    '',
    '[meta.config]',
    'prefix = "qsfs"',
    '',
    '[meta.config.encryption]',
    'algorithm = "AES"',
    encryption,
    '',
    ...meta.map((a) => backend('meta.config.backends', a, metaNs)),
    '[[groups]]',
    ...data.map((a) => backend('groups.backends', a, dataNs)),
  ].join('\n')
  const zstorFile = join(dir, 'zstor.toml')
  writeFileSync(zstorFile, zstor, { mode: 0o600 })
  files.push(zstorFile)
  const node = [
    '# QSFS node (qsfs init). Sizes take KiB/MiB/GiB; relative paths are relative to this directory.',
    `mountpoint = ${toml(options.mountpoint ? resolve(options.mountpoint) : join(dir, 'mnt'))}`,
    `cache_size = ${toml(sizeText(options.cacheSize ?? DEFAULTS.cacheSize))}`,
    `segment_size = ${toml(sizeText(options.segmentSize ?? DEFAULTS.segmentSize))}`,
    `loss_window = ${options.lossWindow ?? DEFAULTS.lossWindow}`,
    `status_listen = ${toml(options.statusListen ?? `${DEFAULTS.status.host}:${DEFAULTS.status.port}`)}`,
    `local_backends = ${local}`,
    'zstor_config = "zstor.toml"',
    '',
  ].join('\n')
  writeFileSync(nodeFile, node)
  files.push(nodeFile)
  return { dir, files, k, m, backends: data.length }
}

function sizeText(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`
  }
  return String(bytes)
}
