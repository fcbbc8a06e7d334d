/**
 * POSIX operations on a 0-db-fs volume, by path as `fuse-native` delivers them. Every method
 * resolves or rejects with {@link FsErrno}; zdb failures surface as EIO or ENOSPC through
 * `errnoOf`. Namespace changes (create, link, unlink, rename, ...) run one at a time, so a
 * check and the change it guards cannot interleave with another one.
 * @module
 */
import {
  allLists,
  DOT,
  DOTDOT,
  hasChildren,
  insertEntry,
  isDotName,
  lookupEntry,
  removeEntry,
  setParent,
  settleName,
} from './directory.js'
import {
  E2BIG,
  EBADF,
  EEXIST,
  EINVAL,
  EISDIR,
  ENAMETOOLONG,
  ENODATA,
  ENOENT,
  ENOSPC,
  ENOTDIR,
  ENOTEMPTY,
  EOPNOTSUPP,
  EPERM,
  ERANGE,
  fail,
} from './errno.js'
import { readFile, setFileSize, writeFile } from './file-data.js'
import { newInode } from './inode-codec.js'
import {
  isDir,
  isRegular,
  isSymlink,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
} from './mode.js'
import { BLOCK_SIZE, type Node } from './node.js'
import type { Store } from './store.js'

/** Longest name, in bytes (spec §1: upstream accepted longer ones, bug 6). */
export const NAME_MAX = 255
const XATTR_NAME_MAX = 255
const XATTR_SIZE_MAX = 65536
/** All of one inode's extended attributes together. */
const XATTR_TOTAL_MAX = 1024 * 1024
const XATTR_CREATE = 1
const XATTR_REPLACE = 2

export const ROOT_INO = 1

/** What getattr returns; times in milliseconds since the epoch. */
export interface Attr {
  ino: number
  mode: number
  nlink: number
  uid: number
  gid: number
  rdev: number
  size: number
  blksize: number
  blocks: number
  atime: number
  mtime: number
  ctime: number
}

export interface StatFs {
  bsize: number
  frsize: number
  blocks: number
  bfree: number
  bavail: number
  files: number
  ffree: number
  favail: number
  namemax: number
}

export interface FilesystemOptions {
  /** Owner of new inodes (fuse-native does not tell who asked). */
  uid: number
  gid: number
  /** Bytes reported by statfs (upstream `size=`). */
  size: number
  /** Latest known data bytes and meta entries, refreshed outside of statfs calls. */
  usage: () => { dataBytes: number; metaEntries: number }
  now?: () => number
  /**
   * Handles are the inode number and nothing is recorded per open file: `release` is never
   * called, and keeping an unlinked open file is left to the caller (libfuse renames it to
   * `.fuse_hidden*` and unlinks that at the last close). Default false: handles are counted and
   * an unlinked file lives until its last release.
   */
  statelessHandles?: boolean
}

interface Handle {
  node: Node
  flags: number
}

const DAY = 24 * 3600 * 1000

export class Filesystem {
  readonly #store: Store
  readonly #options: FilesystemOptions
  readonly #now: () => number
  readonly #handles = new Map<number, Handle>()
  #nextHandle = 1
  #lock: Promise<void> = Promise.resolve()

  constructor(store: Store, options: FilesystemOptions) {
    this.#store = store
    this.#options = options
    this.#now = options.now ?? Date.now
  }

  /** Calls `listener` at every change of any directory, as it is made ({@link Store.directoryChanged}). */
  watchDirectories(listener: () => void): void {
    this.#store.directoryChanged = listener
  }

