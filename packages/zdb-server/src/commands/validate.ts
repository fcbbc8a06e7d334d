/**
 * Argument checks shared by commands, with upstream's replies (zdbd/commands.c).
 * @module
 */
import type { CommandContext } from './context.js'

/** Longest key (idlen is a u8). */
export const MAX_KEY_LENGTH = 255
/** Longest namespace name accepted by NSNEW / SELECT / NSINFO. */
export const MAX_NAMESPACE_LENGTH = 128

/**
 * Exactly `expected` arguments (command name included) → else `-Unexpected arguments`;
 * unless `allowEmpty`, none may be empty → else `-Invalid argument`.
 */
export function expectArgs(
  ctx: CommandContext,
  args: Buffer[],
  expected: number,
  allowEmpty = false,
): boolean {
  if (args.length !== expected) {
    ctx.out.error('Unexpected arguments')
    return false
  }
  if (!allowEmpty) {
    for (const a of args) {
      if (a.length > 0) continue
      ctx.out.error('Invalid argument')
      return false
    }
  }
  return true
}

/** C `atoll`: optional blanks and sign, then leading digits; anything else ends the number. */
export function atoll(buf: Buffer): bigint {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(buf.toString('latin1'))
  return m ? BigInt(m[1]!) : 0n
}

/** A timestamp argument as stored on disk: `atoll`, then truncated to the u32 field. */
export function timestampArg(buf: Buffer): number {
  return Number(BigInt.asUintN(32, atoll(buf)))
}

/**
 * C `strncasecmp(arg, word, len(arg)) == 0`: `arg` is a case-insensitive prefix of `word`
 * (an empty `arg` matches; a longer one never does, the NUL ends `word`).
 */
export function isPrefixOf(arg: Buffer, word: string): boolean {
  if (arg.length > word.length) return false
  for (let i = 0; i < arg.length; i++) {
    const b = arg[i]!
    const upper = b >= 0x61 && b <= 0x7a ? b - 0x20 : b
    if (upper !== word.toUpperCase().charCodeAt(i)) return false
  }
  return true
}
