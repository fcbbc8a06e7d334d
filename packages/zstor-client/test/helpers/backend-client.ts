import { Redis } from 'ioredis'

/** A plain connection to a test zdb on loopback, for setting up and inspecting backends. */
export async function connectTo(port: number): Promise<Redis> {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableReadyCheck: false,
    protocol: 2,
  })
  await redis.connect()
  return redis
}

/** Runs `fn` on a fresh connection to the zdb on `port`, closed after. */
export async function withConnection<T>(port: number, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = await connectTo(port)
  try {
    return await fn(redis)
  } finally {
    redis.disconnect()
  }
}

/** Polls `check` every 100 ms until it holds; throws after `timeout` ms. */
export async function waitFor(check: () => Promise<boolean>, timeout = 30_000): Promise<void> {
  const end = Date.now() + timeout
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 100))
  }
}