  /** Runs `fn` after every namespace change queued before it. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn)
    this.#lock = run.then(
      () => {},
      () => {},
    )
    return run
  }

  // ---- path resolution ----

  static split(path: string): Buffer[] {
    const parts: Buffer[] = []
    for (const p of path.split('/')) {
      if (p === '') continue
      const name = Buffer.from(p, 'utf8')
      if (name.length > NAME_MAX) fail(ENAMETOOLONG)
      parts.push(name)
    }
    return parts
  }

  async #walk(parts: Buffer[]): Promise<Node> {
    let node = await this.#store.node(ROOT_INO)
    for (const name of parts) {
      if (!isDir(node.inode.mode)) fail(ENOTDIR)
      const entry = await lookupEntry(this.#store, node, name)
      if (!entry || isDotName(name)) fail(ENOENT)
      node = await this.#store.node(entry!.ino)
    }
    return node
  }

  resolve(path: string): Promise<Node> {
    return this.#walk(Filesystem.split(path))
  }

  async #parentOf(path: string): Promise<{ dir: Node; name: Buffer }> {
    const parts = Filesystem.split(path)
    const name = parts.pop()
    if (!name) return fail(EEXIST, 'the root has no parent')
    const dir = await this.#walk(parts)
    if (!isDir(dir.inode.mode)) fail(ENOTDIR)
    return { dir, name }
  }

  /** The node of an open file: by handle, or without handles by inode number, else by path. */
  #opened(fh: number, path: string | undefined): Node | Promise<Node> {
    if (this.#options.statelessHandles) {
      if (fh !== 0) return this.#store.node(fh)
      if (path === undefined) return fail(EBADF)
      return this.resolve(path)
    }
    const h = this.#handles.get(fh)
    if (!h) return fail(EBADF)
    return h.node
  }

  // ---- attributes ----

  attr(node: Node): Attr {
    const i = node.inode
    const dir = isDir(i.mode)
    return {
      ino: node.ino,
      mode: i.mode,
      // Upstream stores 0 links for directories (spec §1); 1 means "unknown" to tools like find.
      nlink: dir && i.links < 2 ? 1 : i.links,
      uid: i.uid,
      gid: i.gid,
      rdev: i.dev,
      size: i.size,
      blksize: BLOCK_SIZE,
      blocks: Math.ceil(i.size / 512),
      atime: i.atime,
      mtime: i.mtime,
      ctime: i.ctime,
    }
  }

  async getattr(path: string): Promise<Attr> {
    return this.attr(await this.resolve(path))
  }

  #touchAtime(node: Node): void {
    const i = node.inode
    const now = this.#now()
    // relatime: enough for tools that compare atime with mtime, without a write per read.
    if (i.atime <= i.mtime || i.atime <= i.ctime || now - i.atime > DAY) {
      i.atime = now
      this.#store.markDirty(node)
    }
  }

  async chmod(path: string, mode: number): Promise<void> {
    const node = await this.resolve(path)
    node.inode.mode = (node.inode.mode & S_IFMT) | (mode & 0o7777)
    node.inode.ctime = this.#now()
    this.#store.markDirty(node)
  }

  async chown(path: string, uid: number, gid: number): Promise<void> {
    const node = await this.resolve(path)
    if (uid !== 0xffffffff && uid !== -1) node.inode.uid = uid >>> 0
    if (gid !== 0xffffffff && gid !== -1) node.inode.gid = gid >>> 0
    node.inode.ctime = this.#now()
    this.#store.markDirty(node)
  }

  /** Sets times; `'now'` for the current time, `undefined` to leave one alone. */
  async utimens(
    path: string,
    atime: number | 'now' | undefined,
    mtime: number | 'now' | undefined,
  ): Promise<void> {
    const node = await this.resolve(path)
    const now = this.#now()
    if (atime !== undefined) node.inode.atime = atime === 'now' ? now : atime
    if (mtime !== undefined) node.inode.mtime = mtime === 'now' ? now : mtime
    node.inode.ctime = now
    this.#store.markDirty(node)
  }

  async truncate(path: string, size: number): Promise<void> {
    const node = await this.resolve(path)
    await this.#truncateNode(node, size)
  }

  async ftruncate(fh: number, size: number, path?: string): Promise<void> {
    const node = await this.#opened(fh, path)
    node.busy++
    try {
      await this.#truncateNode(node, size)
    } finally {
      node.busy--
    }
  }

  async #truncateNode(node: Node, size: number): Promise<void> {
    if (isDir(node.inode.mode)) fail(EISDIR)
    if (!isRegular(node.inode.mode)) fail(EINVAL)
    if (size < 0) fail(EINVAL)
    await setFileSize(this.#store, node, size, this.#now())
  }

  // ---- directories ----

  /** Names with their inode numbers, `.` and `..` included, in dirlist order. */
  async readdir(path: string): Promise<{ name: string; ino: number }[]> {
    const dir = await this.resolve(path)
    if (!isDir(dir.inode.mode)) fail(ENOTDIR)
    const out: { name: string; ino: number }[] = []
    let sawDot = false
    let sawDotDot = false
    for (const list of await allLists(this.#store, dir)) {
      for (const e of list.entries) {
        if (e.name.equals(DOT)) {
          sawDot = true
          out.push({ name: '.', ino: dir.ino })
        } else {
          if (e.name.equals(DOTDOT)) sawDotDot = true
          out.push({ name: e.name.toString('utf8'), ino: e.ino })
        }
      }
    }
    if (!sawDot) out.unshift({ name: '.', ino: dir.ino })
    if (!sawDotDot) out.splice(1, 0, { name: '..', ino: dir.ino })
    this.#touchAtime(dir)
    return out
  }

  #newInode(mode: number, now: number) {
    const inode = newInode(mode, now)
    inode.uid = this.#options.uid
    inode.gid = this.#options.gid
    return inode
  }

  #checkAbsent = async (dir: Node, name: Buffer): Promise<void> => {
    if (await lookupEntry(this.#store, dir, name)) fail(EEXIST)
  }

  #touchDir(dir: Node, now: number): void {
    dir.inode.mtime = now
    dir.inode.ctime = now
    this.#store.markDirty(dir)
  }

  mkdir(path: string, mode: number): Promise<void> {
    return this.#exclusive(async () => {
      const { dir, name } = await this.#parentOf(path)
      await settleName(this.#store, dir, name)
      await this.#checkAbsent(dir, name)
      const now = this.#now()
      const ino = await this.#store.ids.take()
      const inode = this.#newInode(S_IFDIR | (mode & 0o7777), now)
      inode.links = 2
      const node = this.#store.add(ino, inode)
      await insertEntry(this.#store, node, DOT, ino)
      await insertEntry(this.#store, node, DOTDOT, dir.ino)
      await insertEntry(this.#store, dir, name, ino)
      if (dir.inode.links >= 2) dir.inode.links++
      this.#touchDir(dir, now)
    })
  }

  rmdir(path: string): Promise<void> {
    return this.#exclusive(async () => {
      const { dir, name } = await this.#parentOf(path)
      const entry = await lookupEntry(this.#store, dir, name)
      if (!entry) return fail(ENOENT)
      const node = await this.#store.node(entry.ino)
      if (!isDir(node.inode.mode)) fail(ENOTDIR)
      if (await hasChildren(this.#store, node)) fail(ENOTEMPTY)
      await removeEntry(this.#store, dir, name, { isDir: true })
      if (dir.inode.links > 2) dir.inode.links--
      this.#touchDir(dir, this.#now())
      this.#store.remove(node)
    })
  }

  // ---- files ----

  #open(node: Node, flags: number): number {
    // Inode numbers past 2^32 do not fit a handle (32 bits through fuse-native): 0, by path.
    if (this.#options.statelessHandles) return node.ino <= 0xffffffff ? node.ino : 0
    const fh = this.#nextHandle++
    if (this.#nextHandle > 0x7fffffff) this.#nextHandle = 1
    this.#handles.set(fh, { node, flags })
    node.openCount++
    return fh
  }

  async open(path: string, flags: number): Promise<number> {
    const node = await this.resolve(path)
    return this.#open(node, flags)
  }

  create(path: string, mode: number): Promise<number> {
    return this.#exclusive(async () => {
      const node = await this.#make(path, (mode & ~S_IFMT) | S_IFREG)
      return this.#open(node, 0)
    })
  }

  mknod(path: string, mode: number, dev: number): Promise<void> {
    return this.#exclusive(async () => {
      const type = mode & S_IFMT
      if (![S_IFREG, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK, 0].includes(type)) fail(EINVAL)
      const node = await this.#make(path, type === 0 ? mode | S_IFREG : mode)
      if (type === S_IFCHR || type === S_IFBLK) node.inode.dev = dev
    })
  }

  symlink(target: string, path: string): Promise<void> {
    return this.#exclusive(async () => {
      const bytes = Buffer.from(target, 'utf8')
      if (bytes.length === 0) fail(ENOENT)
      if (bytes.length >= 4096) fail(ENAMETOOLONG)
      const node = await this.#make(path, S_IFLNK | 0o777)
      node.inode.target = bytes
      node.inode.size = bytes.length
    })
  }

  async #make(path: string, mode: number): Promise<Node> {
    const { dir, name } = await this.#parentOf(path)
    await settleName(this.#store, dir, name)
    await this.#checkAbsent(dir, name)
    const now = this.#now()
    const ino = await this.#store.ids.take()
    const node = this.#store.add(ino, this.#newInode(mode, now))
    await insertEntry(this.#store, dir, name, ino)
    this.#touchDir(dir, now)
    return node
  }

  async readlink(path: string): Promise<string> {
    const node = await this.resolve(path)
    if (!isSymlink(node.inode.mode)) fail(EINVAL)
    return node.inode.target.toString('utf8')
  }

  /** `path` is only used without handles, for an inode number past 2^32 (handle 0). */
  async read(fh: number, buf: Buffer, pos: number, path?: string): Promise<number> {
    const node = await this.#opened(fh, path)
    node.busy++
    try {
      const n = await readFile(this.#store, node, buf, pos)
      this.#touchAtime(node)
      return n
    } finally {
      node.busy--
    }
  }

  async write(fh: number, buf: Buffer, pos: number, path?: string): Promise<number> {
    const node = await this.#opened(fh, path)
    node.busy++
    try {
      return await writeFile(this.#store, node, buf, pos, this.#now())
    } finally {
      node.busy--
    }
  }

  async release(fh: number): Promise<void> {
    const h = this.#handles.get(fh)
    if (!h) return
    this.#handles.delete(fh)
    h.node.openCount--
    if (h.node.openCount === 0 && h.node.inode.links <= 0 && !h.node.removed) this.#store.remove(h.node)
  }

  /** Waits until everything written so far is stored in zdb. */
  fsync(): Promise<void> {
    return this.#store.sync()
  }

  unlink(path: string): Promise<void> {
    return this.#exclusive(async () => {
      const { dir, name } = await this.#parentOf(path)
      const entry = await lookupEntry(this.#store, dir, name)
      if (!entry) return fail(ENOENT)
      const node = await this.#store.node(entry.ino)
      if (isDir(node.inode.mode)) fail(EISDIR)
      await removeEntry(this.#store, dir, name)
      const now = this.#now()
      this.#touchDir(dir, now)
      this.#dropLink(node, now)
    })
  }

  #dropLink(node: Node, now: number): void {
    node.inode.links = Math.max(0, node.inode.links - 1)
    node.inode.ctime = now
    this.#store.markDirty(node)
    if (node.inode.links === 0 && node.openCount === 0) this.#store.remove(node)
  }

  link(from: string, to: string): Promise<void> {
    return this.#exclusive(async () => {
      const node = await this.resolve(from)
      if (isDir(node.inode.mode)) fail(EPERM)
      const { dir, name } = await this.#parentOf(to)
      await settleName(this.#store, dir, name)
      await this.#checkAbsent(dir, name)
      await insertEntry(this.#store, dir, name, node.ino)
      const now = this.#now()
      node.inode.links++
      node.inode.ctime = now
      this.#store.markDirty(node)
      this.#touchDir(dir, now)
    })
  }

  rename(from: string, to: string): Promise<void> {
    return this.#exclusive(async () => {
      const src = await this.#parentOf(from)
      const dst = await this.#parentOf(to)
      await settleName(this.#store, dst.dir, dst.name)
      const fromParts = Filesystem.split(from)
      const toParts = Filesystem.split(to)
      const entry = await lookupEntry(this.#store, src.dir, src.name)
      if (!entry) return fail(ENOENT)
      if (src.dir === dst.dir && src.name.equals(dst.name)) return
      const node = await this.#store.node(entry.ino)
      const movingDir = isDir(node.inode.mode)
      // A directory cannot move into itself or below itself.
      if (
        movingDir &&
        toParts.length > fromParts.length &&
        fromParts.every((p, i) => p.equals(toParts[i]!))
      ) {
        fail(EINVAL)
      }
      const now = this.#now()
      const existing = await lookupEntry(this.#store, dst.dir, dst.name)
      if (existing) {
        if (existing.ino === node.ino) return
        const victim = await this.#store.node(existing.ino)
        if (movingDir) {
          if (!isDir(victim.inode.mode)) fail(ENOTDIR)
          if (await hasChildren(this.#store, victim)) fail(ENOTEMPTY)
        } else if (isDir(victim.inode.mode)) {
          fail(EISDIR)
        }
        await removeEntry(this.#store, dst.dir, dst.name, { isDir: isDir(victim.inode.mode) })
        if (isDir(victim.inode.mode)) {
          if (dst.dir.inode.links > 2) dst.dir.inode.links--
          this.#store.remove(victim)
        } else {
          this.#dropLink(victim, now)
        }
      }
      await removeEntry(this.#store, src.dir, src.name, { moved: true, isDir: movingDir })
      await insertEntry(this.#store, dst.dir, dst.name, node.ino)
      if (movingDir && src.dir !== dst.dir) {
        await setParent(this.#store, node, dst.dir.ino)
        if (src.dir.inode.links > 2) src.dir.inode.links--
        if (dst.dir.inode.links >= 2) dst.dir.inode.links++
      }
      node.inode.ctime = now
      this.#store.markDirty(node)
      this.#touchDir(src.dir, now)
      this.#touchDir(dst.dir, now)
    })
  }

  // ---- extended attributes (stored in our inode extension) ----

  #checkXattrName(name: string): void {
    if (name.length === 0 || Buffer.byteLength(name) > XATTR_NAME_MAX) fail(ERANGE)
    // POSIX ACLs would be stored but never enforced: refuse them rather than pretend.
    if (name.startsWith('system.')) fail(EOPNOTSUPP)
  }

  async getxattr(path: string, name: string): Promise<Buffer> {
    const node = await this.resolve(path)
    const value = node.inode.xattrs.get(name)
    if (!value) return fail(ENODATA)
    return value
  }

  async listxattr(path: string): Promise<string[]> {
    const node = await this.resolve(path)
    return [...node.inode.xattrs.keys()]
  }

  async setxattr(path: string, name: string, value: Buffer, flags: number): Promise<void> {
    this.#checkXattrName(name)
    if (value.length > XATTR_SIZE_MAX) fail(E2BIG)
    const node = await this.resolve(path)
    const x = node.inode.xattrs
    if (flags & XATTR_CREATE && x.has(name)) fail(EEXIST)
    if (flags & XATTR_REPLACE && !x.has(name)) fail(ENODATA)
    let total = value.length + name.length
    for (const [k, v] of x) if (k !== name) total += k.length + v.length
    if (total > XATTR_TOTAL_MAX) fail(ENOSPC)
    x.set(name, Buffer.from(value))
    node.inode.ctime = this.#now()
    this.#store.markDirty(node)
  }

  async removexattr(path: string, name: string): Promise<void> {
    const node = await this.resolve(path)
    if (!node.inode.xattrs.delete(name)) fail(ENODATA)
    node.inode.ctime = this.#now()
    this.#store.markDirty(node)
  }

  // ---- whole file system ----

  statfs(): StatFs {
    const { size } = this.#options
    const { dataBytes, metaEntries } = this.#options.usage()
    // statfs counts travel as u32 through fuse-native: pick a fragment size that fits.
    let frsize = 1024
    while (size / frsize > 0xffffffff) frsize *= 2
    const blocks = Math.floor(size / frsize)
    const free = Math.max(0, Math.floor((size - dataBytes) / frsize))
    const files = 0xffffffff
    const ffree = Math.max(0, files - metaEntries)
    return {
      bsize: BLOCK_SIZE,
      frsize,
      blocks,
      bfree: free,
      bavail: free,
      files,
      ffree,
      favail: ffree,
      namemax: NAME_MAX,
    }
  }
}
