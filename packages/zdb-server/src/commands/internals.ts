/**
 * Admin views of the files: INDEX DIRTY [RESET] and DATA RAW (spec zdb.md §1; upstream
 * zdbd/commands_system.c). The table checks the rights.
 * @module
 */
import type { CommandContext } from './context.js'
import { atoll } from './validate.js'

/** Upstream's `COMMAND_MAXLEN`. */
const MAX_SUBCOMMAND_LENGTH = 256

/** Upstream's `command_args_validate_min` and `command_args_overflow` on the subcommand. */
function subcommand(ctx: CommandContext, args: Buffer[]): string | undefined {
  if (args.length < 2) return void ctx.out.error('Missing arguments')
  if (args.some((a) => a.length === 0)) return void ctx.out.error('Invalid argument')
  if (args[1]!.length > MAX_SUBCOMMAND_LENGTH) return void ctx.out.error('Argument too long')
  return args[1]!.toString('latin1').toUpperCase()
}

/** `INDEX DIRTY`: ids of index files edited in place since the last `INDEX DIRTY RESET`. */
export function index(ctx: CommandContext, args: Buffer[]): void {
  const sub = subcommand(ctx, args)
  if (sub === undefined) return
  if (sub !== 'DIRTY') return void ctx.out.error('Unknown INDEX subcommand')
  const ns = ctx.client.ns
  if (args.length === 3) {
    if (args[2]!.length > MAX_SUBCOMMAND_LENGTH) return void ctx.out.error('Argument too long')
    if (args[2]!.toString('latin1').toUpperCase() !== 'RESET') {
      return void ctx.out.error('Unknown INDEX DIRTY subcommand')
    }
    ns.resetDirty()
    return void ctx.out.simple('OK')
  }
  const ids = ns.dirtyIndexFiles()
  ctx.out.array(ids.length)
  for (const id of ids) ctx.out.integer(id)
}

/**
 * `DATA RAW fileid offset` → `*6 $key :previous $"0x%08x"(crc) :flags :timestamp $payload`.
 * Errors: `-Invalid Request` (no such data file), `-EOF` (offset at or past its end),
 * `-Unexpected Internal Error` (no entry at that offset, or a deleted one).
 */
export function data(ctx: CommandContext, args: Buffer[]): void {
  const sub = subcommand(ctx, args)
  if (sub === undefined) return
  if (sub !== 'RAW') return void ctx.out.error('Unknown DATA subcommand')
  if (args.length !== 4) return void ctx.out.error('Unexpected arguments')
  const fileId = Number(BigInt.asUintN(32, atoll(args[2]!)))
  const offset = Number(BigInt.asUintN(32, atoll(args[3]!)))
  const entry = ctx.client.ns.readRawData(fileId, offset)
  if (entry === 'missing-file') return void ctx.out.error('Invalid Request')
  if (entry === 'eof') return void ctx.out.error('EOF')
  if (entry === 'invalid') return void ctx.out.error('Unexpected Internal Error')
  ctx.out
    .array(6)
    .bulk(entry.key)
    .integer(entry.previous)
    .bulk(`0x${entry.crc.toString(16).padStart(8, '0')}`)
    .integer(entry.flags)
    .integer(entry.timestamp)
    .bulk(entry.payload)
}
