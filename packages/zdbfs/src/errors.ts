/**
 * Typed errors of `@qsfs/zdbfs`. Callers branch on `name` or `code`, never on message text;
 * messages read `CODE: what was wrong and what to do`.
 * @module
 */

/** Stable codes of {@link ZdbfsError}. */
export type ZdbfsErrorCode =
  /** An option of `mount()` or the command line is invalid. */
  | 'ERR_ZDBFS_OPTION'
  /** A namespace holds data that is not a 0-db-fs volume, or a version this code cannot read. */
  | 'ERR_ZDBFS_FORMAT'
  /** The zdb could not be reached or refused a command (the cause is attached). */
  | 'ERR_ZDBFS_ZDB'
  /** The zdb namespace is full. */
  | 'ERR_ZDBFS_NO_SPACE'
  /** The mountpoint is missing, busy, or the kernel refused the mount. */
  | 'ERR_ZDBFS_MOUNT'

/** What every error of this package is: a stable `code`, and a message that starts with it. */
export abstract class ZdbfsError<Code extends ZdbfsErrorCode = ZdbfsErrorCode> extends Error {
  readonly code: Code

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(`${code}: ${message}`, options)
    this.code = code
  }
}

/** An invalid option; the message names it and what is accepted. */
export class ZdbfsOptionError extends ZdbfsError<'ERR_ZDBFS_OPTION'> {
  override readonly name = 'ZdbfsOptionError'
  constructor(message: string) {
    super('ERR_ZDBFS_OPTION', message)
  }
}

/** Bytes read from zdb that do not decode as the 0-db-fs format (spec zdbfs-and-glue.md §1). */
export class ZdbfsFormatError extends ZdbfsError<'ERR_ZDBFS_FORMAT'> {
  override readonly name = 'ZdbfsFormatError'
  constructor(message: string) {
    super('ERR_ZDBFS_FORMAT', message)
  }
}

/**
 * The zdb did not answer within the operation timeout, or replied with an error. File system
 * operations turn it into EIO; `mount()` rejects with it.
 */
export class ZdbfsZdbError extends ZdbfsError<'ERR_ZDBFS_ZDB'> {
  override readonly name = 'ZdbfsZdbError'
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_ZDBFS_ZDB', message, options)
  }
}

/** The zdb refused a write because the namespace is full; operations turn it into ENOSPC. */
export class ZdbfsNoSpaceError extends ZdbfsError<'ERR_ZDBFS_NO_SPACE'> {
  override readonly name = 'ZdbfsNoSpaceError'
  constructor(message: string) {
    super('ERR_ZDBFS_NO_SPACE', message)
  }
}

/** The mountpoint could not be used or the kernel refused the mount. */
export class ZdbfsMountError extends ZdbfsError<'ERR_ZDBFS_MOUNT'> {
  override readonly name = 'ZdbfsMountError'
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_ZDBFS_MOUNT', message, options)
  }
}
