/**
 * Clean data blocks kept in memory for reads, the loads of blocks from zdb, and the spare
 * BLOCK_SIZE buffers those loads and writes reuse, so that streaming a file allocates nothing
 * per block. Dirty blocks are not in the clean list: {@link WriteBack} owns them until stored.
 * @module
 */
import type { KvNamespace } from './kv-namespace.js'
import { BLOCK_SIZE, type Block, type BlockLoad, type Node } from './node.js'

/** Spare block buffers kept for reuse (4 MiB). */
const POOL_MAX = 32

export interface BlockCacheOptions {
  data: KvNamespace
  /** Clean block bytes kept (default 32 MiB). */
  cacheBytes?: number
  /**
   * A loaded block held stale bytes past EOF and was trimmed: it must be stored short, so that
   * they cannot come back when the file grows.
   */
  trimmed: (block: Block) => void
}

export class BlockCache {
  /**
   * Blocks fetched ahead of a sequential reader: 8 MiB with the default cache, a quarter of
   * the cache with a smaller one, so that a few readers at once do not evict what they fetched.
   */
  readonly readAheadBlocks: number
  readonly #data: KvNamespace
  readonly #trimmed: (block: Block) => void
  /** In least recently used order. */
  readonly #clean = new Set<Block>()
  #cleanBytes = 0
  readonly #cacheBytes: number
  /** Buffers of blocks that left the cache, reused for the next loads and writes. */
  readonly #pool: Buffer[] = []

