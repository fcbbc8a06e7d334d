/**
 * Request limits as 0-db enforces them (spec zdb.md §1).
 * @module
 */

/** At most this many elements in one request array (so MGET takes at most 1023 keys). */
export const ZDB_MAX_ARGS = 1024

/** Largest accepted bulk string: 8 MiB exactly is accepted, one byte more is not. */
export const ZDB_MAX_BULK_LENGTH = 8 * 1024 * 1024

/**
 * Total payload bytes of one request. 0-db has no such cap (1024 × 8 MiB = 8 GiB per request);
 * no zdb command needs more than a 255-byte key and an 8 MiB value, so 32 MiB never refuses
 * a request 0-db would execute, and bounds the memory one connection can pin.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024
