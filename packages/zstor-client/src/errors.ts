/**
 * Typed errors of the client. Callers branch on `name` or `code`, never on message text;
 * messages say what was wrong and what to do about it, and start with the code.
 * @module
 */

/** What every error of this package is: a stable `code`, and a message that starts with it. */
export abstract class ZstorError<Code extends string = string> extends Error {
  readonly code: Code

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options)
    this.code = code
  }
}

/** Stable codes of {@link ConfigError}. */
export type ConfigErrorCode =
  /** The config file could not be read. */
  | 'ERR_CONFIG_READ'
  /** The file is not valid TOML. */
  | 'ERR_CONFIG_SYNTAX'
  /** A field the config does not have (upstream's `deny_unknown_fields`). */
  | 'ERR_CONFIG_UNKNOWN_FIELD'
  /** A required field is absent. */
  | 'ERR_CONFIG_MISSING_FIELD'
  /** A field has the wrong type or an invalid value, or the fields contradict each other. */
  | 'ERR_CONFIG_INVALID'

/** A config file that cannot be used; the message names the file, line and field. */
export class ConfigError extends ZstorError<ConfigErrorCode> {
  override readonly name = 'ConfigError'
}

/** Stable codes of {@link BackendError}. */
export type BackendErrorCode =
  /** The backend could not be reached, or its connection broke. */
  | 'ERR_BACKEND_UNREACHABLE'
  /** The backend did not answer in time. */
  | 'ERR_BACKEND_TIMEOUT'
  /** The backend answered with an error (the zdb error text follows). */
  | 'ERR_BACKEND_REPLY'
  /** The namespace is not in the mode the role needs (data: sequential, meta: userkey). */
  | 'ERR_BACKEND_MODE'
  /** The backend has no room for what is to be written. */
  | 'ERR_BACKEND_FULL'

/** A zdb backend that failed an operation; `backend` names it as `address/namespace`. */
export class BackendError extends ZstorError<BackendErrorCode> {
  override readonly name = 'BackendError'
  readonly backend: string

  constructor(code: BackendErrorCode, backend: string, message: string, options?: { cause?: unknown }) {
    super(code, `${backend}: ${message}`, options)
    this.backend = backend
  }
}

/** Stable codes of {@link PlacementError}. */
export type PlacementErrorCode =
  /** No set of healthy backends satisfies k, m and the redundancy rules. */
  'ERR_NO_PLACEMENT'

/** Shards cannot be placed: the message lists the backends left out and why. */
export class PlacementError extends ZstorError<PlacementErrorCode> {
  override readonly name = 'PlacementError'
}

/** Stable codes of {@link StoreError}. */
export type StoreErrorCode =
  /** The object could not be stored; nothing of it was left on the backends. */
  | 'ERR_STORE_FAILED'
  /** The path to store is not a readable regular file or directory, or is outside `root`. */
  | 'ERR_STORE_PATH'
  /** The directory for store intents (see `intentDir`) cannot be created. */
  | 'ERR_INTENT_DIR'

/** A store that failed; already-written shards were deleted. */
export class StoreError extends ZstorError<StoreErrorCode> {
  override readonly name = 'StoreError'
}

/** Stable codes of {@link RetrieveError}. */
export type RetrieveErrorCode =
  /** No metadata is stored for this path. */
  | 'ERR_NOT_FOUND'
  /** Fewer than `k` valid shards could be fetched. */
  | 'ERR_TOO_FEW_SHARDS'
  /** The output could not be written. */
  | 'ERR_RETRIEVE_OUTPUT'

/** A retrieve that failed: the message says which shards were missing or corrupt, and where. */
export class RetrieveError extends ZstorError<RetrieveErrorCode> {
  override readonly name = 'RetrieveError'
}

/** Stable codes of {@link MetaStoreError}. */
export type MetaStoreErrorCode =
  /** Too few meta backends answered to read or write a record. */
  | 'ERR_META_UNAVAILABLE'
  /** A record exists but cannot be decoded (too few valid shards, bad key, bad bytes). */
  | 'ERR_META_CORRUPT'
  /** A path cannot be turned into a metadata key (not UTF-8, or outside `root`). */
  | 'ERR_META_PATH'

/** The metadata store could not read or write a record. */
export class MetaStoreError extends ZstorError<MetaStoreErrorCode> {
  override readonly name = 'MetaStoreError'
}

/** Stable codes of {@link DaemonError}. */
export type DaemonErrorCode =
  /** Another live daemon already serves the socket. */
  | 'ERR_DAEMON_RUNNING'
  /** No daemon answers on the socket. */
  | 'ERR_DAEMON_UNREACHABLE'
  /** The daemon replied with an error. */
  | 'ERR_DAEMON_REPLY'
  /** A request or reply on the socket is malformed. */
  | 'ERR_DAEMON_PROTOCOL'
  /** The upload journal cannot be read or written. */
  | 'ERR_JOURNAL'

/** The daemon, its socket API or its upload journal failed. */
export class DaemonError extends ZstorError<DaemonErrorCode> {
  override readonly name = 'DaemonError'
}
