/**
 * Typed 0-db helpers: binary keys and cursors, and the INFO / NSINFO text replies. Pure
 * functions, no I/O.
 * @module
 */
export { ZdbFormatError } from './errors.js'
export { decodeHistoryKey, encodeHistoryKey, HISTORY_KEY_LENGTH, type HistoryKey } from './history-key.js'
export {
  formatInfo,
  formatNsInfo,
  parseInfo,
  parseNsInfo,
  type ZdbInfo,
  type ZdbInfoFields,
  type ZdbMode,
  type ZdbNsInfo,
  type ZdbNsInfoFields,
} from './info.js'
export { decodeScanCursor, encodeScanCursor, SCAN_CURSOR_LENGTH, type ScanCursor } from './scan-cursor.js'
export { decodeSeqKey, encodeSeqKey, SEQ_ID_MAX, SEQ_KEY_LENGTH } from './seq-key.js'
