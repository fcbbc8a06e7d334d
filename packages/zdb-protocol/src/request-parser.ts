/**
 * Server-side streaming parser of zdb requests (spec zdb.md §1).
 * @module
 */
import type { ProtocolError } from './errors.js'
import { DEFAULT_MAX_REQUEST_BYTES, ZDB_MAX_ARGS, ZDB_MAX_BULK_LENGTH } from './limits.js'
import type { RequestFrame } from './request-frame.js'
import { positive, RespEngine } from './resp-engine.js'
import { StreamParser } from './stream-parser.js'

/** Options of {@link RequestParser}. Limits default to 0-db's. */
export interface RequestParserOptions {
  /**
   * Called with each complete request, in order, as a reusable zero-allocation view (valid
   * during the call only). Give this or `onRequest`. Must not throw.
   */
  onFrame?: (frame: RequestFrame) => void
  /** Called with the arguments of each complete request, in order. Must not throw. */
  onRequest?: (args: Buffer[]) => void
  /**
   * Called for each protocol violation, in order with the requests. Reply `err.reply` as an
   * error; if `err.close`, close the connection after flushing (the parser ignores later input).
   */
  onError: (error: ProtocolError) => void
  /** Most elements in one request (default {@link ZDB_MAX_ARGS}). */
  maxArgs?: number
  /** Largest bulk string in bytes (default {@link ZDB_MAX_BULK_LENGTH}). */
  maxBulkLength?: number
  /** Most payload bytes in one request (default {@link DEFAULT_MAX_REQUEST_BYTES}). */
  maxRequestBytes?: number
  /**
   * The caller reuses the memory of each chunk once `feed` returns, as a server that reads
   * every socket into one buffer does: the parser then copies whatever it keeps of a chunk,
   * and the arguments it passes are valid during the callback only (copy those you keep).
   * Default false: chunks are the parser's to keep, and arguments stay valid.
   */
  borrowedChunks?: boolean
}

/**
 * Server-side parser of zdb requests: RESP arrays of bulk strings, with 0-db's limits and
 * error replies (spec zdb.md §1). Recoverable violations (`*0`, too many arguments) keep
 * the stream framed; the others close it.
 */
export class RequestParser extends StreamParser {
  constructor(options: RequestParserOptions) {
    const { onRequest, onFrame } = options
    if ((onFrame === undefined) === (onRequest === undefined)) {
      throw new TypeError('RequestParser needs exactly one of onFrame and onRequest')
    }
    super(
      new RespEngine(
        true,
        {
          maxArrayLength: positive('maxArgs', options.maxArgs ?? ZDB_MAX_ARGS),
          maxBulkLength: positive('maxBulkLength', options.maxBulkLength ?? ZDB_MAX_BULK_LENGTH),
          maxRequestBytes: positive('maxRequestBytes', options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES),
          maxDepth: 1,
          maxLineLength: 0,
        },
        () => {},
        options.onError,
        onFrame ?? null,
        onRequest ?? null,
        options.borrowedChunks ?? false,
      ),
    )
  }
}
