/**
 * @module @qsfs/zdb-protocol
 * RESP2 codec for 0-db (zdb): streaming zero-copy parsers, a batching encoder and typed zdb
 * helpers. No I/O. Reference: 0-db v2 wire protocol (shared/specs/zdb.md §1).
 */
export { EncodeError, ProtocolError, type ProtocolErrorCode, ReplyError } from './errors.js'
export { DEFAULT_MAX_REQUEST_BYTES, ZDB_MAX_ARGS, ZDB_MAX_BULK_LENGTH } from './limits.js'
export { RequestFrame } from './request-frame.js'
export {
  ReplyParser,
  type ReplyParserOptions,
  RequestParser,
  type RequestParserOptions,
  type RespValue,
} from './resp-parser.js'
export {
  type CommandArg,
  encodeCommand,
  encodeValue,
  RespWriter,
  type RespWriterOptions,
} from './resp-writer.js'
