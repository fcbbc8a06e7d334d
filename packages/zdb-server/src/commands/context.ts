/**
 * What a command handler sees: the server-wide state, its connection's state, and the
 * writer its reply goes to (replies of one read batch are sent together).
 * @module
 */
import type { RespWriter } from '@qsfs/zdb-protocol'
import type { ZdbLogger } from '../logger.js'
import type { Namespace } from '../namespace.js'
import type { Namespaces } from '../namespaces.js'
import type { ServerStats } from '../stats.js'

export interface ServerState {
  readonly namespaces: Namespaces
  readonly stats: ServerStats
  /** Unix time in seconds (injectable for tests). */
  readonly now: () => number
  /** Random u32 picked at boot (INFO `instance_id`). */
  readonly instanceId: number
  readonly revision: string
  readonly logger: ZdbLogger
}

export interface ClientState {
  ns: Namespace
  /** False after a SELECT of a password-protected public namespace without its password. */
  writable: boolean
}

export interface CommandContext {
  readonly server: ServerState
  readonly client: ClientState
  readonly out: RespWriter
}

/** `args[0]` is the command name as the client sent it. */
export type CommandHandler = (ctx: CommandContext, args: Buffer[]) => void
