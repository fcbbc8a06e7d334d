/**
 * A part of the node that runs as its own process (the zstor daemon, the FUSE mount), so a
 * crash or `kill -9` of one does not take the others down. It reports ready over IPC; if it
 * dies without being asked to, it is started again after a growing pause, and `onRestart`
 * tells the node (which retries uploads that failed meanwhile).
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { QsfsError } from '../errors.js'

export interface ChildOptions {
  readonly name: string
  /** Script run with this Node binary. */
  readonly entry: string
  readonly args: readonly string[]
  /** stdout and stderr go here (appended). */
  readonly logFile: string
  readonly log: (line: string) => void
  /** Milliseconds to wait for the ready message (30 s). */
  readonly readyTimeout?: number
  readonly onRestart?: () => void
}

export class Child {
  readonly #options: ChildOptions
  #process: ChildProcess | null = null
  #stopping = false
  #restarts = 0
  #pause = 500
  #timer: NodeJS.Timeout | null = null

  constructor(options: ChildOptions) {
    this.#options = options
  }

  get pid(): number | null {
    return this.#process?.pid ?? null
  }

  get restarts(): number {
    return this.#restarts
  }

  get running(): boolean {
    return this.#process !== null && this.#process.exitCode === null && this.#process.signalCode === null
  }

  /** Starts the process and resolves once it reported ready. */
  start(): Promise<void> {
    const { name, entry, args, logFile, readyTimeout = 30_000 } = this.#options
    const out = openSync(logFile, 'a')
    let child: ChildProcess
    try {
      child = spawn(process.execPath, [...process.execArgv, entry, ...args], {
        stdio: ['ignore', out, out, 'ipc'],
      })
    } finally {
      closeSync(out)
    }
    this.#process = child
    return new Promise<void>((resolve, reject) => {
      let settled = false
      const settle = (error: Error | null) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (error) reject(error)
        else resolve()
      }
      const timer = setTimeout(
        () =>
          settle(
            new QsfsError(
              'ERR_NODE_START',
              `${name} did not report ready in ${readyTimeout / 1000} s; see ${logFile}`,
            ),
          ),
        readyTimeout,
      )
      child.on('message', (message: { ready?: boolean; error?: string }) => {
        if (message?.ready) {
          this.#pause = 500
          settle(null)
        } else if (message?.error) settle(new QsfsError('ERR_NODE_START', `${name}: ${message.error}`))
      })
      child.once('error', (error) =>
        settle(new QsfsError('ERR_NODE_START', `cannot start ${name}: ${error.message}`)),
      )
      child.once('exit', (code, signal) => {
        settle(
          new QsfsError(
            'ERR_NODE_START',
            `${name} exited (${signal ?? `status ${code}`}) before it was ready; see ${logFile}`,
          ),
        )
        if (this.#process === child) this.#process = null
        if (!this.#stopping) this.#restart(code, signal)
      })
    })
  }

  #restart(code: number | null, signal: string | null): void {
    this.#options.log(
      `${this.#options.name} exited (${signal ?? `status ${code}`}); restarting in ${this.#pause} ms`,
    )
    this.#timer = setTimeout(() => {
      this.#timer = null
      if (this.#stopping) return
      this.#restarts++
      this.start().then(
        () => {
          this.#options.log(`${this.#options.name} restarted`)
          this.#options.onRestart?.()
        },
        (error: Error) => this.#options.log(error.message),
      )
    }, this.#pause)
    this.#pause = Math.min(this.#pause * 2, 30_000)
  }

  /** Asks the process to stop (SIGTERM), then kills it after `timeout` ms. */
  async stop(timeout = 30_000): Promise<void> {
    this.#stopping = true
    if (this.#timer) clearTimeout(this.#timer)
    const child = this.#process
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout)
    await exited
    clearTimeout(timer)
  }
}
