/**
 * Metadata keys (spec zstor.md §3 "Keys"): `/{prefix}/meta/{hex(blake2b128(path))}`, where the
 * path is lexically cleaned and has `root` stripped, so that `/virtualroot/a/b` with
 * `root = "/virtualroot"` hashes the string `a/b`, exactly as upstream does.
 * @module
 */
import { posix } from 'node:path'
import { blake2b128 } from '@qsfs/zstor-codec'
import { MetaStoreError } from '../errors.js'

/**
 * The lexical clean of Rust's `path-clean` (Go's `filepath.Clean`): `.` and `..` resolved
 * without touching the filesystem, repeated and trailing slashes removed, `""` becomes `"."`.
 */
export function cleanPath(path: string): string {
  if (path === '') return '.'
  const normal = posix.normalize(path)
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal
}

/**
 * `path` cleaned and relative to `root` (component-wise, as Rust's `strip_prefix`). A relative
 * path is taken as relative to `root`, or to the working directory when there is no root, so
 * it names the same object as its absolute form (upstream hashes the two differently, spec
 * zstor.md §3, and a retrieve by relative path then finds nothing).
 */
export function relativeToRoot(path: string, root: string | null): string {
  if (!posix.isAbsolute(path)) {
    if (root !== null) return cleanPath(path) === '.' ? '' : cleanPath(path)
    path = posix.resolve(path)
  }
  const clean = cleanPath(path)
  if (root === null) return clean
  const base = cleanPath(root)
  if (clean === base) return ''
  const prefix = base.endsWith('/') ? base : `${base}/`
  if (!clean.startsWith(prefix)) {
    throw new MetaStoreError('ERR_META_PATH', `${path} is not under the config's root ${root}`)
  }
  return clean.slice(prefix.length)
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

/** The key prefix every object's metadata lives under: `/{prefix}/meta/`. */
export function metaKeyPrefix(prefix: string): string {
  return `/${prefix}/meta/`
}

/** The metadata key of `path` (spec zstor.md §3). */
export function metaKey(prefix: string, path: string, root: string | null): string {
  return `${metaKeyPrefix(prefix)}${hex(blake2b128(Buffer.from(relativeToRoot(path, root), 'utf8')))}`
}
