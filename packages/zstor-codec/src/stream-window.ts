/**
 * The bounded, ordered window that the streaming encoder and decoder share: up to `concurrency`
 * objects in flight, results handed on in input order, and the next input pulled only when the
 * consumer has taken a result, so the consumer's pace bounds memory. Internal, not exported.
 * @module
 */
import { StreamError } from './errors.js'

/** Most objects {@link mapOrdered} keeps in flight; each costs about an object's shards. */
export const MAX_STREAM_CONCURRENCY = 16

/** Throws `ERR_STREAM_ARGUMENT` unless `concurrency` is an integer 1..{@link MAX_STREAM_CONCURRENCY}. */
export function checkConcurrency(concurrency: unknown): asserts concurrency is number {
  if (
    typeof concurrency !== 'number' ||
    !Number.isInteger(concurrency) ||
    concurrency < 1 ||
    concurrency > MAX_STREAM_CONCURRENCY
  ) {
    throw new StreamError(
      'ERR_STREAM_ARGUMENT',
      `\`concurrency\` (objects in flight) must be an integer 1..${MAX_STREAM_CONCURRENCY}, got ${typeof concurrency === 'number' ? concurrency : typeof concurrency}`,
    )
  }
}

const nextTurn: () => Promise<void> =
  typeof globalThis.setImmediate === 'function'
    ? () => new Promise((resolve) => setImmediate(resolve))
    : () => new Promise((resolve) => setTimeout(resolve, 0))

/**
 * `work` applied to every item of `items`, yielded in input order, with at most `concurrency`
 * items taken from `items` and not yet yielded. With `concurrency > 1` each job starts on a later
 * event-loop turn, so it runs while the consumer is busy with (say, writing out) an earlier result.
 *
 * When `items` throws, the results of the items before it are yielded first, then its error.
 * When a job fails, its error is thrown in its place and nothing after it is yielded. Stopping
 * early (`break`, `return()`, a thrown error) returns `items`.
 */
export async function* mapOrdered<T, R>(
  items: AsyncIterable<T>,
  concurrency: number,
  work: (item: T) => Promise<R>,
): AsyncGenerator<R, void, undefined> {
  const iterator = items[Symbol.asyncIterator]()
  const window: Promise<R>[] = []
  let failure: { error: unknown } | undefined
  let exhausted = false
  try {
    for (;;) {
      let next: IteratorResult<T>
      try {
        next = await iterator.next()
      } catch (error) {
        exhausted = true
        failure = { error }
        break
      }
      if (next.done) {
        exhausted = true
        break
      }
      const job = concurrency === 1 ? work(next.value) : nextTurn().then(() => work(next.value))
      // A job may fail while an earlier result is with the consumer; its error is rethrown in order.
      job.catch(() => undefined)
      window.push(job)
      if (window.length >= concurrency) yield await window.shift()!
    }
    while (window.length > 0) yield await window.shift()!
    if (failure) throw failure.error
  } finally {
    window.length = 0
    if (!exhausted) await iterator.return?.()
  }
}
