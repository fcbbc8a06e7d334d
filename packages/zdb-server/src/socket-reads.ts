/**
 * Every connection reads into one shared buffer.
 *
 * Node's stream path allocates a 64 KiB buffer for each socket read, shrinks it to the bytes
 * read, wraps it in a Buffer and pushes it through the Readable machinery. With one request
 * per read (clients that do not pipeline) that costs about a tenth of the server's CPU per
 * request. A socket built with `onread` reads into memory it is given instead, and the read
 * callback runs synchronously right after the `read()`, so all connections can share one
 * buffer: nothing of one read is still in use when the next one, of any socket, lands.
 *
 * The price is that a chunk is valid only during its callback: the request parser copies what
 * it keeps of an unfinished request (`borrowedChunks`), the connection copies the requests it
 * queues, and an append longer than the buffer (append-buffer.ts) cannot be a view of it.
 * A value of 64 KiB or more still to come is read straight into the parser's own buffer
 * instead (`readTarget`), so large values cost no copy at all.
 * With `ZDB_POISON_READS=1` (set by this package's tests) each chunk is overwritten as soon as
 * its callback returns, so a request that kept a view of it shows garbage at once.
 *
 * Node creates server sockets only through the stream path. The socket is rebuilt around the
 * accepted handle with `new Socket({ handle, onread })`, which is how Node itself builds it;
 * where the handle is not there to take (another runtime), the stream path is kept.
 * @module
 */
import { Socket } from 'node:net'

/** Size of the shared buffer: no request element longer than this can be a view of it. */
export const READ_BUFFER_SIZE = 64 * 1024

const shared = Buffer.allocUnsafeSlow(READ_BUFFER_SIZE)
const poison = process.env.ZDB_POISON_READS === '1'

/** A connection's socket and how its bytes arrive. */
export interface ServedSocket {
  readonly socket: Socket
  /** True if chunks are views of the shared buffer, valid during the receiver's call only. */
  readonly borrowed: boolean
  /**
   * Sets the function each chunk read goes to, and optionally where the next read should land
   * instead of the shared buffer (the parser's own buffer for a large value: no copy).
   */
  receive(receiver: (chunk: Buffer) => void, target?: () => Buffer | null): void
}

/** The internals of a `net.Socket` this module relies on. */
interface SocketInternals {
  _handle: { useUserBuffer?: unknown } | null
}

/**
 * Serves `accepted`, a socket of a server created with `pauseOnConnect` (so nothing was read
 * from it yet). `paused`: the new socket does not start reading until `resume()`.
 */
export function serveSocket(accepted: Socket, paused: boolean): ServedSocket {
  let receiver: (chunk: Buffer) => void = () => {}
  let target: () => Buffer | null = () => null
  const receive = (r: (chunk: Buffer) => void, t?: () => Buffer | null): void => {
    receiver = r
    if (t) target = t
  }
  const internals = accepted as unknown as SocketInternals
  const handle = internals._handle
  if (handle === null || typeof handle.useUserBuffer !== 'function') {
    accepted.on('data', (chunk: Buffer) => receiver(chunk))
    if (!paused) accepted.resume()
    return { socket: accepted, borrowed: false, receive }
  }
  // The accepted socket lets go of the handle; destroying it then closes nothing, and only
  // takes it off the server's connection count (the new socket is ours to close).
  internals._handle = null
  accepted.destroy()
  const socket = new Socket({
    handle,
    readable: true,
    writable: true,
    pauseOnCreate: paused,
    onread: {
      // Asked for before the first read and after each one: where the next read lands.
      buffer: () => target() ?? shared,
      callback: (n: number, buffer: Buffer) => {
        receiver(buffer.subarray(0, n))
        if (poison && buffer === shared) shared.fill(0xee, 0, n)
      },
    },
  } as ConstructorParameters<typeof Socket>[0])
  return { socket, borrowed: true, receive }
}
