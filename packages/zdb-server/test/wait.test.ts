/** WAIT (spec zdb.md §1 "WAIT"): an out-of-turn reply when another client runs a command. */
import { describe, expect, it } from 'vitest'
import { errorText, text } from './helpers/client.js'
import { serverFixture } from './helpers/fixture.js'

const f = serverFixture()

describe('WAIT', () => {
  it('replies +SET once another client of the namespace runs SET; the waiter keeps being served meanwhile', async () => {
    await f.start()
    const waiter = await f.connect()
    const other = await f.connect()
    waiter.write('*2\r\n$4\r\nWAIT\r\n$3\r\nSET\r\n')
    // No reply to WAIT yet: the next reply on this connection is the PING's.
    expect(await waiter.call('PING')).toBe('PONG')
    expect(text(await other.call('SET', 'k', 'v'))).toBe('k')
    expect(await waiter.next()).toBe('SET')
  })

  it('WAIT * fires on any valid command of another client, even one that failed', async () => {
    await f.start()
    const waiter = await f.connect()
    const other = await f.connect()
    waiter.write('*2\r\n$4\r\nWAIT\r\n$1\r\n*\r\n')
    expect(errorText(await other.call('DEL', 'missing'))).toBe('Key not found')
    expect(await waiter.next()).toBe('DEL')
  })

  it('ends with -Timeout when only its own client or another namespace runs the command', async () => {
    await f.start()
    const waiter = await f.connect()
    const other = await f.connect()
    expect(await other.call('NSNEW', 'elsewhere')).toBe('OK')
    expect(await other.call('SELECT', 'elsewhere')).toBe('OK')
    waiter.write('*3\r\n$4\r\nWAIT\r\n$3\r\nSET\r\n$3\r\n100\r\n')
    expect(text(await waiter.call('SET', 'mine', 'x'))).toBe('mine')
    expect(text(await other.call('SET', 'theirs', 'y'))).toBe('theirs')
    expect(errorText(await waiter.next())).toBe('Timeout')
  })

  it('refuses bad arguments with upstream errors', async () => {
    await f.start()
    const c = await f.connect()
    expect(errorText(await c.call('WAIT'))).toBe('Invalid arguments')
    expect(errorText(await c.call('WAIT', 'SET', '100', 'x'))).toBe('Invalid arguments')
    expect(errorText(await c.call('WAIT', 'NOPE'))).toBe('Unknown command to watch')
    expect(errorText(await c.call('WAIT', 'SET', '99'))).toBe('Invalid timeout')
    expect(errorText(await c.call('WAIT', 'SET', '1800001'))).toBe('Invalid timeout')
    expect(errorText(await c.call('WAIT', 'SET', 'soon'))).toBe('Invalid timeout')
  })

  it("a new WAIT replaces the client's earlier one", async () => {
    await f.start()
    const waiter = await f.connect()
    const other = await f.connect()
    waiter.write('*2\r\n$4\r\nWAIT\r\n$3\r\nGET\r\n')
    waiter.write('*2\r\n$4\r\nWAIT\r\n$3\r\nDEL\r\n')
    expect(await other.call('GET', 'k')).toBeNull()
    expect(text(await other.call('SET', 'k', 'v'))).toBe('k')
    expect(await other.call('DEL', 'k')).toBe('OK')
    expect(await waiter.next()).toBe('DEL')
  })
})
