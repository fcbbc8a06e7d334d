/**
 * Namespace commands: DBSIZE, NSNEW, NSLIST, SELECT (upstream zdbd/commands_namespace.c).
 * @module
 */
import { isValidNamespaceName } from '../namespaces.js'
import type { CommandContext } from './context.js'
import { expectArgs, MAX_NAMESPACE_LENGTH } from './validate.js'

export function dbsize(ctx: CommandContext): void {
  ctx.out.integer(ctx.client.ns.entries)
}

export function nslist(ctx: CommandContext): void {
  const names = ctx.server.namespaces.names()
  ctx.out.array(names.length)
  for (const name of names) ctx.out.bulk(name)
}

/** Admin command; without `--admin` every client is admin. */
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
  ctx.out.simple('OK')
}

/**
 * `SELECT ns [password]`. A namespace without password grants read-write to everyone; with
 * one, the right password grants read-write, none grants read-only if the namespace is public.
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
    } else if (args.length === 4) {
      // SECURE needs a nonce from AUTH SECURE CHALLENGE, which this version does not issue yet.
      if (!isPrefixOfSecure(args[2]!)) return void ctx.out.error('Only SECURE extra method supported')
      return void ctx.out.error('No CHALLENGE requested, secure authentication not available')
    } else {
      if (args[2]!.length > 255) return void ctx.out.error('Password too long')
      if (args[2]!.toString('latin1') !== password) return void ctx.out.error('Access denied')
    }
  }
  ctx.client.ns = ns
  ctx.client.writable = writable
  ctx.out.simple('OK')
}

/** Upstream compares with `strncasecmp(arg, "SECURE", len(arg))`. */
function isPrefixOfSecure(arg: Buffer): boolean {
  return arg.length <= 6 && 'SECURE'.startsWith(arg.toString('latin1').toUpperCase())
}
