/**
 * @module @qsfs/zdbfs
 * A FUSE file system whose inodes and blocks live in three sequential zdb namespaces, in the
 * on-disk format of upstream 0-db-fs v0.1.11 (shared/specs/zdbfs-and-glue.md §1), with a real
 * fsync, POSIX behaviour where upstream falls short, and bounded failures when the zdb is
 * unreachable.
 */
export { type DirEntry, type Dirlist, decodeDirlist, dirlistIndex, encodeDirlist } from './dirlist-codec.js'
export {
  ZdbfsError,
  type ZdbfsErrorCode,
  ZdbfsFormatError,
  ZdbfsMountError,
  ZdbfsNoSpaceError,
  ZdbfsOptionError,
  ZdbfsZdbError,
} from './errors.js'
export { DIRLIST_COUNT, decodeInode, encodeInode, type Inode, newInode } from './inode-codec.js'
export { consoleLogger, type Logger, silentLogger } from './logger.js'
export { mount, type ZdbfsMount } from './mount.js'
export {
  DEFAULT_NAMESPACES,
  DEFAULT_SIZE,
  type MountOptions,
  type NamespaceConfig,
  type ZdbConfig,
} from './mount-options.js'
export {
  decodeNamespaceHeader,
  encodeNamespaceHeader,
  NAMESPACE_MAGIC,
  type NamespaceHeader,
} from './namespace-header.js'
export { BLOCK_SIZE } from './node.js'
export { type CliOptions, parseMountOptions } from './options.js'
