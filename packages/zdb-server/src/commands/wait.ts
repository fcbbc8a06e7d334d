/**
 * WAIT cmd|* [ms] (spec zdb.md §1 "WAIT"): no immediate reply; `+<cmd>` once another client of
 * this namespace ran it, or `-Timeout`. The connection keeps running other commands meanwhile.
 * @module
 */
import type { CommandHandler } from './context.js'
import { findCommand } from './table.js'

const DEFAULT_TIMEOUT_MS = 5000
const MIN_TIMEOUT_MS = 100
const MAX_TIMEOUT_MS = 1_800_000

export const wait: CommandHandler = (ctx, args) => {
  if (args.length !== 2 && args.length !== 3) {
    ctx.out.error('Invalid arguments')
    return
  }
  // Matched as any command name is (prefix, first table entry wins), so `*` waits on anything.
  const watched = findCommand(args[1]!)
  if (!watched) {
    ctx.out.error('Unknown command to watch')
    return
  }
  let timeout = DEFAULT_TIMEOUT_MS
  if (args.length === 3) {
    const text = args[2]!
    // Upstream: strtoull of at most 16 characters, so digits up to the first other character.
    timeout = text.length > 16 ? 0 : Number(/^\d*/.exec(text.toString('latin1'))![0] || '0')
    if (timeout < MIN_TIMEOUT_MS || timeout > MAX_TIMEOUT_MS) {
      ctx.out.error('Invalid timeout')
      return
    }
  }
  const notify = ctx.client.notify
  if (!notify) return
  ctx.server.waits.wait(ctx.client, {
    ns: ctx.client.ns,
    command: watched.name,
    deadline: Date.now() + timeout,
    notify,
  })
}
