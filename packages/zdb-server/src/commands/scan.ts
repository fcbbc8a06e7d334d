/**
 * SCAN/SCANX, RSCAN and KEYCUR (spec zdb.md §1 "SCAN / RSCAN"; upstream zdbd/commands_scan.c,
 * libzdb/index_scan.c, `index_entry_deserialize` in libzdb/index.c).
 *
 * Reply: `*2 $17<cursor of the last entry> *N (*3 $key :size :timestamp)..`. A reply holds at
 * most {@link SCAN_MAX_ENTRIES} entries and, like upstream, stops collecting after a 2 ms
 * slice (it always holds at least one entry). Skipping deleted entries is not time-bounded,
 * as upstream.
 * @module
 */
import { decodeScanCursor, encodeScanCursor, SCAN_CURSOR_LENGTH } from '@qsfs/zdb-protocol'
import type { IndexEntry } from '../format/index-file.js'
import { IndexWalker, type LocatedEntry } from '../index-walk.js'
import type { EntryLocation, Namespace } from '../namespace.js'
import { refuseFrozen } from './access.js'
import type { CommandContext } from './context.js'
import { expectArgs, MAX_KEY_LENGTH } from './validate.js'

/** Most entries in one SCAN/RSCAN reply. */
export const SCAN_MAX_ENTRIES = 1024
/** Upstream's `SCAN_TIMESLICE_US`: 2 ms. */
const SCAN_SLICE_MS = 2

export function scan(ctx: CommandContext, args: Buffer[]): void {
  if (!refuseFrozen(ctx)) walk(ctx, args, 'forward')
}

export function rscan(ctx: CommandContext, args: Buffer[]): void {
  if (!refuseFrozen(ctx)) walk(ctx, args, 'backward')
}

/** `KEYCUR k`: the 17-byte cursor of a live key, to SCAN from it; `-Key not found`. */
export function keycur(ctx: CommandContext, args: Buffer[]): void {
  if (!expectArgs(ctx, args, 2)) return
  if (refuseFrozen(ctx)) return
  const key = args[1]!
  const entry = key.length <= MAX_KEY_LENGTH ? ctx.client.ns.get(key) : undefined
  if (!entry) return void ctx.out.error('Key not found')
  ctx.out.bulk(
    encodeScanCursor({
      idLength: entry.key.length,
      indexFileId: entry.fileId,
      valueLength: entry.length,
      indexOffset: entry.idxOffset,
      crc: entry.crc,
    }),
  )
}

function walk(ctx: CommandContext, args: Buffer[], direction: 'forward' | 'backward'): void {
  const ns = ctx.client.ns
  const walker = new IndexWalker(ns)
  const found: LocatedEntry[] = []
  let at: EntryLocation
  let current: IndexEntry
  // Upstream reads only argv[1]; further arguments are ignored.
  if (args.length === 1) {
    const start = direction === 'forward' ? walker.first() : walker.last()
    if (!start) return void ctx.out.error('No more data')
    found.push(start)
    at = start
    current = start.entry
  } else {
    const from = cursorEntry(ns, walker, args[1]!)
    if (!from) return void ctx.out.error('Invalid key format')
    at = from
    current = from.entry
  }
  const started = performance.now()
  while (found.length < SCAN_MAX_ENTRIES) {
    if (found.length > 0 && performance.now() - started >= SCAN_SLICE_MS) break
    const step = direction === 'forward' ? walker.next(at, current) : walker.previous(at, current)
    if (!step) break
    found.push(step)
    at = step
    current = step.entry
  }
  if (found.length === 0) return void ctx.out.error('No more data')
  const last = found.at(-1)!
  ctx.out.array(2).bulk(cursorOf(last)).array(found.length)
  for (const { entry } of found)
    ctx.out.array(3).bulk(entry.key).integer(entry.length).integer(entry.timestamp)
}

function cursorOf(e: LocatedEntry): Buffer {
  return encodeScanCursor({
    idLength: e.entry.key.length,
    indexFileId: e.fileId,
    valueLength: e.entry.length,
    indexOffset: e.offset,
    crc: e.entry.crc,
  })
}

/**
 * The entry a client cursor names, or null if the cursor is not 17 bytes or its key length,
 * value length or CRC differ from the entry at its position (so a forged offset is refused).
 * A deleted entry is accepted: a cursor stays valid after its key is overwritten or deleted.
 */
function cursorEntry(ns: Namespace, walker: IndexWalker, bytes: Buffer): LocatedEntry | null {
  if (bytes.length !== SCAN_CURSOR_LENGTH) return null
  const c = decodeScanCursor(bytes)
  const at = { fileId: c.indexFileId, offset: c.indexOffset }
  if (at.fileId > ns.currentFileId) return null
  const entry = walker.entryAt(at)
  if (!entry || entry.key.length !== c.idLength || entry.length !== c.valueLength || entry.crc !== c.crc) {
    return null
  }
  return { ...at, entry }
}
