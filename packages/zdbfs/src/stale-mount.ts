/**
 * A FUSE mount whose process died answers every access with ENOTCONN ("Transport endpoint is
 * not connected"). Such a mount is detected at start and lazily unmounted, so a restart after
 * kill -9 needs no manual `fusermount -u`.
 * @module
 */
import { execFile } from 'node:child_process'
import { stat, statfs } from 'node:fs/promises'
import { ZdbfsMountError } from './errors.js'

const run = (cmd: string, args: string[]): Promise<boolean> =>
  new Promise((resolve) => execFile(cmd, args, (err) => resolve(!err)))

const isDead = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ENOTCONN' || code === 'ECONNABORTED'
}

/** Whether `mountpoint` is a mount whose FUSE server is gone. */
export async function isStaleMount(mountpoint: string): Promise<boolean> {
  try {
    await stat(mountpoint)
    // The kernel answers `stat` from its attribute cache for a while after the server died;
    // `statfs` always asks the server.
    await statfs(mountpoint)
    return false
  } catch (err) {
    return isDead(err)
  }
}

/** Lazily unmounts `mountpoint` if it is a dead FUSE mount; returns whether it did. */
export async function clearStaleMount(mountpoint: string): Promise<boolean> {
  if (!(await isStaleMount(mountpoint))) return false
  if (!(await run('fusermount', ['-u', '-z', mountpoint]))) await run('umount', ['-l', mountpoint])
  if (await isStaleMount(mountpoint)) {
    throw new ZdbfsMountError(
      `${mountpoint} is a dead FUSE mount and could not be unmounted; run 'umount -l ${mountpoint}' as root`,
    )
  }
  return true
}

/** Checks that `mountpoint` is a directory; throws {@link ZdbfsMountError} otherwise. */
export async function checkMountpoint(mountpoint: string): Promise<void> {
  let st: Awaited<ReturnType<typeof stat>>
  try {
    st = await stat(mountpoint)
  } catch (err) {
    throw new ZdbfsMountError(
      `mountpoint ${mountpoint} is not usable (${(err as Error).message}); create the directory first`,
      {
        cause: err,
      },
    )
  }
  if (!st.isDirectory()) throw new ZdbfsMountError(`mountpoint ${mountpoint} is not a directory`)
}
