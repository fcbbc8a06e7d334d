/**
 * `qsfs recover`: a node rebuilt from nothing but its config and key. For each namespace of the
 * filesystem it fetches the descriptor, every index file (`i0`, `i1`, … until one is not
 * stored) and the newest data segment; older segments come back on demand, when read. Upstream
 * cannot do this: it needs the lost machine's index files and last segment.
 * @module
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { DEFAULT_NAMESPACES } from '@qsfs/zdbfs'
import { createZstorClient, type ZstorClient } from '@qsfs/zstor-client'
import { nodeLayout } from './config/layout.js'
import { loadNodeConfig } from './config/node-config.js'
import { nodeZstorConfig } from './config/zstor-runtime.js'
import { QsfsError } from './errors.js'
import { Ledger } from './node/ledger.js'
import { runningPid } from './node/pid-lock.js'
import { DESCRIPTOR, dataFile, indexFile } from './node/segments.js'

export interface RecoverOptions {
  readonly dir: string
  readonly log?: (line: string) => void
  /** Namespaces to restore (default: the filesystem's three). */
  readonly namespaces?: readonly string[]
}

export interface RecoveredNamespace {
  readonly name: string
  /** Index files restored (`i0` … `i<newest>`). */
  readonly indexFiles: number
  /** The open segment's number, whose data file was restored too. */
  readonly newest: number
  readonly bytes: number
}

export interface RecoverResult {
  readonly namespaces: readonly RecoveredNamespace[]
  readonly seconds: number
}

/** Retrieves `path`; false when nothing is stored under it. */
async function fetch(client: ZstorClient, path: string): Promise<number | null> {
  try {
    return (await client.retrieve(path)).size
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_NOT_FOUND') return null
    throw new QsfsError('ERR_RECOVER', `cannot restore ${path}: ${(error as Error).message}`)
  }
}

export async function recoverNode(options: RecoverOptions): Promise<RecoverResult> {
  const started = Date.now()
  const log = options.log ?? (() => {})
  const config = loadNodeConfig(options.dir)
  const layout = nodeLayout(config.dir)
  if (runningPid(layout.pidFile) !== null)
    throw new QsfsError('ERR_NODE_RUNNING', `a node runs on ${config.dir}; stop it before recovering into it`)
  if (existsSync(layout.zdbIndex) && readdirSync(layout.zdbIndex).length > 0)
    throw new QsfsError(
      'ERR_RECOVER',
      `${layout.zdbIndex} already holds a zdb; recover into a node directory that has only qsfs.toml, zstor.toml and the key`,
    )
  if (config.localBackends > 0)
    throw new QsfsError(
      'ERR_RECOVER',
      `this node keeps its shards on ${config.localBackends} local backends in ${config.localBackendsDir}; a lost machine lost them too. Recovery needs backends elsewhere (qsfs init --backend ...)`,
    )
  const client = createZstorClient({ config: await nodeZstorConfig(config) })
  const restored: RecoveredNamespace[] = []
  const touched: string[] = []
  try {
    for (const ns of options.namespaces ?? Object.values(DEFAULT_NAMESPACES)) {
      touched.push(ns)
      mkdirSync(join(layout.zdbIndex, ns), { recursive: true })
      const descriptor = await fetch(client, join(layout.zdbIndex, ns, DESCRIPTOR))
      if (descriptor === null) {
        rmSync(join(layout.zdbIndex, ns), { recursive: true, force: true })
        log(`${ns}: not stored, skipped`)
        continue
      }
      let bytes = descriptor
      let id = 0
      for (; ; id++) {
        const size = await fetch(client, indexFile(layout.zdbIndex, ns, id))
        if (size === null) break
        bytes += size
      }
      let newest = id - 1
      // Data is uploaded before its index, so the newest index has its data; if not, drop it.
      while (newest >= 0) {
        mkdirSync(join(layout.zdbData, ns), { recursive: true })
        const size = await fetch(client, dataFile(layout.zdbData, ns, newest))
        if (size !== null) {
          bytes += size
          break
        }
        log(`${ns}: index ${newest} has no stored data file; using ${newest - 1} as the newest`)
        rmSync(indexFile(layout.zdbIndex, ns, newest), { force: true })
        newest--
      }
      if (newest < 0) {
        rmSync(join(layout.zdbIndex, ns), { recursive: true, force: true })
        rmSync(join(layout.zdbData, ns), { recursive: true, force: true })
        throw new QsfsError(
          'ERR_RECOVER',
          `${ns}: its descriptor is stored but no index and data file pair is`,
        )
      }
      restored.push({ name: ns, indexFiles: newest + 1, newest, bytes })
      log(`${ns}: restored descriptor, ${newest + 1} index files and data segment ${newest} (${bytes} bytes)`)
    }
  } catch (error) {
    // Leave nothing half-restored: the next attempt (another key, the backends back) would
    // refuse a directory that holds a zdb.
    for (const ns of touched) {
      rmSync(join(layout.zdbIndex, ns), { recursive: true, force: true })
      rmSync(join(layout.zdbData, ns), { recursive: true, force: true })
    }
    throw error
  } finally {
    await client.close()
  }
  // What was restored is stored: the node's first start need not upload it again.
  const ledger = new Ledger(layout.ledger)
  for (const ns of restored) {
    for (let id = 0; id < ns.newest; id++) {
      const path = indexFile(layout.zdbIndex, ns.name, id)
      ledger.record(relative(layout.zdbRoot, path), statSync(path).size)
    }
  }
  mkdirSync(dirname(layout.ledger), { recursive: true })
  ledger.flush()
  if (restored.length === 0)
    throw new QsfsError(
      'ERR_RECOVER',
      "nothing of this node is stored on the backends: check that zstor.toml and the key are the lost node's",
    )
  return { namespaces: restored, seconds: (Date.now() - started) / 1000 }
}
