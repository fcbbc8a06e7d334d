/**
 * The command table and upstream's dispatch rule (spec zdb.md §1): the first entry for which
 * `strncasecmp(input, entry, len(input)) == 0` runs. So `P` runs PING, `S` SET, an empty name
 * or `*` the `*` entry.
 *
 * Order: upstream zdbd/commands.c (`commands_handlers[]`). LENGTH, KEYTIME, NSJUMP and DATA
 * are v2.0.7 commands absent from the revision read; their position there is unknown, so they
 * sit last, where they cannot change what any verified prefix resolves to.
 * @module
 */
import { adminOnly, withSession } from './access.js'
import { auth } from './auth.js'
import type { CommandHandler } from './context.js'
import * as dataset from './dataset.js'
import * as history from './history.js'
import * as internals from './internals.js'
import * as namespace from './namespace.js'
import * as admin from './namespace-admin.js'
import { nsset } from './nsset.js'
import * as replication from './replication.js'
import * as scan from './scan.js'
import * as system from './system.js'
import { wait } from './wait.js'

export interface CommandEntry {
  readonly name: string
  readonly handler: CommandHandler
}

const TABLE: readonly CommandEntry[] = [
  { name: '*', handler: (ctx) => void ctx.out.error('This is not a valid command') },
  { name: 'WAIT', handler: wait },
  { name: 'MIRROR', handler: adminOnly(replication.mirror) },
  { name: 'MASTER', handler: adminOnly(replication.master) },
  { name: 'PING', handler: system.ping },
  { name: 'TIME', handler: system.time },
  { name: 'AUTH', handler: auth },
  { name: 'HOOKS', handler: adminOnly(system.hooks) },
  { name: 'INDEX', handler: adminOnly(internals.index) },
  { name: 'SET', handler: dataset.set },
  { name: 'SETX', handler: dataset.set },
  { name: 'GET', handler: dataset.get },
  { name: 'MGET', handler: dataset.mget },
  { name: 'DEL', handler: dataset.del },
  { name: 'EXISTS', handler: dataset.exists },
  { name: 'CHECK', handler: dataset.check },
  { name: 'SCAN', handler: scan.scan },
  { name: 'SCANX', handler: scan.scan },
  { name: 'RSCAN', handler: scan.rscan },
  // What release builds of upstream reply.
  {
    name: 'KSCAN',
    handler: (ctx) => void ctx.out.error('Command disabled in release code, not yet available'),
  },
  { name: 'HISTORY', handler: history.history },
  { name: 'KEYCUR', handler: scan.keycur },
  { name: 'INFO', handler: system.info },
  { name: 'STOP', handler: system.stop },
  { name: 'DBSIZE', handler: namespace.dbsize },
  { name: 'NSNEW', handler: adminOnly(namespace.nsnew) },
  { name: 'NSDEL', handler: adminOnly(admin.nsdel) },
  { name: 'NSLIST', handler: namespace.nslist },
  { name: 'NSSET', handler: adminOnly(nsset) },
  { name: 'NSINFO', handler: namespace.nsinfo },
  { name: 'SELECT', handler: namespace.select },
  { name: 'RELOAD', handler: adminOnly(admin.reload) },
  { name: 'FLUSH', handler: admin.flush },
  { name: 'LENGTH', handler: dataset.length },
  { name: 'KEYTIME', handler: dataset.keytime },
  { name: 'NSJUMP', handler: adminOnly(admin.nsjump) },
  { name: 'DATA', handler: adminOnly(internals.data) },
]

// Every entry runs inside the session checks (rights set up, removed namespace refused).
const ENCODED = TABLE.map((e) => ({
  entry: { name: e.name, handler: withSession(e.handler) },
  bytes: Buffer.from(e.name, 'latin1'),
}))

/** Names in table order (for docs and tests). */
export const COMMAND_NAMES: readonly string[] = TABLE.map((e) => e.name)

const lower = (b: number): number => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b)

/** C `strncasecmp(input, name, input.length) == 0`, with `name` NUL-terminated. */
function matches(input: Buffer, name: Buffer): boolean {
  for (let i = 0; i < input.length; i++) {
    const a = lower(input[i]!)
    const b = i < name.length ? lower(name[i]!) : 0
    if (a !== b) return false
    if (a === 0) return true
  }
  return true
}

/**
 * The table's entries by the lowercased first byte of their name, in table order: a name of at
 * least one byte can only match an entry that starts with its first byte.
 */
const BY_FIRST_BYTE: (typeof ENCODED)[] = Array.from({ length: 256 }, (_, b) =>
  ENCODED.filter((e) => lower(e.bytes[0]!) === lower(b)),
)

/** The entry `input` dispatches to, or `undefined` (`-Command not supported`). */
export function findCommand(input: Buffer): CommandEntry | undefined {
  // An empty name is a prefix of every name: the first entry runs.
  if (input.length === 0) return ENCODED[0]!.entry
  const candidates = BY_FIRST_BYTE[input[0]!]!
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!
    if (matches(input, c.bytes)) return c.entry
  }
  return undefined
}
