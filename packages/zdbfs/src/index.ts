/**
 * @module @qsfs/zdbfs
 * Not built yet: see the package README for what it will be.
 */
export const PACKAGE_STATUS = 'planned' as const
