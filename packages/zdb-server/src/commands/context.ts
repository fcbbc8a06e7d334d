/**
 * What a command handler sees: the server-wide state, its connection's state, and the
 * writer its reply goes to (replies of one read batch are sent together).
 * @module
 */
import type { RespWriter } from '@qsfs/zdb-protocol'
import type { Hooks } from '../hooks.js'
import type { ZdbLogger } from '../logger.js'
import type { Mirrors } from '../mirrors.js'
import type { MissingData } from '../missing-data.js'
import type { Namespace, ServerMode } from '../namespace.js'
import type { Namespaces } from '../namespaces.js'
import type { ServerStats } from '../stats.js'
import type { ValueCache } from '../value-cache.js'
import type { Waits } from '../waits.js'
import type { WriteBatch } from '../write-batch.js'

export interface ServerState {
  readonly namespaces: Namespaces
  readonly stats: ServerStats
  /** Unix time in seconds (injectable for tests). */
  readonly now: () => number
  /** Random u32 picked at boot (INFO `instance_id`). */
  readonly instanceId: number
  readonly revision: string
  readonly logger: ZdbLogger
  /** `--mode`: NSSET mode is allowed only in `'mixed'`. */
  readonly mode: ServerMode
  /** `--admin` password; undefined means every client is admin. */
  readonly adminPassword: string | undefined
  /** `--protect`: clients start read-only on `default`. */
  readonly protect: boolean
  /** Group commit: replies of a turn go out once its writes are in the files. */
  readonly batch: WriteBatch
  /** Clients waiting (WAIT) for a command of another client. */
  readonly waits: Waits
  /** Connections that sent MIRROR. */
  readonly mirrors: Mirrors
  /** `--hook` runner; undefined without `--hook`. */
  readonly hooks: Hooks | undefined
  /** The `missing-data` hook's coordination; undefined without `--hook`. */
  readonly missingData: MissingData | undefined
  /** The payload cache; undefined when disabled. */
  readonly cache: ValueCache | undefined
}

/**
 * Per-connection state. The connection creates it with `ns` and `writable` only; the other
 * fields are filled by {@link startSession} before the first command runs.
 */
export interface ClientState {
  ns: Namespace
  /** False after a SELECT of a password-protected public namespace without its password. */
  writable: boolean
  /** Set once the fields below are initialised. */
  started?: boolean
  /** Admin rights: always without `--admin`, else after a successful AUTH. */
  admin?: boolean
  /** Nonce of the last AUTH SECURE CHALLENGE, until an AUTH SECURE consumes it. */
  nonce?: string | undefined
  /**
   * Asks the connection to close after this reply (the namespace was removed). Honoured only
   * by a connection that checks it; see the package README.
   */
  closeAfterReply?: boolean
  /** Sends an out-of-turn reply on this connection (WAIT's `+<cmd>` or `-Timeout`). */
  notify?: (text: string, error: boolean) => void
  /** MIRROR: registers this connection as a mirror (set by the connection). */
  mirror?: () => void
  /** After MASTER: each request ends with the owner id of the write (see mirrors.ts). */
  master?: boolean
  /** Set by a handler whose command changed data or namespaces; reset before each command. */
  applied?: boolean
}

export interface CommandContext {
  readonly server: ServerState
  readonly client: ClientState
  readonly out: RespWriter
}

/** Initial rights of a connection (spec §1, "Admin and defaults"); idempotent. */
export function startSession(server: ServerState, client: ClientState): void {
  if (client.started) return
  client.started = true
  client.admin = server.adminPassword === undefined
  // --protect: default's password is the admin password and a client has not given it yet.
  if (server.protect) client.writable = false
}

/** `args[0]` is the command name as the client sent it. */
export type CommandHandler = (ctx: CommandContext, args: Buffer[]) => void
