/**
 * POSIX error numbers for file system operations, and the internal error that carries one from
 * an operation to the FUSE reply.
 * @module
 */
import { constants } from 'node:os'
import { ZdbfsNoSpaceError } from './errors.js'

const E = constants.errno

export const ENOENT = E.ENOENT
export const EIO = E.EIO
export const EEXIST = E.EEXIST
export const ENOTDIR = E.ENOTDIR
export const EISDIR = E.EISDIR
export const EINVAL = E.EINVAL
export const ENOTEMPTY = E.ENOTEMPTY
export const ENAMETOOLONG = E.ENAMETOOLONG
export const ENOSPC = E.ENOSPC
export const ENODATA = E.ENODATA
export const ERANGE = E.ERANGE
export const E2BIG = E.E2BIG
export const EBADF = E.EBADF
export const EPERM = E.EPERM
export const EOPNOTSUPP = E.EOPNOTSUPP
export const EFBIG = E.EFBIG
export const EMLINK = E.EMLINK
export const ELOOP = E.ELOOP

/** An operation failed with `errno` (positive). Internal: FUSE replies carry `-errno`. */
export class FsErrno extends Error {
  readonly errno: number
  constructor(errno: number, message?: string) {
    // ENOENT on lookups is the most common reply of all: skip the stack trace it never needs.
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(message ?? `errno ${errno}`)
    Error.stackTraceLimit = limit
    this.errno = errno
  }
}

export const fail = (errno: number, message?: string): never => {
  throw new FsErrno(errno, message)
}

/** The positive errno an operation's failure maps to: zdb trouble is EIO, a full zdb ENOSPC. */
export function errnoOf(err: unknown): number {
  if (err instanceof FsErrno) return err.errno
  if (err instanceof ZdbfsNoSpaceError) return ENOSPC
  return EIO
}
