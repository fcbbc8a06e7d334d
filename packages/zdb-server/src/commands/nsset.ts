/**
 * `NSSET ns property value` (spec zdb.md §1 "NSSET properties"; upstream
 * zdbd/commands_namespace.c). Admin only; the table checks the rights.
 * @module
 */
import type { Namespace } from '../namespace.js'
import type { NamespaceSettings } from '../namespace-settings.js'
import { DEFAULT_NAMESPACE } from '../namespaces.js'
import type { CommandContext } from './context.js'
import { applied } from './replication.js'
import { atoll, expectArgs, MAX_NAMESPACE_LENGTH } from './validate.js'

/** Upstream's `COMMAND_MAXLEN`. */
const MAX_PROPERTY_LENGTH = 256
const MAX_VALUE_LENGTH = 63
/** The only properties `default` accepts. */
const DEFAULT_PROPERTIES = new Set(['mode', 'lock', 'freeze'])

/** Upstream's flag parsing: true only if the value starts with `1`. */
const flag = (value: Buffer): boolean => value[0] === 0x31

export function nsset(ctx: CommandContext, args: Buffer[]): void {
  if (!expectArgs(ctx, args, 4)) return
  if (args[1]!.length > MAX_NAMESPACE_LENGTH) return void ctx.out.error('Namespace too long')
  if (args[2]!.length > MAX_PROPERTY_LENGTH || args[3]!.length > MAX_VALUE_LENGTH) {
    return void ctx.out.error('Argument too long')
  }
  const name = args[1]!.toString('utf8')
  const property = args[2]!.toString('latin1')
  const value = args[3]!
  if (name === DEFAULT_NAMESPACE && !DEFAULT_PROPERTIES.has(property)) {
    return void ctx.out.error('Cannot update default namespace')
  }
  const ns = ctx.server.namespaces.get(name)
  if (!ns) return void ctx.out.error('Namespace not found')
  switch (property) {
    case 'maxsize':
      return void save(ctx, ns, { maxsize: clampSize(atoll(value)) })
    case 'password': {
      const text = value.toString('latin1')
      return void save(ctx, ns, { password: text === '*' ? '' : text })
    }
    case 'public':
      return void save(ctx, ns, { public: flag(value) })
    case 'worm':
      return void save(ctx, ns, { worm: flag(value) })
    case 'mode':
      return void mode(ctx, ns, value.toString('latin1'))
    // lock and freeze share one state and are not persisted (spec §1).
    case 'lock':
      ns.lock = flag(value) ? 'locked' : 'unlocked'
      return void updated(ctx, ns)
    case 'freeze':
      ns.lock = flag(value) ? 'frozen' : 'unlocked'
      return void updated(ctx, ns)
    default:
      ctx.out.error('Invalid property')
  }
}

function save(ctx: CommandContext, ns: Namespace, change: Partial<NamespaceSettings>): void {
  ns.saveSettings({ ...ns.settings, ...change })
  updated(ctx, ns)
}

/** Every successful NSSET fires `namespace-updated` (spec §1, §3), as upstream's commit does. */
function updated(ctx: CommandContext, ns: Namespace): void {
  ctx.server.hooks?.fire('namespace-updated', [ns.name])
  ctx.out.simple('OK')
  applied(ctx)
}

function mode(ctx: CommandContext, ns: Namespace, value: string): void {
  if (ctx.server.mode !== 'mixed') {
    return void ctx.out.error('This server instance is configured to use a single runtime mode')
  }
  if (!ns.fresh) return void ctx.out.error('Cannot change mode of used namespace')
  if (value !== 'user' && value !== 'seq') {
    return void ctx.out.error('Invalid property value (expected: user, seq)')
  }
  ns.changeMode(value)
  // The mode lives in i0's header; the descriptor is rewritten as upstream does, except for
  // `default`, whose settings may hold --maxsize / --protect values that must stay in memory.
  if (ns.name !== DEFAULT_NAMESPACE) ns.saveSettings(ns.settings)
  updated(ctx, ns)
}

/** `atoll` as upstream's `size_t`: a negative value wraps to huge, i.e. no practical limit. */
function clampSize(n: bigint): number {
  const wrapped = BigInt.asUintN(64, n)
  return wrapped > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(wrapped)
}
