/**
 * Dirty data blocks and their writes to zdb. Full blocks are written behind the writer as soon
 * as they fill, so large writes stream to zdb instead of waiting for the next write pass; the
 * dirty bytes held are bounded, and writers wait for room past the limit.
 * @module
 */
import type { BlockCache } from './block-cache.js'
import { EIO, FsErrno } from './errno.js'
import type { KvNamespace } from './kv-namespace.js'
import { BLOCK_SIZE, type Block, type Node } from './node.js'

export interface WriteBackOptions {
  data: KvNamespace
  cache: BlockCache
  /** Dirty data bytes held before writers wait for zdb (default 64 MiB). */
  maxDirtyBytes?: number
  /** Block writes in flight at once (default 16). */
  writeBehind?: number
  /** How long a writer waits for room in the dirty budget before EIO, in ms (default 10000). */
  roomTimeout?: number
  /** A new block got its id: the inode that lists it must be written. */
  placed: (node: Node) => void
  /** A block stored after its file or its place in it was gone: its id is to be deleted. */
  orphaned: (id: number) => void
  /** A background block write failed (the block stays dirty). */
  failed: (block: Block, err: unknown) => void
}

export class WriteBack {
  readonly #data: KvNamespace
  readonly #cache: BlockCache
  readonly #placed: (node: Node) => void
  readonly #orphaned: (id: number) => void
  readonly #failed: (block: Block, err: unknown) => void
  readonly #dirty = new Set<Block>()
  #dirtyBytes = 0
  readonly #maxDirtyBytes: number
  readonly #writeBehind: number
  #inflight = 0
  /** Blocks to write in the background, in the order they filled. */
  readonly #queue = new Set<Block>()
  #roomWaiters: (() => void)[] = []
  readonly #roomTimeout: number

  constructor(options: WriteBackOptions) {
    this.#data = options.data
    this.#cache = options.cache
    this.#placed = options.placed
    this.#orphaned = options.orphaned
    this.#failed = options.failed
    this.#maxDirtyBytes = options.maxDirtyBytes ?? 64 * 1024 * 1024
    this.#writeBehind = options.writeBehind ?? 16
    this.#roomTimeout = options.roomTimeout ?? 10_000
  }

  get size(): number {
    return this.#dirty.size
  }

  /** Records a change to `block`; a full block starts its write at once. */
  mark(block: Block): void {
    block.version++
    if (!block.dirty) {
      this.#cache.release(block)
      block.dirty = true
      this.#dirty.add(block)
      this.#dirtyBytes += BLOCK_SIZE
    }
    if (block.length === BLOCK_SIZE) {
      this.#queue.add(block)
      this.#pump()
    }
  }

  /** Forgets a dropped block's unwritten changes; false when it had none. */
  drop(block: Block): boolean {
    this.#queue.delete(block)
    if (!block.dirty) return false
    block.dirty = false
    this.#dirty.delete(block)
    this.#dirtyBytes -= BLOCK_SIZE
    this.#wakeRoom()
    return true
  }

  /** Writes every block dirty now, `limit` at a time. */
  async flushAll(limit: number): Promise<void> {
    const blocks = [...this.#dirty]
    let next = 0
    const workers = Array.from({ length: Math.min(limit, blocks.length) }, async () => {
      while (next < blocks.length) await this.flush(blocks[next++]!)
    })
    await Promise.all(workers)
  }

  /** Writes `block` if dirty (one write per block at a time). */
  async flush(block: Block): Promise<void> {
    while (block.flushing) await block.flushing
    if (!block.dirty || block.dropped) return
    const write = this.#write(block)
    block.flushing = write
    try {
      await write
    } finally {
      block.flushing = undefined
    }
  }

  /** Waits while more than the dirty limit is held in memory, writing blocks meanwhile. */
  async waitForRoom(): Promise<void> {
    if (this.#dirtyBytes <= this.#maxDirtyBytes) return
    const deadline = Date.now() + this.#roomTimeout
    while (this.#dirtyBytes > this.#maxDirtyBytes) {
      const left = deadline - Date.now()
      if (left <= 0) {
        throw new FsErrno(EIO, `zdb did not take the dirty data within ${this.#roomTimeout} ms`)
      }
      for (const b of this.#dirty) this.#queue.add(b)
      this.#pump()
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>((resolve) => {
        this.#roomWaiters.push(resolve)
        timer = setTimeout(resolve, Math.min(left, 1000))
      })
      clearTimeout(timer)
    }
  }

  #wakeRoom(): void {
    if (this.#dirtyBytes > this.#maxDirtyBytes && this.#inflight > 0) return
    const waiters = this.#roomWaiters
    this.#roomWaiters = []
    for (const w of waiters) w()
  }

  #pump(): void {
    while (this.#inflight < this.#writeBehind && this.#queue.size > 0) {
      const block = this.#queue.values().next().value as Block
      this.#queue.delete(block)
      if (!block.dirty || block.dropped) continue
      this.#inflight++
      this.flush(block)
        .catch((err) => this.#failed(block, err))
        .finally(() => {
          this.#inflight--
          this.#pump()
          this.#wakeRoom()
        })
    }
    if (this.#inflight === 0) this.#wakeRoom()
  }

  async #write(block: Block): Promise<void> {
    const node = block.owner
    const version = block.version
    // No copy: the zdb client serializes the command synchronously when it is sent, and a
    // change made before that is simply part of what is stored (the version check below
    // keeps the block dirty for the next pass).
    const bytes = block.data.subarray(0, block.length)
    const id = node.inode.blocks[block.index] ?? 0
    if (id !== 0) {
      await this.#data.update(id, bytes)
    } else {
      const fresh = await this.#data.insert(bytes)
      if (block.dropped || node.removed) {
        this.#orphaned(fresh)
        return
      }
      const blocks = node.inode.blocks
      while (blocks.length <= block.index) blocks.push(0)
      blocks[block.index] = fresh
      this.#placed(node)
    }
    if (block.version === version && block.dirty && !block.dropped) {
      block.dirty = false
      this.#dirty.delete(block)
      this.#dirtyBytes -= BLOCK_SIZE
      this.#cache.keep(block)
      this.#wakeRoom()
    }
  }
}
