/**
 * `--background` (spec zdb.md §4): the server starts again as a detached child, and this
 * process exits 0 once the child is listening, as upstream forks once it is ready. The child's
 * output goes to `--logfile`, or nowhere, as a daemon's does.
 * @module
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'

/** Set in the child's environment: it runs in the foreground and reports readiness over IPC. */
export const DAEMON_CHILD = 'ZDB_SERVER_DAEMON_CHILD'

/** Starts the detached child with the same arguments and waits until it listens. */
export async function daemonize(argv: readonly string[], logfile: string | undefined): Promise<number> {
  const out = logfile === undefined ? 'ignore' : openSync(logfile, 'a')
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...argv], {
    detached: true,
    stdio: ['ignore', out, out, 'ipc'],
    env: { ...process.env, [DAEMON_CHILD]: '1' },
  })
  if (typeof out === 'number') closeSync(out)
  await new Promise<void>((resolve, reject) => {
    child.once('message', (m) =>
      m === 'ready' ? resolve() : reject(new Error(`unexpected message ${String(m)}`)),
    )
    child.once('exit', (code) =>
      reject(
        new Error(
          `the background server exited with status ${code} before it was ready${logfile ? `; see ${logfile}` : ''}`,
        ),
      ),
    )
    child.once('error', reject)
  })
  child.disconnect()
  child.unref()
  return child.pid!
}

/** In the child: tells the parent it is ready, then lets the channel go. */
export function reportReady(): void {
  if (process.env[DAEMON_CHILD] && process.send) {
    process.send('ready')
    process.disconnect?.()
  }
}
