/**
 * A 0-db-fs dirlist, one `zdbfs-meta` value per non-empty list of a directory (spec
 * zdbfs-and-glue.md §1 "Serialization"): `{u64 own key, u32 count, 4 bytes padding}`, then
 * `count` entries `{u16 name length, u64 ino, name, NUL}`, sorted by strcmp of the names. An
 * entry belongs to list `byteSum(name) % 128`, so `.` is in list 46 and `..` in list 92.
 * @module
 */
import { ZdbfsFormatError } from './errors.js'
import { DIRLIST_COUNT } from './inode-codec.js'

export const DIRLIST_HEADER_LENGTH = 16
/** Fixed bytes of one entry besides its name: u16 length, u64 ino, the NUL. */
export const DIRENTRY_OVERHEAD = 11

export interface DirEntry {
  /** The name as bytes (no NUL, no `/`). */
  readonly name: Buffer
  ino: number
}

export interface Dirlist {
  /** The list's own meta key. */
  key: number
  /** Entries sorted by {@link compareNames}. */
  entries: DirEntry[]
}

/**
 * Which of a directory's lists holds `name`: the sum of its bytes modulo 128 (bytes taken as
 * unsigned; with C's signed `char` the sum differs by multiples of 256, so the list is the same).
 */
export function dirlistIndex(name: Uint8Array): number {
  let sum = 0
  for (let i = 0; i < name.length; i++) sum += name[i]!
  return sum % DIRLIST_COUNT
}

/** strcmp order: bytes compared unsigned, a prefix first. */
export const compareNames = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b)

/** The `zdbfs-meta` value of `list`. Padding is written as zero. */
export function encodeDirlist(list: Dirlist): Buffer {
  let length = DIRLIST_HEADER_LENGTH
  for (const e of list.entries) length += DIRENTRY_OVERHEAD + e.name.length
  const out = Buffer.alloc(length)
  out.writeBigUInt64LE(BigInt(list.key), 0)
  out.writeUInt32LE(list.entries.length, 8)
  let at = DIRLIST_HEADER_LENGTH
  for (const e of list.entries) {
    out.writeUInt16LE(e.name.length, at)
    out.writeBigUInt64LE(BigInt(e.ino), at + 2)
    e.name.copy(out, at + 10)
    at += DIRENTRY_OVERHEAD + e.name.length
  }
  return out
}

/**
 * Decodes a dirlist. Entries are re-sorted if the stored order is not strcmp order, so that a
 * binary search stays right whatever wrote them.
 */
export function decodeDirlist(value: Uint8Array): Dirlist {
  const b = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (b.length < DIRLIST_HEADER_LENGTH) {
    throw new ZdbfsFormatError(`a dirlist is at least ${DIRLIST_HEADER_LENGTH} bytes, got ${b.length}`)
  }
  const key = Number(b.readBigUInt64LE(0))
  const count = b.readUInt32LE(8)
  const entries: DirEntry[] = []
  let at = DIRLIST_HEADER_LENGTH
  let sorted = true
  for (let i = 0; i < count; i++) {
    if (b.length - at < DIRENTRY_OVERHEAD) {
      throw new ZdbfsFormatError(`dirlist ${key} announces ${count} entries but is cut short at entry ${i}`)
    }
    const len = b.readUInt16LE(at)
    const ino = Number(b.readBigUInt64LE(at + 2))
    if (b.length - at < DIRENTRY_OVERHEAD + len) {
      throw new ZdbfsFormatError(`dirlist ${key} entry ${i} is cut short`)
    }
    const name = Buffer.from(b.subarray(at + 10, at + 10 + len))
    const prev = entries[entries.length - 1]
    if (prev && compareNames(prev.name, name) >= 0) sorted = false
    entries.push({ name, ino })
    at += DIRENTRY_OVERHEAD + len
  }
  if (!sorted) entries.sort((x, y) => compareNames(x.name, y.name))
  return { key, entries }
}

/** Index of `name` in sorted `entries`, or `-(insertion point) - 1` when absent. */
export function searchEntries(entries: readonly DirEntry[], name: Uint8Array): number {
  let lo = 0
  let hi = entries.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const c = compareNames(entries[mid]!.name, name)
    if (c === 0) return mid
    if (c < 0) lo = mid + 1
    else hi = mid - 1
  }
  return -lo - 1
}
