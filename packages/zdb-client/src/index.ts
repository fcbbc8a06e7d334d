/**
 * `@qsfs/zdb-client`: a pipelined connection to a zdb for bulk values. Values leave without a
 * copy and bulk replies land in buffers the caller provides, so streaming large values
 * allocates nothing per value. Used by `@qsfs/zdbfs` for every call and by
 * `@qsfs/zstor-client` to read shards.
 * @module
 */
export { type Alloc, type Reply, ZdbConnection, type ZdbConnectionOptions } from './connection.js'
