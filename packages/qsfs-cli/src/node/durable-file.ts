/**
 * Replacing a small file so that a crash leaves the old or the new content, never a torn one:
 * write a temporary file, fsync it, rename it over the target (and fsync the directory, so the
 * rename itself survives a power loss).
 * @module
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

export function writeFileDurably(path: string, text: string, options: { syncDir?: boolean } = {}): void {
  const temp = `${path}.tmp`
  const fd = openSync(temp, 'w')
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(temp, path)
  if (options.syncDir === false) return
  const dirFd = openSync(dirname(path), 'r')
  try {
    fsyncSync(dirFd)
  } finally {
    closeSync(dirFd)
  }
}
