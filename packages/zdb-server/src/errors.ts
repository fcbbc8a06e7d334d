/**
 * Typed errors of `@qsfs/zdb-server`. Callers branch on `name` or `code`, never on message text.
 * @module
 */

/** Stable codes of {@link ZdbServerError}. */
export type ZdbServerErrorCode =
  | 'ERR_ZDB_INVALID_OPTION'
  | 'ERR_ZDB_FORMAT'
  | 'ERR_ZDB_LOCKED'
  | 'ERR_ZDB_ADDRESS_IN_USE'
  | 'ERR_ZDB_UNSUPPORTED'
  | 'ERR_ZDB_MODE_MISMATCH'
  | 'ERR_ZDB_HOOK_FAILED'

/** Base class: every error this package throws on purpose is one of these. */
export class ZdbServerError extends Error {
  override name = 'ZdbServerError'
  readonly code: ZdbServerErrorCode

  constructor(code: ZdbServerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** An option or flag value was invalid (the message names it and the accepted range). */
export class ZdbOptionError extends ZdbServerError {
  override name = 'ZdbOptionError'
  constructor(message: string) {
    super('ERR_ZDB_INVALID_OPTION', message)
  }
}

/** A file on disk is not valid 0-db v2 data (bad magic, version, or a corrupted header). */
export class ZdbFormatError extends ZdbServerError {
  override name = 'ZdbFormatError'
  constructor(message: string) {
    super('ERR_ZDB_FORMAT', message)
  }
}

/** Another live server holds the `.lockfile` of the data or index directory. */
export class ZdbLockedError extends ZdbServerError {
  override name = 'ZdbLockedError'
  constructor(message: string) {
    super('ERR_ZDB_LOCKED', message)
  }
}

/** The listen address and port are taken by another process. */
export class ZdbAddressInUseError extends ZdbServerError {
  override name = 'ZdbAddressInUseError'
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_ZDB_ADDRESS_IN_USE', message, options)
  }
}

/** The on-disk state or an option uses a 0-db feature this version does not implement yet. */
export class ZdbUnsupportedError extends ZdbServerError {
  override name = 'ZdbUnsupportedError'
  constructor(message: string) {
    super('ERR_ZDB_UNSUPPORTED', message)
  }
}

/** A namespace on disk is in another mode (its `i0` header) than the one the server is forced to. */
export class ZdbModeMismatchError extends ZdbServerError {
  override name = 'ZdbModeMismatchError'
  constructor(message: string) {
    super('ERR_ZDB_MODE_MISMATCH', message)
  }
}

/**
 * A blocking hook whose failure stops the server exited non-zero: the `ready` hook (spec zdb.md
 * §3), which aborts the start. Upstream's process then exits with status 0; `createZdbServer`
 * rejects with this error instead, after closing everything it opened.
 */
export class ZdbHookError extends ZdbServerError {
  override name = 'ZdbHookError'
  /** The hook's name (`ready`). */
  readonly hook: string
  /** Its exit status (`128 + signal number` if a signal killed it). */
  readonly status: number
  constructor(hook: string, status: number, message: string) {
    super('ERR_ZDB_HOOK_FAILED', message)
    this.hook = hook
    this.status = status
  }
}
