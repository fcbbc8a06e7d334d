/**
 * The status page of a real node (local backends, real zstor daemon, no FUSE mount), loaded
 * in headless Chromium: what it shows must be what the node did.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { initNode } from '../src/init.js'
import { type QsfsNode, startNode } from '../src/node/node.js'
import { CHROMIUM_MISSING, findChromium, inCI, launchChromium } from './helpers/browser.js'

const available = findChromium() !== undefined
if (!available && inCI()) throw new Error(CHROMIUM_MISSING)

let dir: string
let node: QsfsNode
let browser: Browser | undefined

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qsfs-live-'))
  initNode({ dir, local: 3, segmentSize: 64 * 1024, lossWindow: 2, statusListen: '127.0.0.1:0' })
  node = await startNode({ dir, mount: false, log: () => {} })
  const zdb = new Redis({
    path: node.layout.zdbSocket,
    protocol: 2,
    enableReadyCheck: false,
    disableClientInfo: true,
  })
  await zdb.call('NSNEW', 'live')
  await zdb.call('SELECT', 'live')
  for (let i = 0; i < 40; i++) await zdb.call('SET', `k${i}`, Buffer.alloc(8192, i))
  zdb.disconnect()
  // Segments of 64 KiB: the 320 KiB written closed several, and the uploads finish.
  await node.offloader.flush(30_000)
  if (available) browser = await launchChromium()
}, 90_000)

afterAll(async () => {
  await browser?.close()
  await node?.stop()
  rmSync(dir, { recursive: true, force: true })
})

it.skipIf(!available)(
  'shows the backends, uploads and cache of the running node',
  async () => {
    const page = await browser!.newPage()
    await page.goto(`${node.statusUrl}?interval=300`)
    const rows = page.getByTestId('backend-row')
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(6)
    const states = await page.getByTestId('backend-state').allTextContents()
    expect(states.every((s) => /healthy/i.test(s))).toBe(true)
    await expect.poll(() => page.getByTestId('queue-depth').textContent(), { timeout: 10_000 }).toBe('0')
    expect(await page.getByTestId('last-upload').textContent()).not.toMatch(/never/i)
    expect(await page.getByTestId('mountpoint').textContent()).toBe(node.config.mountpoint)
    expect(await page.getByTestId('mounted').textContent()).toMatch(/no/i)
    const status = await node.status()
    expect(status.uploadedBytes).toBeGreaterThan(300 * 1024)
    expect(await page.getByTestId('uploaded').textContent()).toMatch(/KiB|MiB/)
    await page.close()
  },
  60_000,
)
