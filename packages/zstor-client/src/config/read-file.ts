/**
 * Bounded file reads for the config and its key files, so that a path to `/dev/zero` or a
 * huge file fails instead of filling memory.
 * @module
 */
import { open } from 'node:fs/promises'

/** The first `max + 1` bytes at most of `path`: a result longer than `max` means "too big". */
export async function readFileCapped(path: string, max: number): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(max + 1)
    let length = 0
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
    }
    return buffer.subarray(0, length)
  } finally {
    await handle.close()
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent is not a directory',
  ELOOP: 'too many symbolic links',
}

/** A short reason for a failed read: "no such file (ENOENT)". */
export function ioReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string') return REASONS[code] === undefined ? code : `${REASONS[code]} (${code})`
  return error instanceof Error ? error.message : String(error)
}
