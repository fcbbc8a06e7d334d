/**
 * @module @qsfs/zdb-protocol
 * RESP2 codec for 0-db (zdb): streaming zero-copy parsers, a batching encoder and typed zdb
 * helpers. No I/O. Reference: 0-db v2 wire protocol (shared/specs/zdb.md §1).
 */
export { EncodeError, ProtocolError, type ProtocolErrorCode, ReplyError } from './errors.js'
export { DEFAULT_MAX_REQUEST_BYTES, ZDB_MAX_ARGS, ZDB_MAX_BULK_LENGTH } from './limits.js'
export { ReplyParser, type ReplyParserOptions } from './reply-parser.js'
export { RequestFrame } from './request-frame.js'
export { RequestParser, type RequestParserOptions } from './request-parser.js'
export type { RespValue } from './resp-engine.js'
export {
  type CommandArg,
  encodeCommand,
  encodeValue,
  RespWriter,
  type RespWriterMark,
  type RespWriterOptions,
} from './resp-writer.js'
export {
  decodeHistoryKey,
  decodeScanCursor,
  decodeSeqKey,
  encodeHistoryKey,
  encodeScanCursor,
  encodeSeqKey,
  formatInfo,
  formatNsInfo,
  HISTORY_KEY_LENGTH,
  type HistoryKey,
  parseInfo,
  parseNsInfo,
  SCAN_CURSOR_LENGTH,
  type ScanCursor,
  SEQ_ID_MAX,
  SEQ_KEY_LENGTH,
  ZdbFormatError,
  type ZdbInfo,
  type ZdbInfoFields,
  type ZdbMode,
  type ZdbNsInfo,
  type ZdbNsInfoFields,
} from './zdb/index.js'
