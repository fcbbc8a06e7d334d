/**
 * Namespace commands: DBSIZE, NSNEW, NSLIST, NSINFO, SELECT (upstream zdbd/commands_namespace.c).
 * @module
 */
import { statfsSync } from 'node:fs'
import { formatNsInfo } from '@qsfs/zdb-protocol'
import { dataFilePath, indexFilePath } from '../format/paths.js'
import { isValidNamespaceName } from '../namespaces.js'
import { SECURE_HASH_LENGTH, sameSecret, secureHash } from '../secure-auth.js'
import type { CommandContext } from './context.js'
import { applied } from './replication.js'
import { expectArgs, isPrefixOf, MAX_NAMESPACE_LENGTH } from './validate.js'

/** Longest password SELECT accepts (upstream's 256-byte buffer). */
const MAX_SELECT_PASSWORD = 255

export function dbsize(ctx: CommandContext): void {
  ctx.out.integer(ctx.client.ns.entries)
}

export function nslist(ctx: CommandContext): void {
  const names = ctx.server.namespaces.names()
  ctx.out.array(names.length)
  for (const name of names) ctx.out.bulk(name)
}

/** Admin command (the table checks the rights). */
export function nsnew(ctx: CommandContext, args: Buffer[]): void {
  if (!expectArgs(ctx, args, 2)) return
  const raw = args[1]!
  if (raw.length > MAX_NAMESPACE_LENGTH) return void ctx.out.error('Namespace too long')
  if (!isValidNamespaceName(raw)) return void ctx.out.error('This name is not allowed')
  const name = raw.toString('utf8')
  const all = ctx.server.namespaces
  if (all.get(name)) return void ctx.out.error('This namespace is not available')
  try {
    all.create(name)
  } catch (err) {
    ctx.server.logger.error(`NSNEW ${name}: ${String(err)}`)
    return void ctx.out.error('Could not create namespace')
  }
  ctx.server.hooks?.fire('namespace-created', [name])
  ctx.out.simple('OK')
  applied(ctx)
}

/**
 * `SELECT ns [password | SECURE hash]`. A namespace without password grants read-write to
 * everyone, whatever the arguments; with one, the right password (or `sha1hex(nonce:pwd)` after
 * AUTH SECURE CHALLENGE) grants read-write, none grants read-only if the namespace is public.
 * Unlike AUTH SECURE, a SELECT SECURE leaves the nonce in place.
 */
export function select(ctx: CommandContext, args: Buffer[]): void {
  if (args.length < 2) return void ctx.out.error('Invalid argument')
  if (args[1]!.length > MAX_NAMESPACE_LENGTH) return void ctx.out.error('Namespace too long')
  const ns = ctx.server.namespaces.get(args[1]!.toString('utf8'))
  if (!ns) return void ctx.out.error('Namespace not found')
  let writable = true
  const { password } = ns.settings
  if (password !== '') {
    if (args.length < 3) {
      if (!ns.settings.public) return void ctx.out.error('Namespace protected and private')
      writable = false
    } else if (args.length > 4) {
      return void ctx.out.error('Too many arguments')
    } else if (args.length === 3) {
      if (args[2]!.length > MAX_SELECT_PASSWORD) return void ctx.out.error('Password too long')
      if (!sameSecret(args[2]!, password)) return void ctx.out.error('Access denied')
    } else {
      if (!isPrefixOf(args[2]!, 'SECURE')) return void ctx.out.error('Only SECURE extra method supported')
      const nonce = ctx.client.nonce
      if (nonce === undefined) {
        return void ctx.out.error('No CHALLENGE requested, secure authentication not available')
      }
      if (args[3]!.length !== SECURE_HASH_LENGTH) return void ctx.out.error('Invalid hash length')
      if (!sameSecret(args[3]!, secureHash(nonce, password))) return void ctx.out.error('Access denied')
    }
  }
  ctx.client.ns = ns
  ctx.client.writable = writable
  ctx.out.simple('OK')
}

/**
 * `NSINFO ns`: upstream's `key: value` text (spec §1 "NSINFO"), printed by `formatNsInfo`.
 * - `next_internal_id` is `0x%08x` of the byte-swapped low 32 bits of the next id, as upstream.
 * - `index_size_bytes` follows upstream's accounting: 64 + key bytes per live key in user
 *   mode, 0 in seq mode.
 * - The `stats_*` I/O counters are not kept per namespace yet and read 0.
 * - `locked` is yes for NSSET lock and freeze alike; the paths are printed to admins only.
 */
export function nsinfo(ctx: CommandContext, args: Buffer[]): void {
  if (!expectArgs(ctx, args, 2)) return
  if (args[1]!.length > MAX_NAMESPACE_LENGTH) return void ctx.out.error('Namespace too long')
  const ns = ctx.server.namespaces.get(args[1]!.toString('utf8'))
  if (!ns) return void ctx.out.error('Namespace not found')
  const { maxsize } = ns.settings
  const fileId = ns.currentFileId
  ctx.out.bulk(
    formatNsInfo({
      name: ns.name,
      entries: ns.entries,
      public: ns.settings.public,
      worm: ns.settings.worm,
      locked: ns.lock !== 'unlocked',
      password: ns.settings.password !== '',
      dataSizeBytes: ns.dataBytes,
      dataSizeMb: ns.dataBytes / 2 ** 20,
      dataLimitsBytes: maxsize,
      indexSizeBytes: ns.indexMemoryBytes,
      indexSizeKb: ns.indexMemoryBytes / 2 ** 10,
      nextInternalId: `0x${bswap32(ns.nextId).toString(16).padStart(8, '0')}`,
      mode: ns.mode === 'seq' ? 'sequential' : 'userkey',
      statsIndexIoErrors: 0,
      statsIndexIoErrorLast: 0,
      statsIndexFaults: 0,
      statsDataIoErrors: 0,
      statsDataIoErrorLast: 0,
      statsDataFaults: 0,
      ...(maxsize > 0 ? { spaceAvailable: Math.max(0, maxsize - ns.dataBytes) } : {}),
      ...freeSpace('index', ns.indexDir),
      ...freeSpace('data', ns.dataDir),
      ...(ctx.client.admin
        ? {
            dataPath: ns.dataDir,
            dataActive: dataFilePath(ns.dataDir, fileId),
            indexPath: ns.indexDir,
            indexActive: indexFilePath(ns.indexDir, fileId),
            dataCurrentId: fileId,
            dataCurrentOffset: ns.currentDataOffset,
          }
        : {}),
    }),
  )
}

function bswap32(n: number): number {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n % 2 ** 32)
  return b.readUInt32BE()
}

/** `*_disk_freespace_*` of the filesystem holding `dir`, absent if `statfs` fails (as upstream). */
function freeSpace(kind: 'index' | 'data', dir: string): Record<string, number> {
  try {
    const s = statfsSync(dir)
    const bytes = s.bsize * s.bavail
    return kind === 'index'
      ? { indexDiskFreespaceBytes: bytes, indexDiskFreespaceMb: bytes / 2 ** 20 }
      : { dataDiskFreespaceBytes: bytes, dataDiskFreespaceMb: bytes / 2 ** 20 }
  } catch {
    return {}
  }
}
