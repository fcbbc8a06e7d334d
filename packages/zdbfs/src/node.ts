/**
 * In-memory state of an inode: its decoded value, the dirlists and data blocks loaded so far,
 * and what still has to be written to zdb.
 * @module
 */
import type { DirEntry } from './dirlist-codec.js'
import type { Inode } from './inode-codec.js'

/** 128 KiB: block i of a file holds bytes [i·BLOCK_SIZE, (i+1)·BLOCK_SIZE) (spec §1 "Blocks"). */
export const BLOCK_SIZE = 128 * 1024

/** An entry taken out of a list, recorded until a write pass has stored the list without it. */
export interface Removal {
  readonly name: Buffer
  readonly ino: number
  /** Taken out by a rename: the entry stays in the list's first write of the pass (see write-pass.ts). */
  readonly moved: boolean
  /** It named a directory: the owner's link count counted it. */
  readonly dir: boolean
}

/** One loaded dirlist of a directory. */
export interface LoadedList {
  readonly owner: Node
  /** List number, 0..127. */
  readonly index: number
  key: number
  entries: DirEntry[]
  dirty: boolean
  /**
   * Names (latin1) inserted since a write pass last took the list: not stored yet, so taking
   * one out again needs no {@link Removal}.
   */
  fresh?: Set<string> | undefined
  /** Entries taken out that a stored version of the list may still hold, oldest first. */
  removed?: Removal[] | undefined
  /** Holds the `..` of a directory that moved: stored after the lists that gained it. */
  parentMoved?: boolean
}

/**
 * One cached data block. Bytes past `length` read as zeros (a BLOCK_SIZE buffer holds zeros
 * there); `length` never passes EOF.
 */
export interface Block {
  readonly owner: Node
  readonly index: number
  /** BLOCK_SIZE bytes, or exactly the stored bytes when a namespace gave a buffer of its own. */
  data: Buffer
  length: number
  /** `data` was taken from the block cache's buffer pool and goes back to it once the block is gone. */
  pooled: boolean
  /** Readers copying from `data` right now: its buffer cannot be reused before they are done. */
  pins: number
  /** Out of the cache; `data` is recycled when the last pin goes. */
  evicted: boolean
  dirty: boolean
  /** Bumped on every change, so a flush knows whether it wrote the latest bytes. */
  version: number
  flushing: Promise<void> | undefined
  /** Set when a truncate or unlink dropped it: a flush in flight must not re-attach it. */
  dropped: boolean
}

/** A block read from zdb in flight. */
export interface BlockLoad {
  promise: Promise<Block | undefined>
  /** Readers that asked for the block pinned: it is created with these pins. */
  pins: number
}

export interface Node {
  readonly ino: number
  inode: Inode
  /** The inode value must be (re)written to meta. */
  dirty: boolean
  /** Directories: the lists loaded so far, by list number. */
  readonly lists: Map<number, LoadedList>
  /** Directories: list loads in flight. */
  readonly listLoads: Map<number, Promise<LoadedList>>
  /** Files: cached blocks by block number. */
  readonly blocks: Map<number, Block>
  /** Files: block loads in flight, with the pins their readers asked for meanwhile. */
  readonly blockLoads: Map<number, BlockLoad>
  /** Open file handles. */
  openCount: number
  /** Reads, writes and truncates in progress through a handle: the node stays cached meanwhile. */
  busy: number
  /** Unlinked and closed: its keys are (being) deleted and it must not be written again. */
  removed: boolean
  /** Where the last read ended, to detect sequential reading. */
  readEnd: number
  /** Highest block number fetched ahead of the reader. */
  readAhead: number
  /** Set on every use; the inode cache gives a used node a second chance before evicting it. */
  used: boolean
}

export function newNode(ino: number, inode: Inode): Node {
  return {
    ino,
    inode,
    dirty: false,
    lists: new Map(),
    listLoads: new Map(),
    blocks: new Map(),
    blockLoads: new Map(),
    openCount: 0,
    busy: 0,
    removed: false,
    readEnd: -1,
    readAhead: -1,
    used: true,
  }
}
