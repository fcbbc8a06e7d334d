import { type ProtocolError, ReplyParser, RequestParser, type RespValue } from '../src/index.js'

export type Event = { request: string[] } | { error: ProtocolError }

/** Every way a test feeds a stream: whole, and one byte at a time. */
export const FEEDS = {
  whole: (buf: Buffer): Buffer[] => [buf],
  'byte by byte': (buf: Buffer): Buffer[] => Array.from(buf, (b) => Buffer.from([b])),
}

/** Cuts `buf` at the given offsets (any order, duplicates and out-of-range ignored). */
export function splitAt(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < buf.length))].sort((a, b) => a - b)
  const out: Buffer[] = []
  let start = 0
  for (const p of points) {
    out.push(buf.subarray(start, p))
    start = p
  }
  out.push(buf.subarray(start))
  return out
}

export function parseRequests(
  chunks: readonly Buffer[],
  options: Partial<ConstructorParameters<typeof RequestParser>[0]> = {},
): { events: Event[]; parser: RequestParser } {
  const events: Event[] = []
  const parser = new RequestParser({
    onRequest: (args) => events.push({ request: args.map((a) => a.toString('latin1')) }),
    onError: (error) => events.push({ error }),
    ...options,
  })
  for (const chunk of chunks) parser.feed(chunk)
  return { events, parser }
}

export function parseReplies(chunks: readonly Buffer[]): { replies: RespValue[]; errors: ProtocolError[] } {
  const replies: RespValue[] = []
  const errors: ProtocolError[] = []
  const parser = new ReplyParser({ onReply: (v) => replies.push(v), onError: (e) => errors.push(e) })
  for (const chunk of chunks) parser.feed(chunk)
  return { replies, errors }
}

/** The error events as `[code, reply, close]`, for compact assertions. */
export function errorsOf(events: readonly Event[]): [string, string, boolean][] {
  return events.flatMap((e) => ('error' in e ? [[e.error.code, e.error.reply, e.error.close]] : []))
}

export function requestsOf(events: readonly Event[]): string[][] {
  return events.flatMap((e) => ('request' in e ? [e.request] : []))
}

/** The error `fn` throws, which must be an instance of `type` (anything else fails the test). */
export function thrown<E extends Error>(type: new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn()
  } catch (error) {
    if (error instanceof type) return error
    throw error
  }
  throw new Error(`expected ${type.name} to be thrown`)
}