  constructor(options: BlockCacheOptions) {
    this.#data = options.data
    this.#trimmed = options.trimmed
    this.#cacheBytes = options.cacheBytes ?? 32 * 1024 * 1024
    this.readAheadBlocks = Math.max(2, Math.min(64, Math.floor(this.#cacheBytes / BLOCK_SIZE / 4)))
  }

  /** Block `index` of `node` for reading; `undefined` for a hole or a missing block. */
  get(node: Node, index: number): Promise<Block | undefined> | Block | undefined {
    const hit = node.blocks.get(index)
    if (hit) {
      if (!hit.dirty) this.#touch(hit)
      return hit
    }
    const id = node.inode.blocks[index] ?? 0
    if (id === 0) return undefined
    return this.#startLoad(node, index, id).promise
  }

  /**
   * Like {@link get}, with the block pinned for the caller, who copies from it and then calls
   * {@link unpin}: its buffer is not reused meanwhile, even if the cache drops it.
   */
  pinned(node: Node, index: number): Promise<Block | undefined> | Block | undefined {
    const hit = node.blocks.get(index)
    if (hit) {
      if (!hit.dirty) this.#touch(hit)
      hit.pins++
      return hit
    }
    const id = node.inode.blocks[index] ?? 0
    if (id === 0) return undefined
    const load = this.#startLoad(node, index, id)
    load.pins++
    return load.promise
  }

  unpin(block: Block): void {
    if (--block.pins === 0 && block.evicted) this.#retire(block)
  }

  /**
   * Block `index` of `node` ready to be written: BLOCK_SIZE bytes, with the stored content
   * loaded first when `keep` is set (a partial overwrite). `whole`: the caller overwrites all
   * BLOCK_SIZE bytes.
   */
  async writable(node: Node, index: number, keep: boolean, whole = false): Promise<Block> {
    let block = node.blocks.get(index)
    // A block loaded for us may leave the cache before we resume: load it again then.
    while (!block && keep && (await this.get(node, index))) block = node.blocks.get(index)
    if (!block || block.dropped) {
      block = {
        owner: node,
        index,
        // A write of the whole block fills every byte: no need to zero it first.
        data: this.#takeBuffer(!whole),
        length: 0,
        pooled: true,
        pins: 0,
        evicted: false,
        dirty: false,
        version: 0,
        flushing: undefined,
        dropped: false,
      }
      node.blocks.set(index, block)
      return block
    }
    // The caller changes it next: out of the clean list now, so nothing evicts it meanwhile.
    if (!block.dirty) this.release(block)
    if (block.data.length < BLOCK_SIZE) {
      const data = this.#takeBuffer(true)
      block.data.copy(data, 0, 0, block.length)
      block.data = data
      block.pooled = true
    }
    return block
  }

  /** Takes `block` out of the clean list (it is becoming dirty or dropped); false if absent. */
  release(block: Block): boolean {
    if (!this.#clean.delete(block)) return false
    this.#cleanBytes -= block.data.length
    return true
  }

  /** Adds a block that zdb now holds, evicting the least recently used beyond the budget. */
  keep(block: Block): void {
    this.#clean.add(block)
    this.#cleanBytes += block.data.length
    this.#evict()
  }

  /** Drops the cached blocks of a node leaving the inode cache. */
  forget(node: Node): void {
    // A reader may still hold the node: it loads its blocks again rather than see reused ones.
    for (const block of node.blocks.values()) if (this.release(block)) this.#retire(block)
    node.blocks.clear()
  }

  #startLoad(node: Node, index: number, id: number): BlockLoad {
    let load = node.blockLoads.get(index)
    if (!load) {
      const started: BlockLoad = { promise: Promise.resolve(undefined), pins: 0 }
      started.promise = this.#load(node, index, id, started).finally(() => node.blockLoads.delete(index))
      node.blockLoads.set(index, started)
      load = started
    }
    return load
  }

  async #load(node: Node, index: number, id: number, load: BlockLoad): Promise<Block | undefined> {
    let pooled: Buffer | undefined
    const value = await this.#data.get(id, (n) => {
      if (n > BLOCK_SIZE) return Buffer.allocUnsafe(n)
      pooled = this.#takeBuffer(false)
      return pooled
    })
    const raced = node.blocks.get(index)
    const own = pooled !== undefined && value !== null && value.buffer === pooled.buffer
    if (raced || value === null || node.removed || node.inode.blocks[index] !== id) {
      if (pooled) this.#recycle(pooled)
      if (raced) raced.pins += load.pins
      return raced
    }
    // Upstream's truncate leaves bytes past EOF in the block; they must read as zeros.
    const limit = Math.max(0, Math.min(BLOCK_SIZE, node.inode.size - index * BLOCK_SIZE))
    const length = Math.min(value.length, limit)
    const block: Block = {
      owner: node,
      index,
      data: own ? pooled! : value,
      length,
      pooled: own,
      // Pinned from the start for the readers waiting: nothing can reuse its buffer before they
      // have copied from it, even if the cache drops it first.
      pins: load.pins,
      evicted: false,
      dirty: false,
      version: 0,
      flushing: undefined,
      dropped: false,
    }
    if (!own && pooled) this.#recycle(pooled)
    if (own && length < BLOCK_SIZE) block.data.fill(0, length)
    node.blocks.set(index, block)
    if (value.length > length) {
      if (!own) {
        block.data = this.#takeBuffer(true)
        block.pooled = true
        value.copy(block.data, 0, 0, length)
      }
      this.#trimmed(block)
      return block
    }
    this.keep(block)
    return block
  }

  #takeBuffer(zero: boolean): Buffer {
    const b = this.#pool.pop()
    if (!b) return zero ? Buffer.alloc(BLOCK_SIZE) : Buffer.allocUnsafe(BLOCK_SIZE)
    if (zero) b.fill(0)
    return b
  }

  /**
   * Takes back the buffer of a clean block that left the cache, unless a reader still copies
   * from it (then {@link unpin} does it). Only blocks taken out of the clean list come here:
   * a writer takes its block out of that list before it changes it (see {@link writable}).
   */
  #retire(block: Block): void {
    block.evicted = true
    if (block.pins > 0 || !block.pooled || block.flushing || block.dirty) return
    block.pooled = false
    this.#recycle(block.data)
  }

  #recycle(buffer: Buffer): void {
    if (this.#pool.length < POOL_MAX) this.#pool.push(buffer)
  }

  #touch(block: Block): void {
    if (this.#clean.delete(block)) this.#clean.add(block)
  }

  #evict(): void {
    for (const block of this.#clean) {
      if (this.#cleanBytes <= this.#cacheBytes) return
      if (block.flushing) continue
      this.release(block)
      if (block.owner.blocks.get(block.index) === block) block.owner.blocks.delete(block.index)
      this.#retire(block)
    }
  }
}
