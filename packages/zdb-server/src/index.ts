/**
 * @module @qsfs/zdb-server
 * An always-append key-value server, wire- and disk-compatible with 0-db (zdb) v2, standalone or
 * embedded. Reference: shared/specs/zdb.md (§1 commands, §2 on-disk format, §3 hooks).
 */
import { randomInt } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import type { ServerState } from './commands/context.js'
import type { NamespaceFilesView } from './embedder.js'
import * as embedder from './embedder.js'
import { ZdbHookError, ZdbOptionError } from './errors.js'
import { Hooks, type ZdbHookHandler, zdbId } from './hooks.js'
import { acquireLock, type DirectoryLock } from './lockfile.js'
import { silentLogger, type ZdbLogger } from './logger.js'
import { Mirrors } from './mirrors.js'
import { MissingData } from './missing-data.js'
import type { ServerMode } from './namespace.js'
import type { SyncPolicy } from './namespace-files.js'
import { Namespaces } from './namespaces.js'
import { type Listener, listen } from './server.js'
import { createStats } from './stats.js'
import { MIN_CACHE_BYTES, ValueCache } from './value-cache.js'
import { VERSION } from './version.js'
import { Waits } from './waits.js'
import { WriteBatch } from './write-batch.js'

export type { NamespaceFilesView } from './embedder.js'
export {
  ZdbAddressInUseError,
  ZdbFormatError,
  ZdbHookError,
  ZdbLockedError,
  ZdbModeMismatchError,
  ZdbOptionError,
  ZdbServerError,
  type ZdbServerErrorCode,
  ZdbUnsupportedError,
} from './errors.js'
export type { ZdbHookHandler } from './hooks.js'
export { consoleLogger, silentLogger, type ZdbLogger } from './logger.js'
export type { NamespaceMode, ServerMode } from './namespace.js'

/** Default data file size before rotation: 256 MiB, as upstream. */
export const DEFAULT_DATASIZE = 256 * 1024 * 1024

/** Default budget of the payload cache: 32 MiB. */
export const DEFAULT_CACHE_SIZE = 32 * 1024 * 1024

export interface ZdbServerOptions {
  /** Listen address (default `127.0.0.1`; upstream's default is `::`). */
  host?: string
  /**
   * `--socket`: listen on this Unix socket path instead of TCP (a stale socket file left by a
   * killed server is replaced; one a live server answers on is not).
   */
  socket?: string
  /** `--dualnet`: with `socket`, listen on TCP as well. */
  dualnet?: boolean
  /** TCP port (default 9900); 0 picks a free port, see {@link ZdbServer.address}. */
  port?: number
  /** Root of the data files (default `./zdb-data`). */
  dataDir?: string
  /** Root of the index files (default `./zdb-index`); must differ from `dataDir`. */
  indexDir?: string
  /** Bytes per data file before rotating to the next (default 256 MiB, at most 2^32 - 2). */
  datasize?: number
  /**
   * Key mode (spec zdb.md §4 `--mode`). `'mixed'` (default): new namespaces are user mode and
   * each existing one keeps the mode of its `i0` header. `'user'` or `'seq'`: new namespaces
   * get that mode, and an existing namespace in the other mode is refused at start.
   */
  mode?: ServerMode
  /**
   * Admin password (`--admin`). Without it every client is admin; with it clients start
   * non-admin and gain the rights with `AUTH`.
   */
  admin?: string
  /**
   * `--protect` (needs `admin`): the `default` namespace's password becomes the admin password,
   * so clients start read-only there until `SELECT default <admin password>`.
   */
  protect?: boolean
  /** Payload bytes allowed in `default`, kept in memory only (`--maxsize`); 0 = unlimited. */
  maxsize?: number
  /**
   * `--sync`: a write is acknowledged only after its data and index files are fsynced. Writes
   * arriving together share one fsync per file (group commit).
   */
  sync?: boolean
  /** `--synctime N`: fsync written files when the last fsync is older than N seconds. */
  synctime?: number
  /** `--secure`: fsync a namespace's files before every jump to the next pair. */
  secure?: boolean
  /**
   * `--rotate N`: every N seconds, every namespace whose current files hold an entry jumps to
   * the next pair (so closed files, and what the hooks upload, are at most N seconds old).
   */
  rotate?: number
  /**
   * `--hook`: an executable run as `[hook, event, zdbid, ...args]` (no shell) on the events of
   * spec zdb.md §3; zdbid is `tcp://<host>:<bound port>`. Blocking events: `namespaces-init`,
   * `ready` (a non-zero exit aborts the start with {@link ZdbHookError}), `close`, `jump-index`
   * (exit 0 resets INDEX DIRTY) and `missing-data` (exit 0: the read is retried once).
   *
   * A {@link ZdbHookHandler} instead is called in-process with the same events and arguments
   * (after the zdbid), and its status is used as the exit status under the same rules. A
   * `jump-index` handler must answer synchronously: a returned Promise counts as status 1.
   */
  hook?: string | ZdbHookHandler
  /**
   * Called with the absolute path of a data file that is not its namespace's current one
   * each time a request reads it (e.g. to keep an LRU of the data files kept locally). It is
   * on the read path: keep it cheap. A throw is logged and ignored.
   */
  onDataRead?: (path: string) => void
  /**
   * Bytes of memory (payloads and their bookkeeping) for recently written and read values of
   * up to 64 KiB, so that a GET or an unchanged-value check of one needs no disk read. Default
   * {@link DEFAULT_CACHE_SIZE}; 0 disables it; otherwise 4096 to 2^32 - 1.
   */
  cacheSize?: number
  /** Where messages go (default: nowhere). */
  logger?: ZdbLogger
  /** Unix time in seconds used for entry timestamps (default: the system clock); for tests. */
  now?: () => number
}

