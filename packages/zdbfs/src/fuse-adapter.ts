/**
 * The bridge between `fuse-native` (libfuse 2 high-level API, by path) and {@link Filesystem}.
 *
 * `fuse-native` 2.2.6 is used as installed, with three corrections made from JavaScript:
 * - mount options: its option whitelist has no `big_writes`, `max_write` or `use_ino`, so
 *   `_fuseOptions` is replaced (128 KiB writes instead of 4 KiB ones, stable inode numbers);
 * - `utimens`: its C side passes atime twice and drops mtime. The value is still in its
 *   per-thread struct, whose memory is the Buffer it hands to every handler, so the handler
 *   reads mtime from there (x86-64 layout, checked by the utimens test);
 * - `getxattr`/`listxattr`: it copies into the kernel's buffer without checking its size; the
 *   replacements reply ERANGE as POSIX asks.
 *
 * In this workspace it is also built from source with `patches/fuse-native@2.2.6.patch`
 * (`qsfs_patch` in the binding): `create` hands back the new file's attributes with its answer,
 * so libfuse's `fgetattr` right after it needs no round trip to this thread; and a libfuse thread
 * waits for a metadata answer awake for up to 200 µs instead of sleeping. A creation went from
 * four round trips to three and each costs less. Patch level 2 also hands back the attributes
 * of the directory the file was created in, with the count of directory changes they were read
 * at (`qsfs_dir_changed`, bumped by the store at every directory change): the binding answers
 * the kernel's next GETATTR of that directory itself while the count is unchanged, so a creation
 * makes two round trips. Without the patch (fuse-native from npm) everything works the same,
 * only slower. Either way, every metadata request keeps this thread's event loop polling for a
 * short while ({@link AwakeLoop}), so the next request of a burst needs no wake-up.
 * @module
 */
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { AwakeLoop } from './awake-loop.js'
import { EIO, ERANGE, errnoOf, FsErrno } from './errno.js'
import type { Attr, Filesystem } from './filesystem.js'
import type { Logger } from './logger.js'

const require = createRequire(import.meta.url)

type Callback = (...args: unknown[]) => void
type Signal = (...args: unknown[]) => void
// biome-ignore lint/suspicious/noExplicitAny: each fuse-native operation has its own argument list.
type Operation = (...args: any[]) => void

interface FuseNative {
  new (mnt: string, ops: Record<string, unknown>, opts: Record<string, unknown>): FuseInstance
}
interface FuseInstance {
  mount(cb: (err: Error | null) => void): void
  unmount(cb: (err: Error | null) => void): void
  ops: Record<string, Operation>
}

/**
 * Polling window after a metadata request, in µs (awake-loop.ts): file creations came 1.33 to
 * 1.39 times as fast with 100 µs as without, in alternated runs (`bench:creates`); 300 µs gave
 * no more. `ZDBFS_AWAKE_MICROS` overrides it; what is not a number of 0 or more is ignored.
 */
const AWAKE_MICROS = awakeMicros(process.env.ZDBFS_AWAKE_MICROS)

function awakeMicros(text: string | undefined): number {
  const value = text === undefined || text.trim() === '' ? Number.NaN : Number(text)
  return Number.isFinite(value) && value >= 0 ? value : 100
}

/**
 * The binding's count of directory changes as last returned to this process (patch level 2);
 * one for all mounts, as the binding's is.
 */
let dirGeneration = 0

/** Offset of `size_t mtime` in fuse-native's `fuse_thread_locals_t` on x86-64 (fuse-native.c). */
const LOCALS_MTIME_OFFSET = 112

export const FuseNative = require('fuse-native') as FuseNative & {
  unmount(mnt: string, cb: (err: Error | null) => void): void
}

function loadBinding(): Record<string, unknown> {
  const root = dirname(require.resolve('fuse-native/package.json'))
  const requireFromFuse = createRequire(`${root}/index.js`)
  const build = requireFromFuse('node-gyp-build') as (dir: string) => Record<string, unknown>
  return build(root)
}

export interface AdapterOptions {
  /** `-o` options handed to libfuse. */
  fuseOptions: string[]
  logger: Logger
  /** Every change waits until stored in zdb (upstream's `nocache`). */
  writeThrough: boolean
  /** Milliseconds after which fuse-native answers a stuck request with ETIMEDOUT. */
  requestTimeout: number
}

/**
 * Creates the fuse-native instance for `fs` at `mountpoint`; call `mount()` on it. `fs` must use
 * `statelessHandles`: there is no release operation, so RELEASE costs no round trip to this
 * thread (one of the five requests a file creation makes), and libfuse still unlinks a hidden
 * unlinked file at its last close, through `unlink`.
 */
