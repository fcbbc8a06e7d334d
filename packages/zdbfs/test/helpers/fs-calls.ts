/** Filesystem API calls that tests make often. */
import { errnoOf } from '../../src/errno.js'
import type { Filesystem } from '../../src/filesystem.js'

/** Reads a whole file through the Filesystem API. */
export async function readAll(fs: Filesystem, path: string): Promise<Buffer> {
  const fh = await fs.open(path, 0)
  const size = (await fs.getattr(path)).size
  const buf = Buffer.alloc(size)
  const n = await fs.read(fh, buf, 0)
  await fs.release(fh)
  return buf.subarray(0, n)
}

export async function writeAt(
  fs: Filesystem,
  path: string,
  pos: number,
  bytes: Buffer | string,
): Promise<void> {
  const fh = await fs.open(path, 0)
  await fs.write(fh, Buffer.from(bytes), pos)
  await fs.release(fh)
}

/** The errno a FUSE reply would carry for `p`'s failure, `undefined` when it succeeds. */
export async function errnoOfCall(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p
    return undefined
  } catch (err) {
    return errnoOf(err)
  }
}
