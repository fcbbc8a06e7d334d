/**
 * @module @qsfs/zstor-codec
 * The QSFS data pipeline (compress, encrypt, checksum, erasure-code). Not built yet: see
 * the package README. The native Reed-Solomon engine is already a dependency so that every
 * install proves it builds on this platform.
 */
export const PACKAGE_STATUS = 'planned' as const
