/**
 * File contents as 128 KiB blocks (spec zdbfs-and-glue.md §1 "Blocks"): block i holds bytes
 * [i·128K, (i+1)·128K), a partial block is stored short, and a missing or short block reads as
 * zeros. Unlike upstream, truncate cuts the stored bytes past the new size (and deletes whole
 * blocks past it), so growing the file again reads zeros (upstream bug 2).
 * @module
 */
import { EFBIG, fail } from './errno.js'
import { BLOCK_SIZE, type Block, type Node } from './node.js'
import type { Store } from './store.js'

/** Largest file: the block list must stay addressable and the inode within zdb's 8 MiB. */
export const MAX_FILE_SIZE = BLOCK_SIZE * 1024 * 1024 // 128 GiB: a 4 MiB block list

/** Reads up to `buf.length` bytes at `pos` into `buf`; returns how many (0 at EOF). */
export async function readFile(store: Store, node: Node, buf: Buffer, pos: number): Promise<number> {
  const size = node.inode.size
  if (pos >= size || buf.length === 0) return 0
  const end = Math.min(size, pos + buf.length)
  const first = Math.floor(pos / BLOCK_SIZE)
  const last = Math.floor((end - 1) / BLOCK_SIZE)
  // The kernel keeps only a few reads in flight, so each would wait a full zdb round trip; a
  // sequential reader gets the next blocks requested before it asks for them. They go out in
  // batches of at least half the window (one write to zdb, one wake-up of it, per batch).
  if (pos !== node.readEnd || pos === 0) node.readAhead = last
  const window = store.blocks.readAheadBlocks
  if ((pos === node.readEnd || pos === 0) && node.readAhead - last < window / 2) {
    const stop = Math.min(last + window, Math.floor((size - 1) / BLOCK_SIZE))
    for (let i = Math.max(last + 1, node.readAhead + 1); i <= stop; i++) {
      const b = store.blocks.get(node, i)
      if (b instanceof Promise) b.catch(() => {})
    }
    if (stop > node.readAhead) node.readAhead = stop
  }
  node.readEnd = end
  // Pinned: the cache may drop one while others load, and its buffer must not be reused.
  const found: (Block | Promise<Block | undefined> | undefined)[] = []
  let waiting = false
  for (let i = first; i <= last; i++) {
    const b = store.blocks.pinned(node, i)
    if (b instanceof Promise) waiting = true
    found.push(b)
  }
  let blocks: (Block | undefined)[]
  try {
    blocks = waiting ? await Promise.all(found) : (found as (Block | undefined)[])
  } catch (err) {
    for (const f of found) {
      if (f instanceof Promise)
        f.then(
          (b) => b && store.blocks.unpin(b),
          () => {},
        )
      else if (f) store.blocks.unpin(f)
    }
    throw err
  }
  for (let i = first; i <= last; i++) {
    const start = i * BLOCK_SIZE
    const from = Math.max(pos, start)
    const to = Math.min(end, start + BLOCK_SIZE)
    const target = from - pos
    const block = blocks[i - first]
    const have = block ? Math.min(block.length, to - start) : 0
    if (block && have > from - start) {
      block.data.copy(buf, target, from - start, have)
      if (start + have < to) buf.fill(0, target + have - (from - start), to - pos)
    } else {
      buf.fill(0, target, to - pos)
    }
    if (block) store.blocks.unpin(block)
  }
  return end - pos
}

/**
 * Loads the block holding EOF when it is stored but not cached, before the file grows: blocks
 * written by upstream may hold stale bytes past EOF, and loading trims (and rewrites) them.
 */
async function settleTail(store: Store, node: Node): Promise<void> {
  const size = node.inode.size
  if (size % BLOCK_SIZE === 0) return
  const index = Math.floor(size / BLOCK_SIZE)
  if (!node.blocks.has(index) && (node.inode.blocks[index] ?? 0) !== 0) await store.blocks.get(node, index)
}

/** Writes `buf` at `pos`; returns its length. */
export async function writeFile(
  store: Store,
  node: Node,
  buf: Buffer,
  pos: number,
  now: number,
): Promise<number> {
  const len = buf.length
  if (len === 0) return 0
  if (pos + len > MAX_FILE_SIZE) fail(EFBIG)
  await store.writeBack.waitForRoom()
  const tail = Math.floor(node.inode.size / BLOCK_SIZE)
  // A write that reaches the tail block rewrites it anyway; otherwise settle it first.
  if (
    pos + len > node.inode.size &&
    (tail < Math.floor(pos / BLOCK_SIZE) || tail > Math.floor((pos + len - 1) / BLOCK_SIZE))
  ) {
    await settleTail(store, node)
  }
  let done = 0
  while (done < len) {
    const at = pos + done
    const index = Math.floor(at / BLOCK_SIZE)
    const offset = at - index * BLOCK_SIZE
    const n = Math.min(BLOCK_SIZE - offset, len - done)
    const existing = Math.max(0, Math.min(BLOCK_SIZE, node.inode.size - index * BLOCK_SIZE))
    const keep = existing > 0 && (offset > 0 || offset + n < existing)
    const block = await store.blocks.writable(node, index, keep, n === BLOCK_SIZE)
    buf.copy(block.data, offset, done, done + n)
    if (offset + n > block.length) block.length = offset + n
    store.writeBack.mark(block)
    done += n
  }
  if (pos + len > node.inode.size) node.inode.size = pos + len
  node.inode.mtime = now
  node.inode.ctime = now
  store.markDirty(node)
  return len
}

/** Sets the size; bytes cut off are gone, so a later grow reads zeros. */
export async function setFileSize(store: Store, node: Node, size: number, now: number): Promise<void> {
  if (size > MAX_FILE_SIZE) fail(EFBIG)
  const old = node.inode.size
  if (size < old) {
    const keep = Math.ceil(size / BLOCK_SIZE)
    for (const block of [...node.blocks.values()]) if (block.index >= keep) store.dropBlock(block)
    const ids = node.inode.blocks
    for (let i = keep; i < ids.length; i++) if (ids[i]) store.scheduleDelete(store.data, ids[i]!)
    if (ids.length > keep) ids.length = keep
    const tail = size - (keep - 1) * BLOCK_SIZE
    if (size % BLOCK_SIZE !== 0) {
      const block = node.blocks.get(keep - 1) ?? (await store.blocks.get(node, keep - 1))
      if (block && block.length > tail) {
        const writable = await store.blocks.writable(node, keep - 1, true)
        writable.data.fill(0, tail, writable.length)
        writable.length = tail
        store.writeBack.mark(writable)
      }
    }
  } else if (size > old) {
    await settleTail(store, node)
  }
  node.inode.size = size
  node.inode.mtime = now
  node.inode.ctime = now
  store.markDirty(node)
}
