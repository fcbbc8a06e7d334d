/**
 * The inode cache and write-back engine. Operations change nodes, dirlists and blocks in memory
 * and mark them dirty; {@link Store.sync} writes them to zdb in an order that keeps every
 * stored reference pointing at stored data (spec zdbfs-and-glue.md §1 keys, durability goal of
 * issue 6), and keeps every stored file reachable whatever write a crash stops at:
 *
 * 1. data blocks (a new block gets its id from `SET ""`, which dirties its inode);
 * 2. inodes and dirlists are then encoded together, as they are at that moment, and written:
 *    a. inodes, each link count raised by the entries naming it that stored lists may still
 *       hold (an unlink or rename not stored yet), so that a count never falls below the names
 *       stored: removing one of two names can never delete the file under the other;
 *    b. dirlists. When a rename took entries out of a list, that list is first written with
 *       them still in (a "union": the moves' additions applied, their removals not), so no list
 *       write loses a moved entry before every list gaining it is stored; then the `..` of moved
 *       directories; then those lists' final versions. Each step waits for the previous one's
 *       replies. A crash leaves a moved file or directory under its old name, its new name, or
 *       both, never neither;
 *    c. the inodes whose count was raised, with their true count;
 * 3. deletions queued before this sync started (blocks cut by truncate, unlinked inodes, the
 *    lists of removed directories), once no stored inode or list can reference them.
 *
 * A list holds a name once, so a union cannot keep an entry moved out of `name` if `name` was
 * given to something else meanwhile: such an insert first waits for a pass that stores the move
 * (`settleName` in directory.ts). That splits a cycle of renames (a → t, b → a, t → b) into
 * passes that each have an order.
 *
 * A sync runs every `syncInterval` ms while anything is dirty (the loss window without fsync)
 * and on every fsync. Full blocks are written behind the writer as soon as they fill, so large
 * writes stream to zdb instead of waiting for the timer.
 * @module
 */
import { type DirEntry, decodeDirlist, encodeDirlist, searchEntries } from './dirlist-codec.js'
import { EIO, ENOENT, FsErrno } from './errno.js'
import { ZdbfsFormatError } from './errors.js'
import { IdPool } from './id-pool.js'
import { decodeInode, encodeInode, type Inode } from './inode-codec.js'
import type { KvNamespace } from './kv-namespace.js'
import type { Logger } from './logger.js'
import {
  BLOCK_SIZE,
  type Block,
  type BlockLoad,
  type LoadedList,
  type Node,
  newNode,
  type Removal,
} from './node.js'

/** Spare block buffers kept for reuse (4 MiB). */
const POOL_MAX = 32

export interface StoreOptions {
  meta: KvNamespace
  data: KvNamespace
  logger: Logger
  /** Dirty data bytes held before writers wait for zdb (default 64 MiB). */
  maxDirtyBytes?: number
  /** Clean blocks kept for reads (default 32 MiB). */
  cacheBytes?: number
  /** Block writes in flight at once (default 16). */
  writeBehind?: number
  /** How often dirty state is written without fsync, in ms (default 1000). */
  syncInterval?: number
  /** How long a writer waits for room in the dirty budget before EIO, in ms (default 10000). */
  roomTimeout?: number
  /** Clean inodes kept in memory (default 100000); the least recently used go first. */
  maxNodes?: number
}

