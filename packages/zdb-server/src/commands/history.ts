/**
 * HISTORY (spec zdb.md §1 "HISTORY"; upstream zdbd/commands_history.c): the versions of a key,
 * newest first, following each index entry's `parentid/parentoff`.
 *
 * `HISTORY k` → `*3 $8<ekey of the previous version> $"<timestamp>" $payload`, the ekey being
 * `$-1` when there is no older version; `HISTORY k ekey` → the same for the version at `ekey`.
 * The key must be sent again with an ekey, and must match the entry there, so a forged
 * position cannot read another key's data.
 * @module
 */
import { decodeHistoryKey, encodeHistoryKey, HISTORY_KEY_LENGTH } from '@qsfs/zdb-protocol'
import type { IndexEntry } from '../format/index-file.js'
import { MissingDataError } from '../missing-data.js'
import { refuseFrozen } from './access.js'
import type { CommandContext } from './context.js'
import { MAX_KEY_LENGTH } from './validate.js'

export function history(ctx: CommandContext, args: Buffer[]): void {
  if (args.length !== 2 && args.length !== 3) return void ctx.out.error('Invalid arguments')
  if (refuseFrozen(ctx)) return
  const ns = ctx.client.ns
  const key = args[1]!
  let entry: IndexEntry | null
  if (args.length === 2) {
    const live = key.length <= MAX_KEY_LENGTH ? ns.get(key) : undefined
    entry = live ? ns.readIndexEntry({ fileId: live.fileId, offset: live.idxOffset }) : null
    if (!entry) return void ctx.out.error('Key not found')
  } else {
    const ekey = args[2]!
    if (ekey.length !== HISTORY_KEY_LENGTH) return void ctx.out.error('Invalid arguments')
    const { indexFileId, indexOffset } = decodeHistoryKey(ekey)
    if (indexFileId === 0 && indexOffset === 0) return void ctx.out.error('No more history')
    entry =
      indexFileId <= ns.currentFileId ? ns.readIndexEntry({ fileId: indexFileId, offset: indexOffset }) : null
    if (!entry) return void ctx.out.error('Invalid arguments (index query)')
    if (!entry.key.equals(key)) return void ctx.out.error('Invalid arguments (invalid key)')
  }
  let payload: Buffer
  try {
    payload = ns.readEntryPayload(entry)
  } catch (err) {
    if (err instanceof MissingDataError) throw err
    ctx.server.logger.error(`HISTORY in ${ns.name}: cannot read payload: ${String(err)}`)
    return void ctx.out.error('Internal Error')
  }
  ctx.out.array(3)
  if (entry.parentId === 0 && entry.parentOffset === 0) ctx.out.nil()
  else ctx.out.bulk(encodeHistoryKey({ indexFileId: entry.parentId, indexOffset: entry.parentOffset }))
  ctx.out.bulk(String(entry.timestamp)).bulk(payload)
}
