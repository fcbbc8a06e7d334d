import { describe, expect, it } from 'vitest'
import { AwakeLoop } from '../src/awake-loop.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('AwakeLoop', () => {
  it('keeps the loop polling from a poke until its window has passed, then stops', async () => {
    const loop = new AwakeLoop(5_000)
    expect(loop.polling).toBe(false)
    loop.poke()
    expect(loop.polling).toBe(true)
    // A poke inside the window extends it rather than starting a second poller.
    await sleep(2)
    loop.poke()
    expect(loop.polling).toBe(true)
    await sleep(50)
    expect(loop.polling).toBe(false)
  })

  it('never polls with a window of 0', () => {
    const loop = new AwakeLoop(0)
    loop.poke()
    expect(loop.polling).toBe(false)
  })
})
