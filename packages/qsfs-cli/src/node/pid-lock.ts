/**
 * One `qsfs up` per node directory: `run/qsfs.pid` names the running one. A pid file whose
 * process is gone (a killed node) is taken over.
 * @module
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { QsfsError } from '../errors.js'

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The pid of the node running on this pid file, or null. */
export function runningPid(pidFile: string): number | null {
  let pid: number
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim())
  } catch {
    return null
  }
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) ? pid : null
}

export function acquirePidFile(pidFile: string, dir: string): () => void {
  const other = runningPid(pidFile)
  if (other !== null)
    throw new QsfsError(
      'ERR_NODE_RUNNING',
      `a node already runs on ${dir} (pid ${other}); stop it with \`qsfs down --dir ${dir}\``,
    )
  writeFileSync(pidFile, `${process.pid}\n`)
  return () => {
    if (runningPid(pidFile) === null) rmSync(pidFile, { force: true })
  }
}
