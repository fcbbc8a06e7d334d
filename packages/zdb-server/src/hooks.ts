/**
 * The `--hook` runner (spec zdb.md §3; upstream libzdb/hook.c). A hook run executes
 * `[exe, name, zdbid, ...args]` directly, without a shell, and is recorded for the admin
 * `HOOKS` command until {@link HOOK_EXPIRE_SECONDS} after it finished.
 *
 * Three ways to run one:
 * - {@link Hooks.fire}: not waited for (upstream forks and reaps in its idle loop).
 * - {@link Hooks.run}: waited for asynchronously; the event loop keeps serving meanwhile.
 * - {@link Hooks.runSync}: `spawnSync`, which blocks the whole event loop until the hook
 *   exits, as upstream's single thread blocks. Used only where a synchronous code path must
 *   know the exit status before it goes on (`jump-index` inside a SET).
 *
 * An embedder may give a {@link ZdbHookHandler} instead of an executable: it is called
 * in-process with the same events, arguments and blocking rules, and listed with pid 0.
 * @module
 */
import { type SpawnOptions, spawn, spawnSync } from 'node:child_process'
import { constants } from 'node:os'
import { resolve } from 'node:path'
import type { ZdbLogger } from './logger.js'

/** Upstream's `ZDB_HOOKS_EXPIRE_SECONDS`: finished runs stay listed this long (its README says 60). */
export const HOOK_EXPIRE_SECONDS = 300

/** Exit status recorded when the hook could not be started (upstream's child exits 1 after a failed `execv`). */
const SPAWN_FAILED_STATUS = 1

/**
 * An in-process hook: `args` are what an executable gets after the zdbid; the result is its
 * exit status (0 = success). Throwing, rejecting or returning a non-integer counts as status 1.
 * `jump-index` runs inside a synchronous SET, so its status is used only if returned
 * synchronously: a Promise there counts as 1 (INDEX DIRTY kept) whatever it resolves to.
 */
export type ZdbHookHandler = (event: string, args: readonly string[]) => number | Promise<number>

/** Status of a handler that threw, rejected or answered something else than an integer. */
const HANDLER_FAILED_STATUS = 1

/** One run, as `HOOKS` lists it. */
export interface HookRun {
  readonly name: string
  /** The arguments after the zdbid. */
  readonly args: readonly string[]
  /** 0 if the process could not be started. */
  pid: number
  /** Unix seconds. */
  readonly created: number
  /** Unix seconds; 0 while running. */
  finished: number
  /** Exit status; `128 + signal number` for a hook killed by a signal. */
  status: number
}

export interface HooksOptions {
  /** The executable (`--hook`), or an in-process handler. */
  exe: string | ZdbHookHandler
  logger: ZdbLogger
  /** Unix time in seconds. */
  now: () => number
}

export class Hooks {
  /** As given: the hook's `argv[0]`, or `<function>` for a handler (for messages). */
  readonly exe: string
  /** Resolved against the working directory, never looked up in PATH (upstream uses `execv`). */
  readonly #path: string
  readonly #handler: ZdbHookHandler | undefined
  /** `tcp://<listen>:<port>`; set once the listener is bound. */
  zdbid = 'unknown-id'
  readonly #logger: ZdbLogger
  readonly #now: () => number
  readonly #runs: HookRun[] = []

  constructor(options: HooksOptions) {
    const { exe } = options
    this.#handler = typeof exe === 'function' ? exe : undefined
    this.exe = typeof exe === 'function' ? '<function>' : exe
    this.#path = resolve(this.exe)
    this.#logger = options.logger
    this.#now = options.now
  }

