/**
 * Checks that run around command handlers (upstream zdbd/commands.c): the start of a client's
 * session, the removed-namespace rule, admin rights, and the lock/freeze states.
 * @module
 */
import { type CommandContext, type CommandHandler, startSession } from './context.js'

const NAMESPACE_GONE = 'Your active namespace is not available anymore (probably removed).'

/**
 * Wraps every table entry. A client whose namespace was removed by NSDEL gets upstream's error
 * and is asked to disconnect, whatever it sent.
 */
export function withSession(handler: CommandHandler): CommandHandler {
  return (ctx, args) => {
    startSession(ctx.server, ctx.client)
    if (ctx.client.ns.removed) {
      ctx.client.closeAfterReply = true
      return void ctx.out.error(NAMESPACE_GONE)
    }
    handler(ctx, args)
  }
}

/** Upstream's `command_admin_authorized`: `-Permission denied` for a non-admin client. */
export function requireAdmin(ctx: CommandContext): boolean {
  if (ctx.client.admin) return true
  ctx.server.stats.commandsUnauthorized += 1
  ctx.out.error('Permission denied')
  return false
}

/** An admin-only command: the rights are checked before anything else, as upstream. */
export function adminOnly(handler: CommandHandler): CommandHandler {
  return (ctx, args) => {
    if (requireAdmin(ctx)) handler(ctx, args)
  }
}

/** Replies and returns true if the client's namespace is frozen (no reads, no writes). */
export function refuseFrozen(ctx: CommandContext): boolean {
  if (ctx.client.ns.lock !== 'frozen') return false
  ctx.out.error('Namespace is temporarily frozen (read-write disabled)')
  return true
}

/** Replies and returns true if the client's namespace is frozen or locked (no writes). */
export function refuseWrite(ctx: CommandContext): boolean {
  if (refuseFrozen(ctx)) return true
  if (ctx.client.ns.lock !== 'locked') return false
  ctx.out.error('Namespace is temporarily locked (read-only)')
  return true
}
