/**
 * Inodes in memory, loaded from the meta namespace on first use (spec zdbfs-and-glue.md §1
 * "Inodes"). Clean ones not used lately are dropped past a limit; a node holding anything
 * unwritten, open, or in use stays.
 * @module
 */
import { ENOENT, FsErrno } from './errno.js'
import { ZdbfsFormatError } from './errors.js'
import { decodeInode, type Inode } from './inode-codec.js'
import type { KvNamespace } from './kv-namespace.js'
import type { Logger } from './logger.js'
import { type Node, newNode } from './node.js'

export interface NodeCacheOptions {
  meta: KvNamespace
  logger: Logger
  /** Clean inodes kept (default 100000). */
  maxNodes?: number
  /** A node leaves the cache: its cached blocks go with it. */
  evicted: (node: Node) => void
}

export class NodeCache {
  readonly #meta: KvNamespace
  readonly #logger: Logger
  readonly #evicted: (node: Node) => void
  readonly #maxNodes: number
  readonly #nodes = new Map<number, Node>()
  readonly #loads = new Map<number, Promise<Node>>()

  constructor(options: NodeCacheOptions) {
    this.#meta = options.meta
    this.#logger = options.logger
    this.#evicted = options.evicted
    this.#maxNodes = options.maxNodes ?? 100_000
  }

  get(ino: number): Node | undefined {
    return this.#nodes.get(ino)
  }

  /** The node of `ino`, loading it; ENOENT when the key is missing or holds no inode. */
  load(ino: number): Promise<Node> {
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

  /** Registers a node created in memory; the caller marks it dirty, then calls {@link evict}. */
  add(node: Node): void {
    this.#nodes.set(node.ino, node)
  }

  delete(ino: number): void {
    this.#nodes.delete(ino)
  }

  /**
   * Forgets nodes that hold nothing unwritten, down to the limit, in "second chance" order: Map
   * order is the order of first use, and a node used since the last pass moves to the end once
   * instead of being evicted (cheaper on every lookup than moving it on each use).
   */
  evict(): void {
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
      if (!evictable(node)) continue
      this.#nodes.delete(node.ino)
      this.#evicted(node)
      excess--
    }
  }

  async #load(ino: number): Promise<Node> {
    const value = await this.#meta.get(ino)
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
    this.evict()
    return node
  }
}

function evictable(node: Node): boolean {
  if (node.ino === 1 || node.dirty || node.openCount > 0 || node.busy > 0) return false
  if (node.listLoads.size > 0 || node.blockLoads.size > 0) return false
  // A list holding removals keeps them until a pass stores it (its moves' unions need them).
  for (const l of node.lists.values()) if (l.dirty || l.removed) return false
  for (const b of node.blocks.values()) if (b.dirty || b.flushing) return false
  return true
}
