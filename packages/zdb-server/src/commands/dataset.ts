/**
 * Key commands: SET/SETX, GET, MGET, DEL, EXISTS, CHECK, LENGTH, KEYTIME (spec zdb.md §1;
 * upstream zdbd/commands_set.c, commands_get.c, commands_dataset.c). In a sequential-mode
 * namespace keys are 8-byte little-endian ids; the namespace resolves them.
 * @module
 */
import { MissingDataError } from '../missing-data.js'
import { NamespaceWriteError } from '../namespace.js'
import { refuseFrozen, refuseWrite, requireAdmin } from './access.js'
import type { CommandContext } from './context.js'
import { applied } from './replication.js'
import { expectArgs, MAX_KEY_LENGTH, timestampArg } from './validate.js'

/**
 * `SET k v` replies the key, or nil for an unchanged value; `SET k v ts` is admin only.
 * Seq mode: an empty key appends and replies the new 8-byte id; any other key must be live.
 * Checks in upstream's order (zdbd/commands_set.c).
 */
export function set(ctx: CommandContext, args: Buffer[]): void {
  if (args.length === 4) {
    if (!requireAdmin(ctx)) return
  } else if (!expectArgs(ctx, args, 3, true)) return
  const key = args[1]!
  const value = args[2]!
  if (key.length > MAX_KEY_LENGTH) return void ctx.out.error('Key too large')
  if (!ctx.client.writable) return void ctx.out.error('Namespace is in read-only mode')
  if (refuseWrite(ctx)) return
  const ns = ctx.client.ns
  const existing = key.length > 0 ? ns.get(key) : undefined
  if (existing && ns.settings.worm) return void ctx.out.error('Namespace is protected by worm mode')
  const { maxsize } = ns.settings
  if (maxsize > 0 && ns.dataBytes + value.length > maxsize + (existing?.length ?? 0)) {
    return void ctx.out.error('No space left on this namespace')
  }
  if (ns.mode === 'user' && key.length === 0) return void ctx.out.error('Invalid argument, key needed')
  if (ns.mode === 'seq' && key.length > 0 && !existing) {
    return void ctx.out.error('Invalid key, only update authorized')
  }
  const timestamp = args.length === 4 ? timestampArg(args[3]!) : undefined
  try {
    if (key.length === 0) ctx.out.bulk(ns.append(value, timestamp))
    else if (ns.setLooked(key, value, timestamp, existing) === 'unchanged') return void ctx.out.nil()
    else ctx.out.bulk(key)
    applied(ctx)
  } catch (err) {
    if (!(err instanceof NamespaceWriteError)) throw err
    ctx.server.logger.error(`SET in ${ns.name}: ${String(err.cause)}`)
    ctx.out.error(err.target === 'data' ? 'Cannot write data right now' : 'Cannot write index right now')
  }
}

/** Payloads below this are read straight into the reply; larger ones are referenced by it. */
const IN_PLACE_MAX = 16 * 1024

function getOne(ctx: CommandContext, key: Buffer): void {
  const ns = ctx.client.ns
  const out = ctx.out
  const entry = ns.get(key)
  if (!entry) return void out.nil()
  const inPlace = entry.length < IN_PLACE_MAX
  let payload: Buffer | undefined
  try {
    if (inPlace) {
      const at = out.reserveBulk(entry.length)
      ns.readInto(entry, out.reserved, at)
    } else payload = ns.peek(entry)
  } catch (err) {
    if (inPlace) out.unreserve()
    if (err instanceof MissingDataError) throw err
    ctx.server.logger.error(`GET in ${ns.name}: cannot read payload: ${String(err)}`)
    return void out.error('Internal Error')
  }
  if (payload !== undefined) out.bulk(payload)
}

export function get(ctx: CommandContext, args: Buffer[]): void {
  if (!expectArgs(ctx, args, 2)) return
  if (args[1]!.length > MAX_KEY_LENGTH) return void ctx.out.error('Invalid key')
  if (refuseFrozen(ctx)) return
  getOne(ctx, args[1]!)
}

export function mget(ctx: CommandContext, args: Buffer[]): void {
  if (args.length < 2) return void ctx.out.error('Invalid arguments')
  for (let i = 1; i < args.length; i++) {
    if (args[i]!.length > MAX_KEY_LENGTH) return void ctx.out.error('Invalid key')
  }
  if (refuseFrozen(ctx)) return
  ctx.out.array(args.length - 1)
  for (let i = 1; i < args.length; i++) getOne(ctx, args[i]!)
}

/**
 * `DEL k` → `+OK`; `DEL k ts` (admin) stamps the delete marker with `ts`. Checks in upstream's
 * order (zdbd/commands_dataset.c): a missing key is reported before worm mode.
 */
export function del(ctx: CommandContext, args: Buffer[]): void {
  if (args.length === 3) {
    if (!requireAdmin(ctx)) return
  } else if (!expectArgs(ctx, args, 2)) return
  const key = args[1]!
  if (key.length > MAX_KEY_LENGTH) return void ctx.out.error('Invalid key')
  if (!ctx.client.writable) return void ctx.out.error('Namespace is in read-only mode')
  if (refuseWrite(ctx)) return
  const ns = ctx.client.ns
  if (!ns.get(key)) return void ctx.out.error('Key not found')
  if (ns.settings.worm) return void ctx.out.error('Cannot delete a key when namespace is in worm mode')
  try {
    const timestamp = args.length === 3 ? timestampArg(args[2]!) : undefined
    if (!ns.del(key, timestamp)) return void ctx.out.error('Key not found')
    ctx.out.simple('OK')
    applied(ctx)
  } catch (err) {
    if (!(err instanceof NamespaceWriteError)) throw err
    ctx.server.logger.error(`DEL in ${ns.name}: ${String(err.cause)}`)
    ctx.out.error(err.target === 'data' ? 'Cannot delete key (data)' : 'Cannot delete key (index)')
  }
}

/**
 * Shared shape of the one-key queries: `-Unexpected arguments`, `-Invalid argument`,
 * `-Invalid key`, then the frozen check.
 */
function keyArg(ctx: CommandContext, args: Buffer[]): Buffer | undefined {
  if (!expectArgs(ctx, args, 2)) return undefined
  if (args[1]!.length > MAX_KEY_LENGTH) {
    ctx.out.error('Invalid key')
    return undefined
  }
  if (refuseFrozen(ctx)) return undefined
  return args[1]
}

export function exists(ctx: CommandContext, args: Buffer[]): void {
  const key = keyArg(ctx, args)
  if (key) ctx.out.integer(ctx.client.ns.get(key) ? 1 : 0)
}

/** `:1` CRC ok, `:0` mismatch, `:-1` unreadable, nil if the key is missing. */
export function check(ctx: CommandContext, args: Buffer[]): void {
  const key = keyArg(ctx, args)
  if (!key) return
  const entry = ctx.client.ns.get(key)
  if (!entry) return void ctx.out.nil()
  ctx.out.integer(ctx.client.ns.check(entry))
}

export function length(ctx: CommandContext, args: Buffer[]): void {
  const key = keyArg(ctx, args)
  if (!key) return
  const entry = ctx.client.ns.get(key)
  if (entry) ctx.out.integer(entry.length)
  else ctx.out.nil()
}

export function keytime(ctx: CommandContext, args: Buffer[]): void {
  const key = keyArg(ctx, args)
  if (!key) return
  const entry = ctx.client.ns.get(key)
  if (entry) ctx.out.integer(entry.timestamp)
  else ctx.out.nil()
}