export class Store {
  readonly meta: KvNamespace
  readonly data: KvNamespace
  readonly ids: IdPool
  readonly #logger: Logger
  readonly #nodes = new Map<number, Node>()
  readonly #loads = new Map<number, Promise<Node>>()
  readonly #dirtyNodes = new Set<Node>()
  readonly #dirtyLists = new Set<LoadedList>()
  readonly #dirtyBlocks = new Set<Block>()
  #deletes: { ns: KvNamespace; key: number }[] = []
  #dirtyBytes = 0
  readonly #maxDirtyBytes: number
  readonly #clean = new Set<Block>()
  #cleanBytes = 0
  /** BLOCK_SIZE buffers of blocks that left the cache, reused for the next loads and writes. */
  readonly #pool: Buffer[] = []
  readonly #cacheBytes: number
  /**
   * Blocks fetched ahead of a sequential reader: 8 MiB with the default cache, a quarter of
   * the cache with a smaller one, so that a few readers at once do not evict what they fetched.
   */
  readonly readAheadBlocks: number
  readonly #writeBehind: number
  #inflight = 0
  readonly #fullQueue = new Set<Block>()
  #roomWaiters: (() => void)[] = []
  readonly #roomTimeout: number
  readonly #maxNodes: number
  #syncChain: Promise<void> = Promise.resolve()
  #syncQueued: Promise<void> | undefined
  readonly #timer: NodeJS.Timeout
  #lastSyncError: unknown

  constructor(options: StoreOptions) {
    this.meta = options.meta
    this.data = options.data
    this.#logger = options.logger
    this.ids = new IdPool(options.meta)
    this.#maxDirtyBytes = options.maxDirtyBytes ?? 64 * 1024 * 1024
    this.#cacheBytes = options.cacheBytes ?? 32 * 1024 * 1024
    this.readAheadBlocks = Math.max(2, Math.min(64, Math.floor(this.#cacheBytes / BLOCK_SIZE / 4)))
    this.#writeBehind = options.writeBehind ?? 16
    this.#roomTimeout = options.roomTimeout ?? 10_000
    this.#maxNodes = options.maxNodes ?? 100_000
    this.#timer = setInterval(() => {
      if (this.hasDirty()) {
        this.sync().catch((err) => {
          this.#lastSyncError = err
          this.#logger.warn(`background sync failed: ${String(err)}`)
        })
      }
    }, options.syncInterval ?? 1000)
    this.#timer.unref()
  }

  /** The last background sync error, for diagnostics. */
  get lastSyncError(): unknown {
    return this.#lastSyncError
  }

  hasDirty(): boolean {
    return (
      this.#dirtyNodes.size > 0 ||
      this.#dirtyLists.size > 0 ||
      this.#dirtyBlocks.size > 0 ||
      this.#deletes.length > 0
    )
  }

  get dirtyBytes(): number {
    return this.#dirtyBytes
  }

  // ---- nodes ----

  cached(ino: number): Node | undefined {
    return this.#nodes.get(ino)
  }

  /** The node of `ino`, loading it; ENOENT when the key is missing or holds no inode. */
  node(ino: number): Promise<Node> {
    const hit = this.#nodes.get(ino)
    if (hit) {
      hit.used = true
      return Promise.resolve(hit)
    }
    let load = this.#loads.get(ino)
    if (!load) {
      load = this.#load(ino).finally(() => this.#loads.delete(ino))
      this.#loads.set(ino, load)
    }
    return load
  }

  async #load(ino: number): Promise<Node> {
    const value = await this.meta.get(ino)
    if (value === null) throw new FsErrno(ENOENT, `inode ${ino} does not exist`)
    let inode: Inode
    try {
      inode = decodeInode(value)
    } catch (err) {
      // A reserved id ("X") whose inode was never stored: the entry pointing here was written
      // by a crash between the two; it is treated as absent.
      if (err instanceof ZdbfsFormatError) {
        this.#logger.warn(`inode ${ino} is not decodable (${err.message}); treated as missing`)
        throw new FsErrno(ENOENT, err.message)
      }
      throw err
    }
    const raced = this.#nodes.get(ino)
    if (raced) return raced
    const node = newNode(ino, inode)
    this.#nodes.set(ino, node)
    this.#evictNodes()
    return node
  }

