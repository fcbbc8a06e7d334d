/**
 * The wire suite: behaviour any 0-db v2 server must show (spec zdb.md §1). Set
 * `ZDB_URL=redis://host:port` to aim it at another server; it then needs a server without
 * `--admin` and creates namespaces named `t<pid>-<time>-*`.
 */
import { ReplyError } from '@qsfs/zdb-protocol'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { errorText, TestClient, text } from './helpers/client.js'
import { type Target, wireTarget } from './helpers/server.js'

const run = `t${process.pid}-${Date.now()}`
let target: Target
let c: TestClient
let nsCount = 0

/** Selects a fresh, empty namespace so counts and keys are this test's own. */
async function freshNamespace(): Promise<string> {
  const name = `${run}-${nsCount++}`
  expect(await c.call('NSNEW', name)).toBe('OK')
  expect(await c.call('SELECT', name)).toBe('OK')
  return name
}

beforeAll(async () => {
  target = await wireTarget()
})
afterAll(async () => {
  await target.close()
})
beforeEach(async () => {
  c = await TestClient.connect(target.host, target.port)
  await freshNamespace()
})
afterEach(async () => {
  await c.close()
})

describe('dispatch', () => {
  it('PING replies PONG and ignores extra arguments', async () => {
    expect(await c.call('PING')).toBe('PONG')
    expect(await c.call('PING', 'a', 'b')).toBe('PONG')
  })

  it('command names are case-insensitive prefixes: P runs PING, S runs SET, G runs GET', async () => {
    expect(await c.call('p')).toBe('PONG')
    expect(await c.call('pInG')).toBe('PONG')
    expect(text(await c.call('S', 'k', 'v'))).toBe('k')
    expect(text(await c.call('G', 'k'))).toBe('v')
    expect(text(await c.call('setx', 'k2', 'v2'))).toBe('k2')
    expect(await c.call('E', 'k')).toBe(1)
    expect(await c.call('DB')).toBe(2)
  })

  it('an empty command name and * reply that they are not valid commands', async () => {
    expect(errorText(await c.call(''))).toBe('This is not a valid command')
    expect(errorText(await c.call('*'))).toBe('This is not a valid command')
  })

  it('unknown names and names longer than a table entry are not supported', async () => {
    expect(errorText(await c.call('FOO'))).toBe('Command not supported')
    expect(errorText(await c.call('PINGX'))).toBe('Command not supported')
    expect(errorText(await c.call('HGETALL', 'x'))).toBe('Command not supported')
  })

  it('*0 replies Missing arguments and the connection keeps working', async () => {
    c.write('*0\r\n')
    expect(errorText(await c.next())).toBe('Missing arguments')
    expect(await c.call('PING')).toBe('PONG')
  })

  it('an inline request is refused and the connection closed', async () => {
    c.write('PING\r\n')
    expect(errorText(await c.next())).toBe('Malformed request, array expected')
    await c.ended
  })

  it('1000 pipelined commands written at once get 1000 replies in order', async () => {
    const commands = Array.from({ length: 1000 }, (_, i) =>
      i % 2 === 0 ? ['SET', `p${i}`, `v${i}`] : ['GET', `p${i - 1}`],
    )
    const replies = await c.pipeline(commands)
    expect(replies).toHaveLength(1000)
    for (let i = 0; i < 1000; i++) expect(text(replies[i]!)).toBe(i % 2 === 0 ? `p${i}` : `v${i - 1}`)
  })
})

