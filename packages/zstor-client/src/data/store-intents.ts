/**
 * Shards a store wrote, on local disk while it runs, so that a store cut by `kill -9` or a
 * power loss does not leave them on the backends forever. A store that fails normally deletes
 * what it wrote itself (store.ts); one killed mid-way cannot, and sequential-mode keys are
 * chosen by the server, so nothing else could ever find its shards again.
 *
 * One file per store in flight, `<pid>-<n>.intent`: a header line with the metadata key and the
 * shards of the record it replaces, then a line per chunk written, appended as each key comes
 * back. The file is removed when the store ends, either way. {@link StoreIntents.sweep} reads
 * the files of processes that are gone and deletes every shard they list that the record now
 * stored under their key does not reference: the shards of a store that never saved its record,
 * and those of a replaced record that a store saved but was killed before deleting. It deletes
 * nothing when that record cannot be read, and keeps the file to try again.
 *
 * What remains possible: sequential-mode keys are known only from the reply, so the chunks whose
 * SET was in flight when the process died (stored by the backend, reply not yet read: at most
 * one object's shards, as objects are written one at a time) stay orphaned. Lines are not
 * fsynced: a power loss can lose the last ones, with the same effect. Never a referenced shard.
 * @module
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BackendAddress, ShardLocation } from '@qsfs/zstor-codec'
import { configuredBackend, locationLabel } from '../backend/locate.js'
import type { BackendConfig } from '../config/index.js'
import { allDataConfigs, type ClientContext } from '../context.js'
import { StoreError } from '../errors.js'
import type { StoredRecord } from '../meta/file-record.js'
import { recordLocations } from './record-locations.js'
import { deleteShard } from './shard-io.js'

const SUFFIX = '.intent'
const VERSION = 1

interface Listed {
  readonly address: BackendAddress
  readonly namespace: string | null
  /** Hex keys. */
  readonly keys: readonly string[]
}

interface Header {
  readonly v: number
  readonly key: string
  readonly previous: readonly Listed[]
}

/** What one sweep did. */
export interface IntentSweepResult {
  /** Intent files of ended stores that were cleared. */
  readonly cleared: number
  /** Chunks deleted from backends. */
  readonly chunksDeleted: number
  /** Intent files kept for a later sweep, with why. */
  readonly kept: readonly { readonly file: string; readonly reason: string }[]
}

/** The intent of one store in flight. */
export interface StoreIntent {
  /** Records chunks written to `backend` (call as soon as their keys are known). */
  written(backend: BackendConfig, keys: readonly Uint8Array[]): void
  /**
   * The store ended, saved or cleaned up after itself. With `leftovers`, some of its shards or
   * of the record it replaced could not be deleted: the file stays for a sweep.
   */
  close(leftovers?: boolean): void
}

function listed(address: BackendAddress, namespace: string | null, keys: readonly Uint8Array[]): Listed {
  return { address, namespace, keys: keys.map((k) => Buffer.from(k).toString('hex')) }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Chunks `record` references (this client's or upstream's), as `label hexkey`. */
function referenced(record: StoredRecord | null): Set<string> {
  const refs = new Set<string>()
  for (const l of record ? recordLocations(record) : [])
    for (const k of l.keys)
      refs.add(`${locationLabel(l.address, l.namespace)} ${Buffer.from(k).toString('hex')}`)
  return refs
}

/** Reads an intent file; a torn last line (the process died writing it) is ignored. */
function readIntent(path: string): { header: Header; written: Listed[] } | null {
  const lines = readFileSync(path, 'utf8').split('\n')
  const parsed: unknown[] = []
  for (const line of lines) {
    if (line === '') continue
    try {
      parsed.push(JSON.parse(line))
    } catch {
      break
    }
  }
  const header = parsed[0] as Header | undefined
  if (header?.v !== VERSION || typeof header.key !== 'string' || !Array.isArray(header.previous)) return null
  return { header, written: parsed.slice(1) as Listed[] }
}

export class StoreIntents {
  readonly dir: string
  readonly #open = new Set<string>()
  #next = 0

  constructor(dir: string) {
    try {
      mkdirSync(dir, { recursive: true })
    } catch (error) {
      throw new StoreError(
        'ERR_INTENT_DIR',
        `cannot create the store intent directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; give a writable directory`,
      )
    }
    this.dir = dir
  }

  /** Starts the intent of a store under metadata `key` replacing `previous` shards. */
  open(key: string, previous: readonly ShardLocation[]): StoreIntent {
    const name = `${process.pid}-${Date.now()}-${this.#next++}${SUFFIX}`
    const path = join(this.dir, name)
    const header: Header = {
      v: VERSION,
      key,
      previous: previous.map((l) => listed(l.address, l.namespace, l.keys)),
    }
    writeFileSync(path, `${JSON.stringify(header)}\n`)
    this.#open.add(name)
    return {
      written: (backend, keys) => {
        if (keys.length === 0) return
        appendFileSync(path, `${JSON.stringify(listed(backend.address, backend.namespace, keys))}\n`)
      },
      close: (leftovers = false) => {
        this.#open.delete(name)
        if (!leftovers) rmSync(path, { force: true })
      },
    }
  }

  /**
   * Deletes the unreferenced shards listed by the intents of stores no longer running (this
   * process's ended ones, and every one of a process that is gone).
   */
  async sweep(
    ctx: ClientContext,
    load: (key: string) => Promise<StoredRecord | null>,
  ): Promise<IntentSweepResult> {
    let cleared = 0
    let chunksDeleted = 0
    const kept: { file: string; reason: string }[] = []
    const configs = allDataConfigs(ctx.config)
    for (const name of readdirSync(this.dir)
      .filter((n) => n.endsWith(SUFFIX))
      .sort()) {
      const pid = Number(name.slice(0, name.indexOf('-')))
      if (this.#open.has(name) || (pid !== process.pid && pidAlive(pid))) continue
      const path = join(this.dir, name)
      const intent = readIntent(path)
      if (intent === null) {
        // Torn before its header was whole: the store wrote nothing yet.
        rmSync(path, { force: true })
        cleared++
        continue
      }
      let refs: Set<string>
      try {
        refs = referenced(await load(intent.header.key))
      } catch (error) {
        kept.push({ file: name, reason: `its record could not be read: ${(error as Error).message}` })
        continue
      }
      const failures: string[] = []
      for (const entry of [...intent.header.previous, ...intent.written]) {
        const label = locationLabel(entry.address, entry.namespace)
        const orphans = entry.keys.filter((k) => !refs.has(`${label} ${k}`))
        if (orphans.length === 0) continue
        const backend = configuredBackend(configs, entry.address, entry.namespace)
        // A backend the config no longer lists cannot be reached (no password): its chunks
        // stay, as the rest of what is on it.
        if (backend === undefined) continue
        try {
          await deleteShard(
            ctx.pool.get(backend),
            orphans.map((k) => Buffer.from(k, 'hex')),
          )
          chunksDeleted += orphans.length
        } catch (error) {
          failures.push(`${label}: ${(error as Error).message}`)
        }
      }
      if (failures.length > 0) {
        kept.push({ file: name, reason: failures.join('; ') })
        continue
      }
      rmSync(path, { force: true })
      cleared++
    }
    return { cleared, chunksDeleted, kept }
  }
}