  /** Starts a hook and does not wait for it. */
  fire(name: string, args: readonly string[] = []): void {
    void (this.#handler ? this.#call(this.#handler, name, args, false) : this.#start(name, args, false))
  }

  /** Starts a hook and resolves with its exit status (the caller reports a failure). */
  run(name: string, args: readonly string[] = []): Promise<number> {
    return this.#handler ? this.#call(this.#handler, name, args, true) : this.#start(name, args, true)
  }

  /**
   * Runs a hook to completion, blocking the event loop, and returns its exit status. With
   * `timeoutMs`, a hook still running then is killed (SIGKILL: the wait must end).
   */
  runSync(name: string, args: readonly string[] = [], timeoutMs?: number): number {
    if (this.#handler) return this.#callSync(this.#handler, name, args)
    const record = this.#record(name, args)
    const result = spawnSync(this.#path, [name, this.zdbid, ...args], {
      ...this.#spawnOptions(),
      ...(timeoutMs === undefined ? {} : { timeout: timeoutMs, killSignal: 'SIGKILL' as const }),
    })
    record.pid = result.pid ?? 0
    if (result.error) {
      this.#logger.warn(`hook ${name}: cannot run ${this.exe}: ${result.error.message}`)
      record.status = SPAWN_FAILED_STATUS
    } else {
      record.status = exitStatus(result.status, result.signal)
    }
    record.finished = this.#now()
    this.#logged(record)
    return record.status
  }

  /** The runs still listed, oldest first; finished runs older than 300 s are dropped. */
  list(): readonly HookRun[] {
    this.#expire()
    return this.#runs
  }

  #start(name: string, args: readonly string[], awaited: boolean): Promise<number> {
    const record = this.#record(name, args)
    return new Promise((resolve) => {
      let done = false
      const finish = (status: number): void => {
        if (done) return
        done = true
        record.status = status
        record.finished = this.#now()
        if (!awaited) this.#logged(record)
        resolve(status)
      }
      const child = spawn(this.#path, [name, this.zdbid, ...args], this.#spawnOptions())
      record.pid = child.pid ?? 0
      child.once('error', (err) => {
        this.#logger.warn(`hook ${name}: cannot run ${this.exe}: ${err.message}`)
        finish(SPAWN_FAILED_STATUS)
      })
      child.once('exit', (code, signal) => finish(exitStatus(code, signal)))
      // A hook nobody waits for must not keep an embedding process alive.
      if (!awaited) child.unref()
    })
  }

  /** Calls a handler; resolves (never rejects) with its status once its result settles. */
  async #call(
    handler: ZdbHookHandler,
    name: string,
    args: readonly string[],
    awaited: boolean,
  ): Promise<number> {
    const record = this.#record(name, args)
    try {
      // Called before the first await: the handler runs where an executable would be spawned.
      record.status = this.#status(name, await handler(name, record.args))
    } catch (err) {
      this.#logger.warn(`hook ${name}: handler failed: ${String(err)}`)
      record.status = HANDLER_FAILED_STATUS
    }
    record.finished = this.#now()
    if (!awaited) this.#logged(record)
    return record.status
  }

  /** A handler whose status is needed now: a Promise cannot be waited for, so it counts as 1. */
  #callSync(handler: ZdbHookHandler, name: string, args: readonly string[]): number {
    const record = this.#record(name, args)
    try {
      const result = handler(name, record.args)
      if (isThenable(result)) {
        this.#logger.warn(
          `hook ${name}: the handler returned a Promise, but ${name} needs its status synchronously; counted as status 1`,
        )
        // Still observe it, so a rejection is logged instead of crashing the process.
        result.then(undefined, (err: unknown) =>
          this.#logger.warn(`hook ${name}: handler failed: ${String(err)}`),
        )
        record.status = HANDLER_FAILED_STATUS
      } else {
        record.status = this.#status(name, result)
      }
    } catch (err) {
      this.#logger.warn(`hook ${name}: handler failed: ${String(err)}`)
      record.status = HANDLER_FAILED_STATUS
    }
    record.finished = this.#now()
    this.#logged(record)
    return record.status
  }

  /** A handler's answer as an exit status; JavaScript callers can return anything. */
  #status(name: string, result: unknown): number {
    if (Number.isInteger(result)) return result as number
    this.#logger.warn(
      `hook ${name}: the handler returned ${String(result)}, not an integer status; counted as 1`,
    )
    return HANDLER_FAILED_STATUS
  }

  /** No shell; the hook shares the server's stdout and stderr, as upstream's forked child does. */
  #spawnOptions(): SpawnOptions {
    return { argv0: this.exe, stdio: ['ignore', 'inherit', 'inherit'] }
  }

  #record(name: string, args: readonly string[]): HookRun {
    this.#expire()
    const record: HookRun = { name, args: [...args], pid: 0, created: this.#now(), finished: 0, status: 0 }
    this.#runs.push(record)
    this.#logger.debug(`hook ${name}: ${[this.exe, name, this.zdbid, ...args].join(' ')}`)
    return record
  }

  #logged(record: HookRun): void {
    if (record.status !== 0) this.#logger.warn(`hook ${record.name} exited with status ${record.status}`)
  }

  #expire(): void {
    const limit = this.#now() - HOOK_EXPIRE_SECONDS
    let kept = 0
    for (const run of this.#runs) {
      if (run.finished === 0 || run.finished >= limit) this.#runs[kept++] = run
    }
    this.#runs.length = kept
  }
}

/** The zdbid hooks get (spec §3): `unix://<socket>` if there is one, else `tcp://<host>:<port>`. */
export function zdbId(address: { host: string; port: number; socket: string | undefined }): string {
  return address.socket === undefined ? `tcp://${address.host}:${address.port}` : `unix://${address.socket}`
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function'
}

/**
 * Upstream records `WEXITSTATUS`, which is 0 for a hook killed by a signal, so a killed
 * `missing-data` hook counted as success there. A signal is a failure here: `128 + signo`,
 * as shells report it.
 */
function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code
  return 128 + (signal ? constants.signals[signal] : 0)
}
