/**
 * Typed error of the zdb helpers. Callers branch on `code`, never on message text.
 * @module
 */

/**
 * A value that does not fit a 0-db binary key or text reply: a cursor or key of the wrong
 * length, an out-of-range field, or an INFO/NSINFO field that is missing or malformed.
 *
 * The message says what was wrong and what was expected. `field` names the offending field
 * (the upstream name for INFO/NSINFO, the property name for binary keys) when there is one.
 */
export class ZdbFormatError extends Error {
  override readonly name = 'ZdbFormatError'
  readonly code = 'ERR_ZDB_FORMAT' as const
  readonly field: string | undefined

  constructor(message: string, field?: string) {
    super(message)
    this.field = field
  }
}