export interface ZdbServer {
  /** The bound address; `port` is the real one when 0 was asked. */
  readonly address: {
    /** TCP address, `''` when listening on a Unix socket only. */
    readonly host: string
    /** Bound TCP port (the real one when 0 was asked), 0 when listening on a Unix socket only. */
    readonly port: number
    /** The Unix socket path, if any. */
    readonly socket: string | undefined
  }
  /** The files of every open namespace (empty once closed). */
  namespaceFiles(): NamespaceFilesView[]
  /**
   * Removes `ids` from INDEX DIRTY of namespace `name` (no-op for an unknown namespace), as
   * INDEX DIRTY RESET does for all. An edit made between reading the ids and this call would be
   * forgotten, so clear them right before copying the files (an edit during the copy marks its
   * file dirty again) and keep the ids yourself if the copy fails.
   */
  clearDirty(name: string, ids: readonly number[]): void
  /**
   * Closes the server's cached read descriptor of old data file `path` (absolute, as
   * {@link namespaceFiles} and the hooks name it), so that an unlink frees its space; the next
   * read of it then meets a missing file (the `missing-data` hook, or a read error). False,
   * doing nothing, for the current data file of its namespace or a path of no namespace.
   */
  releaseDataFile(path: string): boolean
  /** Stops listening, ends every connection, closes the files and releases the locks. */
  close(): Promise<void>
}

const systemNow = (): number => Math.floor(Date.now() / 1000)

