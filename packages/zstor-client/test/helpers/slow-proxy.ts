import { connect, createServer, type Server, type Socket } from 'node:net'

/** A TCP proxy to `127.0.0.1:target` that holds every reply for `delay` ms. */
export async function slowProxy(
  target: number,
  delay: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: target })
    sockets.add(client).add(upstream)
    client.pipe(upstream)
    upstream.on('data', (chunk) => setTimeout(() => client.writable && client.write(chunk), delay))
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