  /**
   * Forgets inodes that hold nothing unwritten, down to the limit, in "second chance" order: Map
   * order is the order of first use, and a node used since the last pass moves to the end once
   * instead of being evicted (cheaper on every lookup than moving it on each use).
   */
  #evictNodes(): void {
    let excess = this.#nodes.size - this.#maxNodes
    if (excess <= 0) return
    let budget = 2 * this.#nodes.size
    for (const node of this.#nodes.values()) {
      if (excess <= 0 || budget-- <= 0) return
      if (node.used) {
        node.used = false
        this.#nodes.delete(node.ino)
        this.#nodes.set(node.ino, node)
        continue
      }
      if (!this.#evictable(node)) continue
      this.#nodes.delete(node.ino)
      // A reader may still hold the node: it loads its blocks again rather than see reused ones.
      for (const block of node.blocks.values()) {
        if (!this.#clean.delete(block)) continue
        this.#cleanBytes -= block.data.length
        this.#retire(block)
      }
      node.blocks.clear()
      excess--
    }
  }

  #evictable(node: Node): boolean {
    if (node.ino === 1 || node.dirty || node.openCount > 0 || node.busy > 0) return false
    if (node.listLoads.size > 0 || node.blockLoads.size > 0) return false
    // A list holding removals keeps them until a pass stores it (its moves' unions need them).
    for (const l of node.lists.values()) if (l.dirty || l.removed) return false
    for (const b of node.blocks.values()) if (b.dirty || b.flushing) return false
    return true
  }

  /** Registers a node created in memory (its id comes from the pool); it is dirty. */
  add(ino: number, inode: Inode): Node {
    const node = newNode(ino, inode)
    this.#nodes.set(ino, node)
    this.markDirty(node)
    this.#evictNodes()
    return node
  }

  markDirty(node: Node): void {
    if (node.removed) return
    node.dirty = true
    this.#dirtyNodes.add(node)
  }

  /** Forgets a node whose keys are deleted: its inode, its blocks, and its lists. */
  remove(node: Node): void {
    node.removed = true
    node.dirty = false
    this.#dirtyNodes.delete(node)
    this.#nodes.delete(node.ino)
    for (const block of [...node.blocks.values()]) this.dropBlock(block)
    for (const id of node.inode.blocks) if (id !== 0) this.scheduleDelete(this.data, id)
    for (const list of node.lists.values()) this.#dirtyLists.delete(list)
    for (const key of node.inode.dirlists) if (key !== 0) this.scheduleDelete(this.meta, key)
    this.scheduleDelete(this.meta, node.ino)
  }

  /** Deletes `key` after the next sync has written everything queued before now. */
  scheduleDelete(ns: KvNamespace, key: number): void {
    this.#deletes.push({ ns, key })
  }

  // ---- dirlists ----

  /** List `index` of directory `node`, loading it; `undefined` when the list does not exist. */
  list(node: Node, index: number): Promise<LoadedList | undefined> | LoadedList | undefined {
    const hit = node.lists.get(index)
    if (hit) return hit
    const key = node.inode.dirlists[index] ?? 0
    if (key === 0) return undefined
    let load = node.listLoads.get(index)
    if (!load) {
      load = this.#loadList(node, index, key).finally(() => node.listLoads.delete(index))
      node.listLoads.set(index, load)
    }
    return load
  }

