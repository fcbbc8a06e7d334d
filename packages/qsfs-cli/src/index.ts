/**
 * @module @qsfs/qsfs-cli
 * One QSFS node (shared/specs/zdbfs-and-glue.md §3–4): a local zdb whose closed segments,
 * index files and descriptors are uploaded through zstor, a FUSE mount on it, fetch-on-miss,
 * LRU eviction of uploaded segments, and recovery of a lost node from its config and key.
 * The `qsfs` command is `dist/cli/main.js`.
 */
export {
  type CheckReport,
  checkNode,
  type FileCheck,
  type FileState,
  type RepairReport,
  repairNode,
} from './check.js'
export { type NodeLayout, nodeLayout } from './config/layout.js'
export { DEFAULTS, loadNodeConfig, type NodeConfig, parseNodeConfig } from './config/node-config.js'
export { formatSize, parseSize } from './config/sizes.js'
export { QsfsError, type QsfsErrorCode } from './errors.js'
export { type InitOptions, type InitResult, initNode } from './init.js'
export { type QsfsNode, type RuntimeInfo, type StartNodeOptions, startNode } from './node/node.js'
export { type RecoverOptions, type RecoverResult, recoverNode } from './recover.js'
export type * from './status/types.js'