describe('SET and GET', () => {
  it('SET replies the key and GET returns the value, binary-safe', async () => {
    const key = Buffer.from([0, 1, 2, 255])
    const value = Buffer.from([0, 13, 10, 0, 200])
    expect(await c.call('SET', key, value)).toEqual(key)
    expect(await c.call('GET', key)).toEqual(value)
  })

  it('an unchanged SET replies nil and a changed one replies the key', async () => {
    expect(text(await c.call('SET', 'k', 'same'))).toBe('k')
    expect(await c.call('SET', 'k', 'same')).toBeNull()
    expect(text(await c.call('SET', 'k', 'other'))).toBe('k')
    expect(text(await c.call('GET', 'k'))).toBe('other')
    expect(await c.call('DBSIZE')).toBe(1)
  })

  it('empty values are stored and read back', async () => {
    expect(text(await c.call('SET', 'empty', ''))).toBe('empty')
    expect(text(await c.call('GET', 'empty'))).toBe('')
    expect(await c.call('LENGTH', 'empty')).toBe(0)
  })

  it('a 1 MiB value round-trips', async () => {
    const big = Buffer.alloc(1 << 20, 'abc')
    await c.call('SET', 'big', big)
    const got = await c.call('GET', 'big')
    // toEqual compares a Buffer element by element: seconds for 1 MiB.
    expect(Buffer.isBuffer(got) && got.equals(big)).toBe(true)
  })

  it('SET refuses an empty key, a 256-byte key and a wrong argument count', async () => {
    expect(errorText(await c.call('SET', '', 'v'))).toBe('Invalid argument, key needed')
    expect(errorText(await c.call('SET', 'k'.repeat(256), 'v'))).toBe('Key too large')
    expect(text(await c.call('SET', 'k'.repeat(255), 'v'))).toBe('k'.repeat(255))
    expect(errorText(await c.call('SET', 'k'))).toBe('Unexpected arguments')
    expect(errorText(await c.call('SET', 'a', 'b', 'c', 'd'))).toBe('Unexpected arguments')
  })

  it('GET of a missing key is nil; GET refuses long keys, empty keys and extra arguments', async () => {
    expect(await c.call('GET', 'missing')).toBeNull()
    expect(errorText(await c.call('GET', 'k'.repeat(256)))).toBe('Invalid key')
    expect(errorText(await c.call('GET', ''))).toBe('Invalid argument')
    expect(errorText(await c.call('GET', 'a', 'b'))).toBe('Unexpected arguments')
  })

  it('MGET returns values and nils in order and validates its keys', async () => {
    await c.call('SET', 'a', '1')
    await c.call('SET', 'c', '3')
    const reply = await c.call('MGET', 'a', 'b', 'c')
    expect(Array.isArray(reply) && reply.map((v) => text(v))).toEqual(['1', null, '3'])
    expect(errorText(await c.call('MGET'))).toBe('Invalid arguments')
    expect(errorText(await c.call('MGET', 'a', 'k'.repeat(256)))).toBe('Invalid key')
  })
})

describe('DEL and key queries', () => {
  it('DEL replies OK once, then Key not found; the key is gone', async () => {
    await c.call('SET', 'k', 'v')
    expect(await c.call('DEL', 'k')).toBe('OK')
    expect(errorText(await c.call('DEL', 'k'))).toBe('Key not found')
    expect(await c.call('GET', 'k')).toBeNull()
    expect(await c.call('EXISTS', 'k')).toBe(0)
    expect(await c.call('DBSIZE')).toBe(0)
    expect(errorText(await c.call('DEL', 'never'))).toBe('Key not found')
  })

  it('a key set again after DEL is live again', async () => {
    await c.call('SET', 'k', 'v')
    await c.call('DEL', 'k')
    expect(text(await c.call('SET', 'k', 'v'))).toBe('k')
    expect(text(await c.call('GET', 'k'))).toBe('v')
  })

  it('EXISTS, CHECK, LENGTH and KEYTIME describe a live key', async () => {
    const before = Math.floor(Date.now() / 1000)
    await c.call('SET', 'k', 'hello')
    expect(await c.call('EXISTS', 'k')).toBe(1)
    expect(await c.call('CHECK', 'k')).toBe(1)
    expect(await c.call('LENGTH', 'k')).toBe(5)
    const ts = await c.call('KEYTIME', 'k')
    expect(typeof ts === 'number' && ts >= before - 1 && ts <= before + 60).toBe(true)
  })

  it('EXISTS is 0 and CHECK, LENGTH, KEYTIME are nil for a missing key', async () => {
    expect(await c.call('EXISTS', 'nope')).toBe(0)
    expect(await c.call('CHECK', 'nope')).toBeNull()
    expect(await c.call('LENGTH', 'nope')).toBeNull()
    expect(await c.call('KEYTIME', 'nope')).toBeNull()
  })

  it('one-key queries refuse wrong argument counts, empty keys and long keys', async () => {
    for (const cmd of ['EXISTS', 'CHECK', 'DEL']) {
      expect(errorText(await c.call(cmd))).toBe('Unexpected arguments')
      expect(errorText(await c.call(cmd, ''))).toBe('Invalid argument')
      expect(errorText(await c.call(cmd, 'k'.repeat(256)))).toBe('Invalid key')
    }
  })

  it('DBSIZE counts live keys of the selected namespace', async () => {
    expect(await c.call('DBSIZE')).toBe(0)
    await c.call('SET', 'a', '1')
    await c.call('SET', 'b', '2')
    await c.call('SET', 'a', '3')
    expect(await c.call('DBSIZE')).toBe(2)
  })
})

