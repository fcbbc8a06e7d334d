/**
 * Group commit (write-batch.ts): writes of one event-loop turn are deferred and written
 * together. Whatever a pipeline does inside one turn must read back the same during the turn,
 * right after it, and after a restart from the files alone.
 */
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ZdbServer } from '../src/index.js'
import { TestClient, text } from './helpers/client.js'
import { type ModelOp, model, shown } from './helpers/kv-model.js'
import { startServer, type TempDirs, tempDirs } from './helpers/server.js'

let dirs: TempDirs
let server: ZdbServer | undefined
const clients: TestClient[] = []

beforeEach(() => {
  dirs = tempDirs()
})
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close()
  await server?.close()
  server = undefined
  dirs.remove()
})

async function start(datasize?: number): Promise<TestClient> {
  server = await startServer(dirs, datasize === undefined ? {} : { datasize })
  const c = await TestClient.connect('127.0.0.1', server.address.port)
  clients.push(c)
  return c
}

async function restart(datasize?: number): Promise<TestClient> {
  for (const c of clients.splice(0)) await c.close()
  await server!.close()
  return start(datasize)
}

type Op = Extract<ModelOp, { key: string }>

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('SET' as const),
    key: fc.constantFrom('a', 'b', 'c', 'd'),
    value: fc.string({ maxLength: 40 }),
  }),
  fc.record({ op: fc.constant('DEL' as const), key: fc.constantFrom('a', 'b', 'c', 'd') }),
  fc.record({ op: fc.constant('GET' as const), key: fc.constantFrom('a', 'b', 'c', 'd') }),
)

describe('group commit', () => {
  it('any pipelined mix of SET, DEL and GET reads back the same in its turn, after it, and after a restart', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(undefined, 120, 400),
        async (turns, datasize) => {
          dirs.remove()
          dirs = tempDirs()
          const c = await start(datasize)
          const want = model(turns)
          for (const [i, ops] of turns.entries()) {
            const got = await c.pipeline(
              ops.map((o) => (o.op === 'SET' ? [o.op, o.key, o.value] : [o.op, o.key])),
            )
            expect(got.map(shown)).toEqual(want.replies[i])
          }
          const holds = async (d: TestClient) => {
            for (const key of ['a', 'b', 'c', 'd']) {
              expect(text(await d.call('GET', key)), key).toBe(want.state.get(key) ?? null)
            }
            expect(await d.call('DBSIZE')).toBe(want.state.size)
          }
          await holds(c)
          await holds(await restart(datasize))
          for (const cl of clients.splice(0)) await cl.close()
          await server!.close()
          server = undefined
        },
      ),
      { numRuns: 40 },
    )
  }, 60_000)

  it('a write by one client is seen by another client in the same turn', async () => {
    const a = await start()
    const b = await TestClient.connect('127.0.0.1', server!.address.port)
    clients.push(b)
    const [setA, getB] = await Promise.all([a.call('SET', 'k', 'v'), b.call('GET', 'k')])
    expect(text(setA as Buffer)).toBe('k')
    // b's GET ran in the same turn or a later one: either it missed the key or saw it whole.
    expect([null, 'v']).toContain(text(getB as Buffer | null))
    expect(text(await b.call('GET', 'k'))).toBe('v')
  })
})