  async #loadList(node: Node, index: number, key: number): Promise<LoadedList> {
    const value = await this.meta.get(key)
    let entries: LoadedList['entries'] = []
    if (value === null) {
      this.#logger.warn(`dirlist ${key} of directory ${node.ino} is missing; read as empty`)
    } else {
      try {
        entries = decodeDirlist(value).entries
      } catch (err) {
        if (!(err instanceof ZdbfsFormatError)) throw err
        this.#logger.warn(`dirlist ${key} of directory ${node.ino} is not decodable; read as empty`)
      }
    }
    const raced = node.lists.get(index)
    if (raced) return raced
    const list: LoadedList = { owner: node, index, key, entries, dirty: false }
    node.lists.set(index, list)
    return list
  }

  /** A new, empty list `index` of `node` with a reserved key; the node and list are dirty. */
  async createList(node: Node, index: number): Promise<LoadedList> {
    const key = await this.ids.take()
    const existing = node.lists.get(index)
    if (existing) {
      this.scheduleDelete(this.meta, key)
      return existing
    }
    const list: LoadedList = { owner: node, index, key, entries: [], dirty: false }
    node.lists.set(index, list)
    node.inode.dirlists[index] = key
    this.markDirty(node)
    this.markListDirty(list)
    return list
  }

  markListDirty(list: LoadedList): void {
    if (list.owner.removed) return
    list.dirty = true
    this.#dirtyLists.add(list)
  }

  /** Records that `name` entered `list`. */
  noteInserted(list: LoadedList, name: Buffer): void {
    list.fresh ??= new Set()
    list.fresh.add(name.toString('latin1'))
  }

  /**
   * Records that `entry` left `list` (`moved`: by a rename; `dir`: it named a directory), unless
   * it entered since the list was last taken by a write pass, so that no stored list holds it.
   */
  noteRemoved(list: LoadedList, entry: DirEntry, moved: boolean, dir: boolean): void {
    if (list.fresh?.delete(entry.name.toString('latin1'))) return
    list.removed ??= []
    list.removed.push({ name: entry.name, ino: entry.ino, moved, dir })
  }

  /** Whether a rename took `name` out of `list` and no write pass has stored that yet. */
  movedOutPending(list: LoadedList, name: Buffer): boolean {
    return list.removed?.some((r) => r.moved && r.name.equals(name)) ?? false
  }

  // ---- blocks ----

  /** Block `index` of `node` for reading; `undefined` for a hole or a missing block. */
  block(node: Node, index: number): Promise<Block | undefined> | Block | undefined {
    const hit = node.blocks.get(index)
    if (hit) {
      if (!hit.dirty) this.#touchClean(hit)
      return hit
    }
    const id = node.inode.blocks[index] ?? 0
    if (id === 0) return undefined
    return this.#startLoad(node, index, id).promise
  }

  #startLoad(node: Node, index: number, id: number): BlockLoad {
    let load = node.blockLoads.get(index)
    if (!load) {
      const started: BlockLoad = { promise: Promise.resolve(undefined), pins: 0 }
      started.promise = this.#loadBlock(node, index, id, started).finally(() => node.blockLoads.delete(index))
      node.blockLoads.set(index, started)
      load = started
    }
    return load
  }

  async #loadBlock(node: Node, index: number, id: number, load: BlockLoad): Promise<Block | undefined> {
    // The value is read straight into a pooled buffer: no allocation per block read.
    let pooled: Buffer | undefined
    const value = await this.data.get(id, (n) => {
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
      // Rewrite it short, so that the stale bytes cannot come back when the file grows.
      if (!own) {
        block.data = this.#takeBuffer(true)
        block.pooled = true
        value.copy(block.data, 0, 0, length)
      }
      this.markBlockDirty(block)
      return block
    }
    this.#clean.add(block)
    this.#cleanBytes += block.data.length
    this.#evictClean()
    return block
  }

  /**
   * Like {@link block}, with the block pinned for the caller, who copies from it and then calls
   * {@link unpin}: its buffer is not reused meanwhile, even if the cache drops it.
   */
  pinnedBlock(node: Node, index: number): Promise<Block | undefined> | Block | undefined {
    const hit = node.blocks.get(index)
    if (hit) {
      if (!hit.dirty) this.#touchClean(hit)
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

  // ---- block buffers ----

  /** A BLOCK_SIZE buffer, zeroed when `zero` is set. */
  #takeBuffer(zero: boolean): Buffer {
    const b = this.#pool.pop()
    if (!b) return zero ? Buffer.alloc(BLOCK_SIZE) : Buffer.allocUnsafe(BLOCK_SIZE)
    if (zero) b.fill(0)
    return b
  }

  /**
   * Takes back the buffer of a clean block that left the cache, unless a reader still copies
   * from it (then {@link unpin} does it). Only blocks taken out of the clean list come here:
   * a writer takes its block out of that list before it changes it (see writableBlock).
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

  /**
   * Block `index` of `node` ready to be written: BLOCK_SIZE bytes, with the stored content
   * loaded first when `keep` is set (a partial overwrite). `whole`: the caller overwrites all
   * BLOCK_SIZE bytes.
   */
  async writableBlock(node: Node, index: number, keep: boolean, whole = false): Promise<Block> {
    let block = node.blocks.get(index)
    // A block loaded for us may leave the cache before we resume: load it again then.
    while (!block && keep && (await this.block(node, index))) block = node.blocks.get(index)
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
    if (!block.dirty && this.#clean.delete(block)) this.#cleanBytes -= block.data.length
    if (block.data.length < BLOCK_SIZE) {
      const data = this.#takeBuffer(true)
      block.data.copy(data, 0, 0, block.length)
      block.data = data
      block.pooled = true
    }
    return block
  }

  /** Records a change to `block`; a full block starts its write at once. */
  markBlockDirty(block: Block): void {
    block.version++
    if (!block.dirty) {
      if (this.#clean.delete(block)) this.#cleanBytes -= block.data.length
      block.dirty = true
      this.#dirtyBlocks.add(block)
      this.#dirtyBytes += BLOCK_SIZE
    }
    if (block.length === BLOCK_SIZE) {
      this.#fullQueue.add(block)
      this.#pump()
    }
  }

  /** Forgets a block cut off by truncate or unlink. Its stored id is deleted by the caller. */
  dropBlock(block: Block): void {
    block.dropped = true
    // Its buffer may still be on its way to zdb: left to the garbage collector, not reused.
    block.pooled = false
    block.owner.blocks.delete(block.index)
    this.#fullQueue.delete(block)
    if (block.dirty) {
      block.dirty = false
      this.#dirtyBlocks.delete(block)
      this.#dirtyBytes -= BLOCK_SIZE
      this.#wakeRoom()
    } else if (this.#clean.delete(block)) {
      this.#cleanBytes -= block.data.length
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
      for (const b of this.#dirtyBlocks) this.#fullQueue.add(b)
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
    while (this.#inflight < this.#writeBehind && this.#fullQueue.size > 0) {
      const block = this.#fullQueue.values().next().value as Block
      this.#fullQueue.delete(block)
      if (!block.dirty || block.dropped) continue
      this.#inflight++
      this.flushBlock(block)
        .catch((err) => {
          this.#lastSyncError = err
          this.#logger.warn(`writing block ${block.index} of inode ${block.owner.ino} failed: ${String(err)}`)
        })
        .finally(() => {
          this.#inflight--
          this.#pump()
          this.#wakeRoom()
        })
    }
    if (this.#inflight === 0) this.#wakeRoom()
  }

  /** Writes `block` if dirty (one write per block at a time). */
  async flushBlock(block: Block): Promise<void> {
    while (block.flushing) await block.flushing
    if (!block.dirty || block.dropped) return
    const write = this.#writeBlock(block)
    block.flushing = write
    try {
      await write
    } finally {
      block.flushing = undefined
    }
  }

  async #writeBlock(block: Block): Promise<void> {
    const node = block.owner
    const version = block.version
    // No copy: the zdb client serializes the command synchronously when it is sent, and a
    // change made before that is simply part of what is stored (the version check below
    // keeps the block dirty for the next pass).
    const bytes = block.data.subarray(0, block.length)
    const id = node.inode.blocks[block.index] ?? 0
    if (id !== 0) {
      await this.data.update(id, bytes)
    } else {
      const fresh = await this.data.insert(bytes)
      if (block.dropped || node.removed) {
        this.scheduleDelete(this.data, fresh)
        return
      }
      const blocks = node.inode.blocks
      while (blocks.length <= block.index) blocks.push(0)
      blocks[block.index] = fresh
      this.markDirty(node)
    }
    if (block.version === version && block.dirty && !block.dropped) {
      block.dirty = false
      this.#dirtyBlocks.delete(block)
      this.#dirtyBytes -= BLOCK_SIZE
      this.#clean.add(block)
      this.#cleanBytes += block.data.length
      this.#evictClean()
      this.#wakeRoom()
    }
  }

  #touchClean(block: Block): void {
    if (this.#clean.delete(block)) this.#clean.add(block)
  }

  #evictClean(): void {
    for (const block of this.#clean) {
      if (this.#cleanBytes <= this.#cacheBytes) return
      if (block.flushing) continue
      this.#clean.delete(block)
      this.#cleanBytes -= block.data.length
      if (block.owner.blocks.get(block.index) === block) block.owner.blocks.delete(block.index)
      this.#retire(block)
    }
  }

  // ---- sync ----

  /**
   * Writes everything dirty at the time of the call (and anything changed meanwhile that the
   * same pass reaches). Concurrent calls share one pending pass.
   */
  sync(): Promise<void> {
    if (this.#syncQueued) return this.#syncQueued
    const run = this.#syncChain
      .catch(() => {})
      .then(() => {
        this.#syncQueued = undefined
        return this.#doSync()
      })
    this.#syncQueued = run
    this.#syncChain = run
    return run
  }

  async #doSync(): Promise<void> {
    const deletes = this.#deletes.splice(0)
    try {
      await runLimited([...this.#dirtyBlocks], 32, (b) => this.flushBlock(b))

      const nodes = [...this.#dirtyNodes]
      this.#dirtyNodes.clear()
      for (const n of nodes) n.dirty = false
      const lists = [...this.#dirtyLists]
      this.#dirtyLists.clear()
      for (const l of lists) l.dirty = false
      const pass = this.#encodePass(nodes, lists)
      try {
        for (const writes of pass.steps) {
          await Promise.all(writes.map(([key, value]) => this.meta.update(key, value)))
        }
      } catch (err) {
        for (const n of pass.nodes) this.markDirty(n)
        for (const l of lists) this.markListDirty(l)
        for (const l of pass.moves) l.parentMoved = true
        throw err
      }
      for (const [list, count] of pass.stored) {
        list.removed!.splice(0, count)
        if (list.removed!.length === 0) list.removed = undefined
      }

      const failed: typeof deletes = []
      await Promise.all(
        deletes.map((d) =>
          d.ns.del(d.key).catch(() => {
            failed.push(d)
          }),
        ),
      )
      if (failed.length > 0) {
        this.#deletes.unshift(...failed)
        throw new FsErrno(EIO, `${failed.length} deletions failed`)
      }
      this.#evictNodes()
    } catch (err) {
      this.#deletes.unshift(...deletes.filter((d) => !this.#deletes.includes(d)))
      throw err
    }
  }

  /**
   * The meta writes of one pass, in steps (module comment, 2a–2c), from the state of `nodes` and
   * `lists` now. Also returns the nodes written, per list how many of its removals the pass
   * stores once it succeeds, and the lists holding a moved `..` (flagged again if it fails).
   */
  #encodePass(
    dirtyNodes: Node[],
    lists: LoadedList[],
  ): {
    steps: [number, Buffer][][]
    nodes: Set<Node>
    stored: [LoadedList, number][]
    moves: LoadedList[]
  } {
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
          const node = this.#nodes.get(r.ino)
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

  /** Stops the background timer after a last sync; drops reserved ids. */
  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.sync()
    await this.ids.release()
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

async function runLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!)
  })
  await Promise.all(workers)
}
