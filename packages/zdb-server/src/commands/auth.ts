/**
 * AUTH (spec zdb.md §1; upstream zdbd/commands_auth.c):
 * - `AUTH pwd`: plain admin password.
 * - `AUTH SECURE CHALLENGE`: a per-connection nonce, issued even without `--admin` (SELECT
 *   SECURE uses it too).
 * - `AUTH SECURE <sha1hex(nonce:pwd)>`: consumes the nonce whether it succeeds or not.
 * @module
 */
import { newChallenge, SECURE_HASH_LENGTH, sameSecret, secureHash } from '../secure-auth.js'
import type { CommandContext } from './context.js'
import { expectArgs, isPrefixOf } from './validate.js'

/** Longest password AUTH accepts. */
const MAX_AUTH_PASSWORD = 128

export function auth(ctx: CommandContext, args: Buffer[]): void {
  if (args.length === 2) regular(ctx, args)
  else if (args.length === 3) secure(ctx, args)
  else ctx.out.error('Unexpected arguments')
}

function regular(ctx: CommandContext, args: Buffer[]): void {
  const admin = ctx.server.adminPassword
  if (admin === undefined) return void ctx.out.error('Authentication disabled')
  if (!expectArgs(ctx, args, 2)) return
  if (args[1]!.length > MAX_AUTH_PASSWORD) return void ctx.out.error('Password too long')
  if (!sameSecret(args[1]!, admin)) return void ctx.out.error('Access denied')
  ctx.client.admin = true
  ctx.out.simple('OK')
}

function secure(ctx: CommandContext, args: Buffer[]): void {
  if (!expectArgs(ctx, args, 3)) return
  if (!isPrefixOf(args[1]!, 'SECURE')) return void ctx.out.error('Only SECURE extra method supported')
  // Upstream compares `strncasecmp(arg, "CHALLENGE", len(arg))`, so `C` asks for one too.
  if (isPrefixOf(args[2]!, 'CHALLENGE')) {
    ctx.client.nonce = newChallenge()
    return void ctx.out.simple(ctx.client.nonce)
  }
  const admin = ctx.server.adminPassword
  if (admin === undefined) return void ctx.out.error('Authentication disabled')
  const nonce = ctx.client.nonce
  if (nonce === undefined) {
    return void ctx.out.error('No CHALLENGE requested, secure authentication not available')
  }
  if (args[2]!.length !== SECURE_HASH_LENGTH) return void ctx.out.error('Invalid hash length')
  ctx.client.nonce = undefined
  if (!sameSecret(args[2]!, secureHash(nonce, admin))) return void ctx.out.error('Access denied')
  ctx.client.admin = true
  ctx.out.simple('OK')
}
