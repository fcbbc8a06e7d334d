/**
 * Typed errors of the node. Callers branch on `code`, never on message text; messages say what
 * was wrong and what to do, and start with the code.
 * @module
 */

export type QsfsErrorCode =
  /** The node config (qsfs.toml) is missing, unreadable or invalid. */
  | 'ERR_NODE_CONFIG'
  /** `qsfs init` into a directory that already holds a node. */
  | 'ERR_NODE_EXISTS'
  /** Another `qsfs up` runs on this node directory. */
  | 'ERR_NODE_RUNNING'
  /** No `qsfs up` runs on this node directory. */
  | 'ERR_NODE_NOT_RUNNING'
  /** A part of the node (zdb, zstor daemon, mount) could not start. */
  | 'ERR_NODE_START'
  /** `qsfs recover` could not restore the node. */
  | 'ERR_RECOVER'
  /** Bad command-line usage. */
  | 'ERR_USAGE'

export class QsfsError extends Error {
  override readonly name = 'QsfsError'
  readonly code: QsfsErrorCode

  constructor(code: QsfsErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options)
    this.code = code
  }
}