/** Opens the namespaces under `indexDir`/`dataDir` (creating `default`), then listens. */
export async function createZdbServer(options: ZdbServerOptions = {}): Promise<ZdbServer> {
  const host = options.host ?? '127.0.0.1'
  const port = options.port ?? 9900
  const dataDir = resolve(options.dataDir ?? './zdb-data')
  const indexDir = resolve(options.indexDir ?? './zdb-index')
  const datasize = options.datasize ?? DEFAULT_DATASIZE
  const logger = options.logger ?? silentLogger
  const now = options.now ?? systemNow
  const mode = options.mode ?? 'mixed'
  if (mode !== 'mixed' && mode !== 'user' && mode !== 'seq') {
    throw new ZdbOptionError(`mode must be 'user', 'seq' or 'mixed', got '${String(mode)}'`)
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ZdbOptionError(`port must be an integer 0..65535, got ${port}`)
  }
  if (!Number.isInteger(datasize) || datasize < 1 || datasize >= 0xffffffff) {
    throw new ZdbOptionError(`datasize must be an integer 1..4294967294 (bytes), got ${datasize}`)
  }
  const { admin, protect = false, maxsize, synctime, secure = false, rotate } = options
  if (rotate !== undefined && (!Number.isInteger(rotate) || rotate < 1)) {
    throw new ZdbOptionError(`rotate must be a whole number of seconds >= 1, got ${rotate}`)
  }
  if (synctime !== undefined && (!Number.isInteger(synctime) || synctime < 1)) {
    throw new ZdbOptionError(`synctime must be a whole number of seconds >= 1, got ${synctime}`)
  }
  const sync: SyncPolicy = options.sync
    ? { mode: 'always' }
    : synctime !== undefined
      ? { mode: 'interval', seconds: synctime }
      : { mode: 'none' }
  const batch = new WriteBatch()
  const waits = new Waits()
  const mirrors = new Mirrors(batch)
  if (admin !== undefined && (typeof admin !== 'string' || admin === '')) {
    throw new ZdbOptionError('admin must be a non-empty password string')
  }
  if (protect && admin === undefined) {
    throw new ZdbOptionError('protect needs an admin password (--protect requires --admin)')
  }
  if (maxsize !== undefined && (!Number.isSafeInteger(maxsize) || maxsize < 0)) {
    throw new ZdbOptionError(`maxsize must be a non-negative integer (bytes), got ${maxsize}`)
  }
  const hookExe = options.hook
  if (
    hookExe !== undefined &&
    typeof hookExe !== 'function' &&
    (typeof hookExe !== 'string' || hookExe === '')
  ) {
    throw new ZdbOptionError('hook must be the non-empty path of an executable or a function')
  }
  const onDataRead = checkedDataRead(options.onDataRead, logger)
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE
  if (
    !Number.isInteger(cacheSize) ||
    (cacheSize !== 0 && (cacheSize < MIN_CACHE_BYTES || cacheSize >= 2 ** 32))
  ) {
    throw new ZdbOptionError(
      `cacheSize must be 0 (no cache) or ${MIN_CACHE_BYTES}..4294967295 bytes, got ${cacheSize}`,
    )
  }
  // Passwords are compared as bytes; a latin1 string holds them one byte per character.
  const adminPassword = admin === undefined ? undefined : Buffer.from(admin, 'utf8').toString('latin1')
  if (dataDir === indexDir) {
    throw new ZdbOptionError(`dataDir and indexDir must be different directories, both are ${dataDir}`)
  }
  mkdirSync(dataDir, { recursive: true })
  mkdirSync(indexDir, { recursive: true })
  const locks: DirectoryLock[] = []
  let namespaces: Namespaces | undefined
  let listener: Listener | undefined
  try {
    locks.push(acquireLock(dataDir, 'data'))
    locks.push(acquireLock(indexDir, 'index'))
    const stats = createStats(now())
    const cache = cacheSize === 0 ? undefined : new ValueCache(cacheSize)
    listener = await listen(
      options.socket === undefined
        ? { tcp: { host, port } }
        : { socket: options.socket, ...(options.dualnet ? { tcp: { host, port } } : {}) },
      logger,
    )
    const hooks = hookExe === undefined ? undefined : new Hooks({ exe: hookExe, logger, now })
    const missingData = hooks && new MissingData(hooks)
    if (hooks) {
      hooks.zdbid = zdbId(listener)
      // Upstream ignores this hook's status too.
      const status = await hooks.run('namespaces-init', [indexDir, dataDir])
      if (status !== 0) logger.warn(`hook namespaces-init exited with status ${status}`)
    }
    namespaces = Namespaces.open(
      {
        indexRoot: indexDir,
        dataRoot: dataDir,
        datasize,
        now,
        logger,
        stats,
        mode,
        batch,
        sync,
        secure,
        ...(hooks ? { hooks, missingData } : {}),
        ...(onDataRead ? { onDataRead } : {}),
        ...(cache ? { cache } : {}),
      },
      {
        ...(maxsize !== undefined ? { maxsize } : {}),
        ...(protect ? { password: adminPassword } : {}),
      },
    )
    const state: ServerState = {
      namespaces,
      stats,
      now,
      // Never 0: owner id 0 marks a write not to be replicated (mirrors.ts).
      instanceId: randomInt(1, 0xffffffff),
      revision: `zdb-server-${VERSION}`,
      logger,
      mode,
      adminPassword,
      protect,
      batch,
      waits,
      mirrors,
      hooks,
      missingData,
      cache,
    }
    if (hooks) {
      const status = await hooks.run('ready')
      if (status !== 0) {
        throw new ZdbHookError(
          'ready',
          status,
          `the ready hook (${hooks.exe}) exited with status ${status}; the server did not start`,
        )
      }
    }
    const bound = listener
    const opened = namespaces
    bound.open(state)
    const rotation =
      rotate === undefined
        ? undefined
        : setInterval(() => {
            for (const name of opened.names()) {
              try {
                opened.get(name)?.jumpIfUsed()
              } catch (err) {
                logger.error(`namespace ${name}: timed rotation failed: ${String(err)}`)
              }
            }
          }, rotate * 1000)
    rotation?.unref()
    let closed: Promise<void> | undefined
    return {
      address: { host: bound.host, port: bound.port, socket: bound.socket },
      namespaceFiles: () => embedder.namespaceFiles(opened),
      clearDirty: (name, ids) => opened.get(name)?.clearDirty(ids),
      releaseDataFile: (path) => embedder.releaseDataFile(opened, path),
      close() {
        closed ??= (async () => {
          await bound.close()
          clearInterval(rotation)
          waits.close()
          mirrors.close()
          try {
            if (hooks) {
              const status = await hooks.run('close')
              if (status !== 0) logger.warn(`hook close exited with status ${status}`)
              for (const name of opened.names()) {
                hooks.fire('namespace-closing', opened.get(name)!.closingHookArgs())
              }
            }
          } finally {
            // Emptied at once: the namespaces closing next have nothing left to drop from it.
            cache?.clear()
            opened.close()
            for (const lock of locks) lock.release()
          }
        })()
        return closed
      },
    }
  } catch (err) {
    waits.close()
    await listener?.close()
    namespaces?.close()
    for (const lock of locks) lock.release()
    throw err
  }
}

/** Validates `onDataRead` and keeps an embedder's bug from failing the read that called it. */
function checkedDataRead(
  fn: ZdbServerOptions['onDataRead'],
  logger: ZdbLogger,
): ((path: string) => void) | undefined {
  if (fn === undefined) return undefined
  if (typeof fn !== 'function') throw new ZdbOptionError('onDataRead must be a function')
  return (path) => {
    try {
      fn(path)
    } catch (err) {
      logger.warn(`onDataRead(${path}) failed: ${String(err)}`)
    }
  }
}
