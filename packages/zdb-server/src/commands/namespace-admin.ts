/**
 * Namespace maintenance: NSDEL, RELOAD, FLUSH, NSJUMP (spec zdb.md §1; upstream
 * zdbd/commands_namespace.c). All but FLUSH are admin only; the table checks the rights.
 * @module
 */
import { DEFAULT_NAMESPACE } from '../namespaces.js'
import { refuseWrite } from './access.js'
import type { CommandContext } from './context.js'
import { applied } from './replication.js'
import { expectArgs, MAX_NAMESPACE_LENGTH } from './validate.js'

/** `NSDEL ns`: deletes its files; clients still on it are refused and asked to leave. */
export function nsdel(ctx: CommandContext, args: Buffer[]): void {
  if (!expectArgs(ctx, args, 2)) return
  if (args[1]!.length > MAX_NAMESPACE_LENGTH) return void ctx.out.error('Namespace too long')
  const name = args[1]!.toString('utf8')
  if (name === DEFAULT_NAMESPACE) return void ctx.out.error('Cannot remove default namespace')
  const ns = ctx.server.namespaces.get(name)
  if (!ns) return void ctx.out.error("This namespace doesn't exists")
  if (ctx.client.ns === ns) return void ctx.out.error("Cannot remove namespace you're currently using.")
  try {
    ctx.server.namespaces.remove(name)
  } catch (err) {
    ctx.server.logger.error(`NSDEL ${name}: ${String(err)}`)
    return void ctx.out.error('Could not delete this namespace')
  }
  ctx.server.hooks?.fire('namespace-deleted', [name])
  ctx.out.simple('OK')
  applied(ctx)
}

/** `RELOAD ns`: replays the namespace's files from disk. */
export function reload(ctx: CommandContext, args: Buffer[]): void {
  if (!expectArgs(ctx, args, 2)) return
  if (args[1]!.length > MAX_NAMESPACE_LENGTH) return void ctx.out.error('Namespace too long')
  const ns = ctx.server.namespaces.get(args[1]!.toString('utf8'))
  if (!ns) return void ctx.out.error('Namespace not found')
  ns.reload()
  ctx.server.hooks?.fire('namespace-reloaded', [ns.name])
  ctx.out.simple('OK')
}

/**
 * `FLUSH`: empties the current namespace for real (upstream v2 only deletes legacy file names,
 * so nothing). Allowed on a private namespace with a password only; refused while locked or
 * frozen, since it is a write.
 */
export function flush(ctx: CommandContext): void {
  const ns = ctx.client.ns
  if (ns.settings.public || ns.settings.password === '') {
    return void ctx.out.error('Flushing public namespace denied')
  }
  if (refuseWrite(ctx)) return
  try {
    ns.flush()
  } catch (err) {
    ctx.server.logger.error(`FLUSH ${ns.name}: ${String(err)}`)
    return void ctx.out.error('Internal Server Error')
  }
  ctx.out.simple('OK')
  applied(ctx)
}

/** `NSJUMP`: the current namespace moves to index and data files N+1. */
export function nsjump(ctx: CommandContext): void {
  ctx.client.ns.jump()
  ctx.out.simple('OK')
  applied(ctx)
}
