/**
 * MIRROR and MASTER (spec zdb.md §1; upstream zdbd/commands_replicate.c), admin only (the table
 * checks the rights). What the flags do is in mirrors.ts and the connection.
 * @module
 */
import type { CommandContext } from './context.js'

/** From now on this connection receives a frame for every write another client applies. */
export function mirror(ctx: CommandContext): void {
  ctx.client.mirror?.()
  ctx.out.simple('Starting mirroring')
}

/** From now on each request of this connection ends with the owner id of the write. */
export function master(ctx: CommandContext): void {
  ctx.client.master = true
  ctx.out.simple('Hello, master')
}

/**
 * Called by a handler once its command changed data or namespaces, so that the connection
 * forwards it to the mirrors. Failed commands, reads and unchanged SETs never call it.
 */
export function applied(ctx: CommandContext): void {
  ctx.client.applied = true
}