describe('system and namespaces', () => {
  it('TIME replies seconds and microseconds as bulk strings', async () => {
    const reply = await c.call('TIME')
    expect(Array.isArray(reply)).toBe(true)
    const [sec, usec] = (reply as Buffer[]).map((b) => b.toString())
    expect(Math.abs(Number(sec) - Date.now() / 1000)).toBeLessThan(60)
    expect(Number(usec)).toBeGreaterThanOrEqual(0)
    expect(Number(usec)).toBeLessThan(1_000_000)
  })

  it('INFO is bulk text with the server, clients, internals and stats sections', async () => {
    const info = text(await c.call('INFO'))!
    for (const line of [
      '# server',
      'server_name: 0-db (zdb)',
      '# clients',
      '# internals',
      'sequential_key_size: 8',
      '# stats',
    ]) {
      expect(info.split('\n')).toContain(line)
    }
    for (const field of [
      'instance_id',
      'boot_time',
      'uptime',
      'clients_lifetime',
      'commands_executed',
      'network_tx_mb',
    ]) {
      expect(info).toMatch(new RegExp(`^${field}: \\S+$`, 'm'))
    }
  })

  it('NSLIST lists default first and includes created namespaces', async () => {
    const name = `${run}-list`
    expect(await c.call('NSNEW', name)).toBe('OK')
    const names = ((await c.call('NSLIST')) as Buffer[]).map((b) => b.toString())
    expect(names[0]).toBe('default')
    expect(names).toContain(name)
  })

  it('NSNEW refuses reserved and existing names', async () => {
    for (const bad of ['default', '.', '..', 'a/b']) {
      expect(errorText(await c.call('NSNEW', bad))).toBe('This name is not allowed')
    }
    const name = `${run}-dup`
    expect(await c.call('NSNEW', name)).toBe('OK')
    expect(errorText(await c.call('NSNEW', name))).toBe('This namespace is not available')
    expect(errorText(await c.call('NSNEW', 'n'.repeat(129)))).toBe('Namespace too long')
    expect(errorText(await c.call('NSNEW'))).toBe('Unexpected arguments')
  })

  it('SELECT switches namespaces, which keep separate keys', async () => {
    const a = await freshNamespace()
    await c.call('SET', 'k', 'in-a')
    await freshNamespace()
    expect(await c.call('GET', 'k')).toBeNull()
    expect(await c.call('SELECT', a)).toBe('OK')
    expect(text(await c.call('GET', 'k'))).toBe('in-a')
    expect(errorText(await c.call('SELECT', `${run}-missing`))).toBe('Namespace not found')
    expect(errorText(await c.call('SELECT'))).toBe('Invalid argument')
  })

  it('error replies arrive as error values, not as strings', async () => {
    expect(await c.call('FOO')).toBeInstanceOf(ReplyError)
  })
})
