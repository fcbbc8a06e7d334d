/**
 * The meta writes of one write pass and their order, which keeps every stored file reachable
 * whatever write a crash stops at. Inodes and dirlists are encoded together, as they are at one
 * moment, then written in steps, each waiting for zdb's replies to the one before:
 *
 * a. inodes, each link count raised by the entries naming it that stored lists may still hold
 *    (an unlink or rename not stored yet), so that a count never falls below the names stored:
 *    removing one of two names can never delete the file under the other;
 * b. dirlists. When a rename took entries out of a list, that list is first written with them
 *    still in (a "union": the moves' additions applied, their removals not), so no list write
 *    loses a moved entry before every list gaining it is stored; then the `..` of moved
 *    directories; then those lists' final versions. A crash leaves a moved file or directory
 *    under its old name, its new name, or both, never neither;
 * c. the inodes whose count was raised, with their true count.
 *
 * A list holds a name once, so a union cannot keep an entry moved out of `name` if `name` was
 * given to something else meanwhile: such an insert first waits for a pass that stores the move
 * (`settleName` in directory.ts). That splits a cycle of renames (a → t, b → a, t → b) into
 * passes that each have an order.
 * @module
 */
import { type DirEntry, encodeDirlist, searchEntries } from './dirlist-codec.js'
import { encodeInode } from './inode-codec.js'
import type { LoadedList, Node, Removal } from './node.js'

export interface EncodedPass {
  /** `[key, value]` meta writes, step by step. */
  steps: [number, Buffer][][]
  /** The nodes written: the dirty ones and those whose link count is raised. */
  nodes: Set<Node>
  /** Per list, how many of its oldest removals the pass stores once it succeeds. */
  stored: [LoadedList, number][]
  /** Lists holding a moved `..`: flagged again if the pass fails. */
  moves: LoadedList[]
}

/** Records that `name` entered `list`. */
export function noteInserted(list: LoadedList, name: Buffer): void {
  list.fresh ??= new Set()
  list.fresh.add(name.toString('latin1'))
}

/**
 * Records that `entry` left `list` (`moved`: by a rename; `dir`: it named a directory), unless
 * it entered since the list was last taken by a write pass, so that no stored list holds it.
 */
export function noteRemoved(list: LoadedList, entry: DirEntry, moved: boolean, dir: boolean): void {
  if (list.fresh?.delete(entry.name.toString('latin1'))) return
  list.removed ??= []
  list.removed.push({ name: entry.name, ino: entry.ino, moved, dir })
}

/** Whether a rename took `name` out of `list` and no write pass has stored that yet. */
export function movedOutPending(list: LoadedList, name: Buffer): boolean {
  return list.removed?.some((r) => r.moved && r.name.equals(name)) ?? false
}

/**
 * The steps (a–c) of a pass over `dirtyNodes` and `lists` as they are now. `nodeOf` gives the
 * cached node of an inode number: one not cached holds no count to raise.
 */
export function encodePass(
  dirtyNodes: Node[],
  lists: LoadedList[],
  nodeOf: (ino: number) => Node | undefined,
): EncodedPass {
  const nodes = new Set(dirtyNodes)
  const raise = new Map<Node, number>()
  const bump = (node: Node): void => {
    raise.set(node, (raise.get(node) ?? 0) + 1)
    nodes.add(node)
  }
  const stored: [LoadedList, number][] = []
  const moves: LoadedList[] = []
  const plain: [number, Buffer][] = []
  const unions: [number, Buffer][] = []
  const parents: [number, Buffer][] = []
  const finals: [number, Buffer][] = []
  for (const list of lists) {
    list.fresh = undefined
    const parentMoved = list.parentMoved === true
    list.parentMoved = false
    if (parentMoved) moves.push(list)
    if (list.owner.removed) continue
    const removed = list.removed ?? []
    if (removed.length > 0) stored.push([list, removed.length])
    let kept: Removal[] | undefined
    let present: Set<number> | undefined
    for (const r of removed) {
      if (r.moved) {
        // Still named in this list (moved within it): the list's one write is atomic.
        present ??= new Set(list.entries.map((e) => e.ino))
        if (present.has(r.ino)) continue
        kept ??= []
        kept.push(r)
      }
      if (r.dir) {
        // Upstream's directories keep no count (0): nothing to raise.
        if (list.owner.inode.links >= 2) bump(list.owner)
      } else {
        const node = nodeOf(r.ino)
        if (node && !node.removed) bump(node)
      }
    }
    const value = encodeDirlist(list)
    if (kept) {
      unions.push([list.key, encodeDirlist({ key: list.key, entries: withEntries(list.entries, kept) })])
      finals.push([list.key, value])
    } else if (parentMoved) {
      parents.push([list.key, value])
    } else {
      plain.push([list.key, value])
    }
  }
  const inodes: [number, Buffer][] = []
  const relinks: [number, Buffer][] = []
  for (const n of nodes) {
    if (n.removed) continue
    const value = encodeInode(n.inode)
    const extra = raise.get(n)
    if (extra) {
      inodes.push([n.ino, encodeInode({ ...n.inode, links: n.inode.links + extra })])
      relinks.push([n.ino, value])
    } else {
      inodes.push([n.ino, value])
    }
  }
  const steps =
    unions.length === 0
      ? [inodes, [...plain, ...parents], relinks]
      : [inodes, [...plain, ...unions], parents, finals, relinks]
  return { steps: steps.filter((s) => s.length > 0), nodes, stored, moves }
}

/** Once the pass is stored, its lists forget the removals it stored. */
export function passStored(pass: EncodedPass): void {
  for (const [list, count] of pass.stored) {
    list.removed!.splice(0, count)
    if (list.removed!.length === 0) list.removed = undefined
  }
}

/** `entries` with the entries of `moved` whose names it lacks, in name order. */
function withEntries(entries: readonly DirEntry[], moved: readonly Removal[]): DirEntry[] {
  const out = entries.slice()
  for (const r of moved) {
    const at = searchEntries(out, r.name)
    if (at < 0) out.splice(-at - 1, 0, { name: r.name, ino: r.ino })
  }
  return out
}
