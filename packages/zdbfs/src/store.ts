/**
 * The in-memory state of a mounted volume and its write-back to zdb. Operations change nodes,
 * dirlists and blocks in memory and mark them dirty; {@link Store.sync} writes them in an order
 * that keeps every stored reference pointing at stored data (spec zdbfs-and-glue.md §1 keys,
 * durability goal of issue 6):
 *
 * 1. data blocks (a new block gets its id from `SET ""`, which dirties its inode);
 * 2. inodes and dirlists, encoded together and written in steps that keep every stored file
 *    reachable whatever write a crash stops at (write-pass.ts);
 * 3. deletions queued before this sync started (blocks cut by truncate, unlinked inodes, the
 *    lists of removed directories), once no stored inode or list can reference them.
 *
 * A sync runs every `syncInterval` ms while anything is dirty (the loss window without fsync)
 * and on every fsync.
 * @module
 */
import { BlockCache } from './block-cache.js'
import { decodeDirlist } from './dirlist-codec.js'
import { EIO, FsErrno } from './errno.js'
import { ZdbfsFormatError } from './errors.js'
import { IdPool } from './id-pool.js'
import type { Inode } from './inode-codec.js'
import type { KvNamespace } from './kv-namespace.js'
import type { Logger } from './logger.js'
import { isDir } from './mode.js'
import { type Block, type LoadedList, type Node, newNode } from './node.js'
import { NodeCache } from './node-cache.js'
import { WriteBack } from './write-back.js'
import { encodePass, passStored } from './write-pass.js'

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
  /** Clean blocks, block loads and reads. */
  readonly blocks: BlockCache
  /** Dirty blocks and their writes. */
  readonly writeBack: WriteBack
  readonly #logger: Logger
  readonly #nodes: NodeCache
  readonly #dirtyNodes = new Set<Node>()
  readonly #dirtyLists = new Set<LoadedList>()
  #deletes: { ns: KvNamespace; key: number }[] = []
  #syncChain: Promise<void> = Promise.resolve()
  #syncQueued: Promise<void> | undefined
  readonly #timer: NodeJS.Timeout
  #lastSyncError: unknown
  /**
   * Told of every change of a directory's inode (attributes or entries), as it is made: the
   * FUSE bridge keeps libfuse's copy of a directory's attributes valid only until the next one.
   */
  directoryChanged: () => void = () => {}

  constructor(options: StoreOptions) {
    this.meta = options.meta
    this.data = options.data
    this.#logger = options.logger
    this.ids = new IdPool(options.meta)
    this.blocks = new BlockCache({
      data: options.data,
      ...(options.cacheBytes !== undefined ? { cacheBytes: options.cacheBytes } : {}),
      trimmed: (block) => this.writeBack.mark(block),
    })
    this.writeBack = new WriteBack({
      data: options.data,
      cache: this.blocks,
      ...(options.maxDirtyBytes !== undefined ? { maxDirtyBytes: options.maxDirtyBytes } : {}),
      ...(options.writeBehind !== undefined ? { writeBehind: options.writeBehind } : {}),
      ...(options.roomTimeout !== undefined ? { roomTimeout: options.roomTimeout } : {}),
      placed: (node) => this.markDirty(node),
      orphaned: (id) => this.scheduleDelete(this.data, id),
      failed: (block, err) => {
        this.#lastSyncError = err
        this.#logger.warn(`writing block ${block.index} of inode ${block.owner.ino} failed: ${String(err)}`)
      },
    })
    this.#nodes = new NodeCache({
      meta: options.meta,
      logger: options.logger,
      ...(options.maxNodes !== undefined ? { maxNodes: options.maxNodes } : {}),
      evicted: (node) => this.blocks.forget(node),
    })
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
      this.writeBack.size > 0 ||
      this.#deletes.length > 0
    )
  }

  // ---- nodes ----

  cached(ino: number): Node | undefined {
    return this.#nodes.get(ino)
  }

  /** The node of `ino`, loading it; ENOENT when the key is missing or holds no inode. */
  node(ino: number): Promise<Node> {
    return this.#nodes.load(ino)
  }

  /** Registers a node created in memory (its id comes from the pool); it is dirty. */
  add(ino: number, inode: Inode): Node {
    const node = newNode(ino, inode)
    this.#nodes.add(node)
    this.markDirty(node)
    this.#nodes.evict()
    return node
  }

  markDirty(node: Node): void {
    if (isDir(node.inode.mode)) this.directoryChanged()
    if (node.removed) return
    node.dirty = true
    this.#dirtyNodes.add(node)
  }

  /** Forgets a node whose keys are deleted: its inode, its blocks, and its lists. */
  remove(node: Node): void {
    if (isDir(node.inode.mode)) this.directoryChanged()
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

  /** Forgets a block cut off by truncate or unlink. Its stored id is deleted by the caller. */
  dropBlock(block: Block): void {
    block.dropped = true
    // Its buffer may still be on its way to zdb: left to the garbage collector, not reused.
    block.pooled = false
    block.owner.blocks.delete(block.index)
    if (!this.writeBack.drop(block)) this.blocks.release(block)
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
    this.directoryChanged()
    if (list.owner.removed) return
    list.dirty = true
    this.#dirtyLists.add(list)
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
      await this.writeBack.flushAll(32)

      const nodes = [...this.#dirtyNodes]
      this.#dirtyNodes.clear()
      for (const n of nodes) n.dirty = false
      const lists = [...this.#dirtyLists]
      this.#dirtyLists.clear()
      for (const l of lists) l.dirty = false
      const pass = encodePass(nodes, lists, (ino) => this.#nodes.get(ino))
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
      passStored(pass)

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
      this.#nodes.evict()
    } catch (err) {
      this.#deletes.unshift(...deletes.filter((d) => !this.#deletes.includes(d)))
      throw err
    }
  }

  /** Stops the background timer after a last sync; drops reserved ids. */
  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.sync()
    await this.ids.release()
  }
}
