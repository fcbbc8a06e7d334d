/**
 * What a 0-db must answer to a pipelined mix of operations, as a plain map: the reference the
 * property tests (group commit, value cache) compare a real server with.
 */
import { text } from './client.js'

export type ModelOp =
  | { op: 'SET'; key: string; value: string }
  | { op: 'DEL'; key: string }
  | { op: 'GET'; key: string }
  | { op: 'FLUSH' }
  | { op: 'NSJUMP' }

/** The replies to each turn of `turns`, and what the namespace holds afterwards. */
export function model(turns: readonly (readonly ModelOp[])[]): {
  replies: unknown[][]
  state: Map<string, string>
} {
  const state = new Map<string, string>()
  const replies = turns.map((ops) =>
    ops.map((o) => {
      if (o.op === 'FLUSH') {
        state.clear()
        return 'OK'
      }
      if (o.op === 'NSJUMP') return 'OK'
      if (o.op === 'GET') return state.get(o.key) ?? null
      if (o.op === 'DEL') return state.delete(o.key) ? 'OK' : 'Key not found'
      const unchanged = state.get(o.key) === o.value
      state.set(o.key, o.value)
      return unchanged ? null : o.key
    }),
  )
  return { replies, state }
}

/** A server reply in the model's terms: error text, null, or the bulk string as text. */
export const shown = (r: unknown): unknown =>
  r instanceof Error ? r.message : r === null ? null : typeof r === 'string' ? r : text(r as Buffer)
