/**
 * Directory entries over the 128 dirlists of a directory (spec zdbfs-and-glue.md §1
 * "Dirlist"). `.` and `..` are stored as ordinary entries, in lists 46 and 92; upstream writes
 * the parent's inode in both, we write the directory itself in `.` (upstream never reads it).
 * A directory's `size` is Σ(11 + name length) over its entries except `.` and `..`.
 * @module
 */
import { DIRENTRY_OVERHEAD, type DirEntry, dirlistIndex, searchEntries } from './dirlist-codec.js'
import { EEXIST, ENOENT, fail } from './errno.js'
import { DIRLIST_COUNT } from './inode-codec.js'
import type { LoadedList, Node } from './node.js'
import type { Store } from './store.js'
import { movedOutPending, noteInserted, noteRemoved } from './write-pass.js'

export const DOT = Buffer.from('.')
export const DOTDOT = Buffer.from('..')

export const isDotName = (name: Uint8Array): boolean =>
  (name.length === 1 && name[0] === 0x2e) || (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e)

/** The entry `name` of `dir`, or `undefined`. */
export async function lookupEntry(store: Store, dir: Node, name: Buffer): Promise<DirEntry | undefined> {
  const list = await store.list(dir, dirlistIndex(name))
  if (!list) return undefined
  const at = searchEntries(list.entries, name)
  return at >= 0 ? list.entries[at] : undefined
}

/** Adds `name → ino` to `dir`; EEXIST if present. Does not touch times or link counts. */
export async function insertEntry(store: Store, dir: Node, name: Buffer, ino: number): Promise<void> {
  const index = dirlistIndex(name)
  const list = (await store.list(dir, index)) ?? (await store.createList(dir, index))
  const at = searchEntries(list.entries, name)
  if (at >= 0) fail(EEXIST)
  list.entries.splice(-at - 1, 0, { name, ino })
  store.markListDirty(list)
  noteInserted(list, name)
  if (!isDotName(name)) {
    dir.inode.size += DIRENTRY_OVERHEAD + name.length
    store.markDirty(dir)
  }
}

/**
 * Removes `name` from `dir` and returns its inode number; ENOENT if absent. `moved`: a rename
 * takes it out (the entry is inserted elsewhere); `isDir`: it names a directory.
 */
export async function removeEntry(
  store: Store,
  dir: Node,
  name: Buffer,
  how: { moved?: boolean; isDir?: boolean } = {},
): Promise<number> {
  const list = await store.list(dir, dirlistIndex(name))
  const at = list ? searchEntries(list.entries, name) : -1
  if (!list || at < 0) return fail(ENOENT)
  const [entry] = list.entries.splice(at, 1)
  store.markListDirty(list)
  noteRemoved(list, entry!, how.moved ?? false, how.isDir ?? false)
  if (!isDotName(name)) {
    dir.inode.size = Math.max(0, dir.inode.size - DIRENTRY_OVERHEAD - name.length)
    store.markDirty(dir)
  }
  return entry!.ino
}

/** Points the `..` of `dir`, which moved, at `parent` (adding it when missing). */
export async function setParent(store: Store, dir: Node, parent: number): Promise<void> {
  const list = await store.list(dir, dirlistIndex(DOTDOT))
  const at = list ? searchEntries(list.entries, DOTDOT) : -1
  if (!list || at < 0) await insertEntry(store, dir, DOTDOT, parent)
  else list.entries[at]!.ino = parent
  const changed = (await store.list(dir, dirlistIndex(DOTDOT)))!
  changed.parentMoved = true
  store.markListDirty(changed)
}

/**
 * Waits, before a change inserts `name` into `dir`, until no write pass still has to store a
 * rename that took `name` out of it: a list can hold a name once, so the moved entry could
 * not stay in the list's first write of the pass (see write-pass.ts). Call it before changing anything.
 */
export async function settleName(store: Store, dir: Node, name: Buffer): Promise<void> {
  const list = dir.lists.get(dirlistIndex(name))
  if (list && movedOutPending(list, name)) await store.sync()
}

/** Every list of `dir` that exists, loaded, in list order. */
export async function allLists(store: Store, dir: Node): Promise<LoadedList[]> {
  const lists = await Promise.all(Array.from({ length: DIRLIST_COUNT }, (_, i) => store.list(dir, i)))
  return lists.filter((l): l is LoadedList => l !== undefined)
}

/** Whether `dir` holds anything besides `.` and `..`. */
export async function hasChildren(store: Store, dir: Node): Promise<boolean> {
  for (const list of await allLists(store, dir)) {
    for (const e of list.entries) if (!isDotName(e.name)) return true
  }
  return false
}

/** The inode of `dir`'s parent as its `..` entry says, or `fallback` when it has none. */
export async function parentOf(store: Store, dir: Node, fallback: number): Promise<number> {
  return (await lookupEntry(store, dir, DOTDOT))?.ino ?? fallback
}
