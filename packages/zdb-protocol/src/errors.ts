/**
 * Typed errors of the RESP codec. Callers branch on `code`, never on message text.
 * @module
 */

/** Stable codes of {@link ProtocolError}. */
export type ProtocolErrorCode =
  | 'ERR_INLINE_REQUEST'
  | 'ERR_MISSING_ARGUMENTS'
  | 'ERR_TOO_MANY_ARGUMENTS'
  | 'ERR_MALFORMED_QUERY'
  | 'ERR_PAYLOAD_TOO_BIG'
  | 'ERR_MALFORMED_REPLY'

/**
 * A violation of the wire protocol found by a parser.
 *
 * `reply` is the exact error string 0-db sends for it (without `-` and CRLF; spec zdb.md §1),
 * so a server answers with `writer.error(err.reply)`. `close` says whether the stream can no
 * longer be framed: the connection must then be closed once the reply is flushed, and the
 * parser ignores any further input until {@link RequestParser.reset}.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError'
  readonly code: ProtocolErrorCode
  readonly reply: string
  readonly close: boolean

  constructor(code: ProtocolErrorCode, reply: string, close: boolean, message: string) {
    super(message)
    this.code = code
    this.reply = reply
    this.close = close
  }
}

/** An error reply (`-ERR ...`) received from a server: a value, not a fault of the stream. */
export class ReplyError extends Error {
  override readonly name = 'ReplyError'
  readonly code = 'ERR_REPLY' as const
}

/** Raised by the encoder for a value RESP cannot carry (e.g. CR or LF in a simple string). */
export class EncodeError extends Error {
  override readonly name = 'EncodeError'
  readonly code = 'ERR_RESP_ENCODE' as const
}