export function createFuse(mountpoint: string, fs: Filesystem, options: AdapterOptions): FuseInstance {
  const binding = loadBinding()
  const { logger, writeThrough } = options

  const reply = <T>(cb: Callback, work: Promise<T>, ok: (value: T) => unknown[]): void => {
    work.then(
      (value) => cb(...ok(value)),
      (err: unknown) => {
        if (!(err instanceof FsErrno)) logger.warn(`operation failed: ${String(err)}`)
        cb(-errnoOf(err))
      },
    )
  }
  /** With `nocache`, `work`'s result once everything is stored. */
  const through = <T>(work: Promise<T>): Promise<T> =>
    writeThrough
      ? work.then(async (value) => {
          await fs.fsync()
          return value
        })
      : work
  const done = (cb: Callback, work: Promise<unknown>): void => reply(cb, through(work), () => [0])
  const stat = (a: Attr) => ({
    mode: a.mode,
    uid: a.uid,
    gid: a.gid,
    size: a.size,
    dev: 0,
    nlink: a.nlink,
    ino: a.ino,
    rdev: a.rdev,
    blksize: a.blksize,
    blocks: a.blocks,
    atime: a.atime,
    mtime: a.mtime,
    ctime: a.ctime,
  })

  const ops: Record<string, Operation> = {
    init: (cb: Callback) => cb(0),
    getattr: (path: string, cb: Callback) => reply(cb, fs.getattr(path), (a) => [0, stat(a)]),
    readdir: (path: string, cb: Callback) =>
      reply(cb, fs.readdir(path), (entries) => [0, entries.map((e) => e.name)]),
    mkdir: (path: string, mode: number, cb: Callback) => done(cb, fs.mkdir(path, mode)),
    rmdir: (path: string, cb: Callback) => done(cb, fs.rmdir(path)),
    create: (path: string, mode: number, cb: Callback) =>
      reply(cb, through(fs.create(path, mode)), (fh) => [0, fh]),
    open: (path: string, flags: number, cb: Callback) => reply(cb, fs.open(path, flags), (fh) => [0, fh]),
    read: (path: string, fh: number, buf: Buffer, len: number, pos: number, cb: Callback) =>
      reply(cb, fs.read(fh, len === buf.length ? buf : buf.subarray(0, len), pos, path), (n) => [n]),
    write: (path: string, fh: number, buf: Buffer, len: number, pos: number, cb: Callback) => {
      reply(cb, through(fs.write(fh, len === buf.length ? buf : buf.subarray(0, len), pos, path)), (n) => [n])
    },
    truncate: (path: string, size: number, cb: Callback) => done(cb, fs.truncate(path, size)),
    ftruncate: (path: string, fh: number, size: number, cb: Callback) =>
      done(cb, fs.ftruncate(fh, size, path)),
    unlink: (path: string, cb: Callback) => done(cb, fs.unlink(path)),
    rename: (from: string, to: string, cb: Callback) => done(cb, fs.rename(from, to)),
    link: (from: string, to: string, cb: Callback) => done(cb, fs.link(from, to)),
    symlink: (target: string, path: string, cb: Callback) => done(cb, fs.symlink(target, path)),
    readlink: (path: string, cb: Callback) => reply(cb, fs.readlink(path), (t) => [0, t]),
    mknod: (path: string, mode: number, dev: number, cb: Callback) => done(cb, fs.mknod(path, mode, dev)),
    chmod: (path: string, mode: number, cb: Callback) => done(cb, fs.chmod(path, mode)),
    chown: (path: string, uid: number, gid: number, cb: Callback) => done(cb, fs.chown(path, uid, gid)),
    // Present so that fuse-native registers the operation; the handler below replaces it.
    utimens: () => {},
    statfs: (_path: string, cb: Callback) => {
      try {
        cb(0, fs.statfs())
      } catch (err) {
        cb(-errnoOf(err))
      }
    },
    fsync: (_path: string, _datasync: number, _fh: number, cb: Callback) => reply(cb, fs.fsync(), () => [0]),
    fsyncdir: (_path: string, _datasync: number, _fh: number, cb: Callback) =>
      reply(cb, fs.fsync(), () => [0]),
    setxattr: (path: string, name: string, value: Buffer, _position: number, flags: number, cb: Callback) =>
      done(cb, fs.setxattr(path, name, value, flags)),
    getxattr: (path: string, name: string, _position: number, cb: Callback) =>
      reply(cb, fs.getxattr(path, name), (v) => [0, v]),
    listxattr: (path: string, cb: Callback) => reply(cb, fs.listxattr(path), (names) => [0, names]),
    removexattr: (path: string, name: string, cb: Callback) => done(cb, fs.removexattr(path, name)),
  }
  // close() needs nothing from us unless every change must be stored: without a flush
  // operation the kernel stops sending FLUSH, one round trip less per close.
  if (writeThrough) ops.flush = (_path: string, _fh: number, cb: Callback) => done(cb, fs.fsync())

  const patchLevel = (binding.qsfs_patch as number | undefined) ?? 0
  const patched = patchLevel >= 1
  const dirChanged = patchLevel >= 2 ? (binding.qsfs_dir_changed as () => number) : undefined
  if (dirChanged) {
    fs.watchDirectories(() => {
      dirGeneration = dirChanged()
    })
  }
  // Registered so that libfuse asks fgetattr, which the patched binding answers after a create.
  if (patched) ops.fgetattr = (path: string, _fh: number, cb: Callback) => ops.getattr!(path, cb)

  const awake = new AwakeLoop(AWAKE_MICROS)
  const utimensOp = binding.op_utimens as number
  const signalUtimens = binding.fuse_native_signal_utimens as (...args: unknown[]) => void

  class ZdbfsFuse extends FuseNative {
    _fuseOptions(): string {
      return `-o${options.fuseOptions.join(',')}`
    }

    _makeHandlerArray(): unknown[] {
      // @ts-expect-error: fuse-native's internal method, called by its constructor.
      const handlers = super._makeHandlerArray() as unknown[]
      const data = new Set(
        ['op_read', 'op_write', 'op_fsync', 'op_fsyncdir', 'op_flush'].map((n) => binding[n]),
      )
      handlers.forEach((handler, op) => {
        if (typeof handler !== 'function' || data.has(op)) return
        handlers[op] = (...args: unknown[]) => {
          awake.poke()
          return (handler as Operation)(...args)
        }
      })
      handlers[utimensOp] = (locals: Buffer, _op: number, path: string, aLow: number, aHigh: number) => {
        const signal = (res: number) => process.nextTick(signalUtimens, locals, res)
        // libfuse 2 calls utimens only when both times are given (touch -a / -m never get
        // here), so both values are real times.
        awake.poke()
        const atime = aLow + aHigh * 2 ** 32
        const mtime = Number(locals.readBigUInt64LE(LOCALS_MTIME_OFFSET))
        through(fs.utimens(path, atime, mtime)).then(
          () => signal(0),
          (err: unknown) => signal(-errnoOf(err)),
        )
      }
      return handlers
    }

    _op_create(signal: Signal, path: string, mode: number): void {
      if (!patched) return void this.ops.create!(path, mode, signal)
      const created = through(fs.create(path, mode)).then(async (fh) => {
        // Taken before the lookups: a directory change made while they wait bumps the generation,
        // and the binding then keeps the parent's attributes from answering.
        const generation = dirGeneration
        const file = await fs.resolve(path)
        const parent = dirChanged ? await fs.resolve(dirname(path)) : undefined
        return { fh, attr: fs.attr(file), parent: parent && fs.attr(parent), generation }
      })
      reply(signal, created, ({ fh, attr, parent, generation }) =>
        parent ? [0, fh, statArray(attr), statArray(parent), generation] : [0, fh, statArray(attr)],
      )
    }

    _op_getxattr(signal: Signal, path: string, name: string, valueBuf: Buffer, position: number): void {
      this.ops.getxattr!(path, name, position, (err: number, value: Buffer) => {
        if (err) return signal(err, valueBuf.buffer)
        if (valueBuf.length === 0) return signal(value.length, valueBuf.buffer)
        if (value.length > valueBuf.length) return signal(-ERANGE, valueBuf.buffer)
        value.copy(valueBuf)
        return signal(value.length, valueBuf.buffer)
      })
    }

    _op_listxattr(signal: Signal, path: string, listBuf: Buffer): void {
      this.ops.listxattr!(path, (err: number, names: string[]) => {
        if (err) return signal(err, listBuf.buffer)
        const list = Buffer.concat(names.map((n) => Buffer.from(`${n}\0`)))
        if (listBuf.length === 0) return signal(list.length, listBuf.buffer)
        if (list.length > listBuf.length) return signal(-ERANGE, listBuf.buffer)
        list.copy(listBuf)
        return signal(list.length, listBuf.buffer)
      })
    }
  }

  return new ZdbfsFuse(mountpoint, ops, { timeout: options.requestTimeout })
}

/** fuse-native's stat array: 32-bit words, 64-bit values as low then high word, times in ms. */
function statArray(a: Attr): Uint32Array {
  const ints = new Uint32Array(18)
  const put64 = (i: number, v: number) => {
    ints[i] = v % 2 ** 32
    ints[i + 1] = Math.floor(v / 2 ** 32)
  }
  ints[0] = a.mode
  ints[1] = a.uid
  ints[2] = a.gid
  put64(3, a.size)
  ints[6] = a.nlink
  ints[7] = a.ino
  ints[8] = a.rdev
  ints[9] = a.blksize
  put64(10, a.blocks)
  put64(12, a.atime)
  put64(14, a.mtime)
  put64(16, a.ctime)
  return ints
}

/** Unmounts `mountpoint` lazily with fusermount (falls back to umount -l). */
export function lazyUnmount(mountpoint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    FuseNative.unmount(mountpoint, (err) => {
      if (!err) return resolve()
      import('node:child_process').then(({ execFile }) =>
        execFile('umount', ['-l', mountpoint], (err2) =>
          err2 ? reject(new FsErrno(EIO, String(err2))) : resolve(),
        ),
      )
    })
  })
}
