/**
 * Client-side streaming parser of RESP2 replies.
 * @module
 */
import type { ProtocolError } from './errors.js'
import { positive, RespEngine, type RespValue } from './resp-engine.js'
import { StreamParser } from './stream-parser.js'

/** Options of {@link ReplyParser}. */
export interface ReplyParserOptions {
  /** Called with each complete reply, in order. Error replies arrive as {@link ReplyError} values. */
  onReply: (reply: RespValue) => void
  /** Called once if the stream is not valid RESP2; the parser then ignores later input. */
  onError: (error: ProtocolError) => void
  /** Largest bulk string in bytes (default 512 MiB, as Redis). */
  maxBulkLength?: number
  /** Most elements of one array (default 2^24). */
  maxArrayLength?: number
  /** Deepest array nesting (default 32). */
  maxDepth?: number
  /** Longest simple string, error or integer line (default 64 KiB). */
  maxLineLength?: number
}

/** Client-side parser of every RESP2 reply type, nested arrays included. */
export class ReplyParser extends StreamParser {
  constructor(options: ReplyParserOptions) {
    super(
      new RespEngine(
        false,
        {
          maxArrayLength: positive('maxArrayLength', options.maxArrayLength ?? 2 ** 24),
          maxBulkLength: positive('maxBulkLength', options.maxBulkLength ?? 512 * 1024 * 1024),
          maxRequestBytes: Number.POSITIVE_INFINITY,
          maxDepth: positive('maxDepth', options.maxDepth ?? 32),
          maxLineLength: positive('maxLineLength', options.maxLineLength ?? 64 * 1024),
        },
        options.onReply,
        options.onError,
      ),
    )
  }
}
