import { createServer } from 'node:net'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type StatusServer, startStatusServer } from '../src/status/http.js'
import { statusPage } from '../src/status/page.js'
import type { BackendView, NodeStatus, Sample } from '../src/status/types.js'
import { CHROMIUM_MISSING, findChromium, inCI, launchChromium } from './helpers/browser.js'

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB

function history(n: number, end: number, stepMs = 5000): Sample[] {
  return Array.from({ length: n }, (_, i) => ({
    t: end - (n - 1 - i) * stepMs,
    uploadRate: Math.round(8 * MiB * (0.5 + 0.5 * Math.sin(i / 3))),
    fetchRate: i % 7 === 0 ? 2 * MiB : 0,
    queueDepth: Math.round(5 + 4 * Math.sin(i / 5)),
    cacheUsedBytes: GiB + i * 4 * MiB,
  }))
}

const BACKENDS: BackendView[] = [
  {
    role: 'meta',
    address: '10.0.0.11:9900',
    namespace: 'qsfs-meta',
    state: 'healthy',
    reason: null,
    usedBytes: 12 * MiB,
    freeBytes: 50 * GiB,
  },
  {
    role: 'data',
    address: '[2a02:1802:5e::223]:9900',
    namespace: 'qsfs-data-1',
    state: 'healthy',
    reason: null,
    usedBytes: 1.5 * GiB,
    freeBytes: 98 * GiB,
  },
  {
    role: 'data',
    address: 'unix:/run/zdb/zdb.sock',
    namespace: 'qsfs-data-2',
    state: 'low-space',
    reason: 'only 2 GiB free',
    usedBytes: 498 * GiB,
    freeBytes: 2 * GiB,
  },
]

function nodeStatus(now = Date.now()): NodeStatus {
  return {
    version: '0.3.0',
    dir: '/var/lib/qsfs',
    mountpoint: '/mnt/qsfs',
    mounted: true,
    startedAt: now - ((2 * 60 + 5) * 60 + 10) * 1000,
    backends: BACKENDS,
    shards: { checkedAt: now - 10 * 60_000, files: 1204, healthy: 1201, degraded: 3, lost: 0 },
    queue: { depth: 7, running: 2, failing: 0, lastError: null },
    cache: { usedBytes: GiB, limitBytes: 4 * GiB, localSegments: 120, evictedSegments: 30, fetches: 5 },
    lastUpload: now - 42_000,
    lossWindowSeconds: 12,
    lossWindowLimit: 60,
    uploadedBytes: 3.25 * GiB,
    fetchedBytes: 200 * MiB,
    history: history(30, now),
  }
}

/** A status server whose answer the test changes at will. */
async function fakeNode(initial: NodeStatus = nodeStatus()) {
  const node = {
    status: initial,
    /** When set, status() throws it. */
    fail: undefined as unknown,
    calls: 0,
    server: undefined as unknown as StatusServer,
  }
  node.server = await startStatusServer({
    status: () => {
      node.calls++
      if (node.fail !== undefined) throw node.fail
      return node.status
    },
  })
  return node
}

describe('status server over HTTP', () => {
  const servers: StatusServer[] = []
  async function start(status: () => Promise<NodeStatus> | NodeStatus) {
    const s = await startStatusServer({ status })
    servers.push(s)
    return s
  }
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })

  it('serves the page, the status JSON and the health check', async () => {
    const st = nodeStatus()
    const s = await start(() => st)
    expect(s.port).toBeGreaterThan(0)
    expect(s.url).toBe(`http://127.0.0.1:${s.port}/`)

    const page = await fetch(s.url)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'")
    const html = await page.text()
    expect(html).toBe(statusPage())
    expect(html).toContain('data-testid="offline"')

    const api = await fetch(new URL('api/status?x=1', s.url))
    expect(api.status).toBe(200)
    expect(api.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(api.headers.get('cache-control')).toBe('no-store')
    expect(await api.json()).toEqual(st)

    const health = await fetch(new URL('healthz', s.url))
    expect(health.status).toBe(200)
    expect(await health.text()).toBe('ok')
  })

  it('awaits an async status()', async () => {
    const st = nodeStatus()
    const s = await start(async () => {
      await new Promise((r) => setTimeout(r, 20))
      return st
    })
    expect(await (await fetch(new URL('api/status', s.url))).json()).toEqual(st)
  })

  it('answers 404 to other paths and 405 to other methods', async () => {
    const s = await start(() => nodeStatus())
    for (const path of ['nope', 'api/status/', 'api', 'index.html', 'healthz/x']) {
      const r = await fetch(new URL(path, s.url))
      expect(r.status, path).toBe(404)
      await r.text()
    }
    for (const [method, path] of [
      ['POST', 'api/status'],
      ['PUT', ''],
      ['DELETE', 'healthz'],
    ] as const) {
      const r = await fetch(new URL(path, s.url), { method, body: method === 'DELETE' ? undefined : '{}' })
      expect(r.status, `${method} /${path}`).toBe(405)
      expect(r.headers.get('allow')).toBe('GET, HEAD')
      await r.text()
    }
    const head = await fetch(new URL('api/status', s.url), { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('cache-control')).toBe('no-store')
    expect(await head.text()).toBe('')
  })

  it('answers 500 with the error when status() throws or rejects, and keeps serving', async () => {
    let fail: unknown
    const st = nodeStatus()
    const s = await start(() => {
      if (fail instanceof Promise) return fail as Promise<NodeStatus>
      if (fail !== undefined) throw fail
      return st
    })
    const api = new URL('api/status', s.url)
    const cases: [unknown, string][] = [
      [new Error('zstor config unreadable'), 'zstor config unreadable'],
      ['plain string', 'plain string'],
      [{ code: 7 }, '{"code":7}'],
    ]
    for (const [thrown, error] of cases) {
      fail = thrown
      const r = await fetch(api)
      expect(r.status).toBe(500)
      expect(r.headers.get('cache-control')).toBe('no-store')
      expect(await r.json()).toEqual({ error })
    }
    fail = Promise.reject(new Error('rejected'))
    ;(fail as Promise<unknown>).catch(() => {})
    let r = await fetch(api)
    expect([r.status, await r.json()]).toEqual([500, { error: 'rejected' }])

    // Something JSON cannot encode is a 500 too.
    fail = undefined
    const bad = { ...st, uploadedBytes: 1n } as unknown as NodeStatus
    const s2 = await start(() => bad)
    r = await fetch(new URL('api/status', s2.url))
    expect(r.status).toBe(500)
    expect(((await r.json()) as { error: string }).error).toMatch(/BigInt/)

    r = await fetch(api)
    expect(r.status).toBe(200)
    expect(await r.json()).toEqual(st)
  })

  it('rejects when the port is taken', async () => {
    const s = await start(() => nodeStatus())
    await expect(startStatusServer({ port: s.port, status: () => nodeStatus() })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    })
  })

  it('listens on the port asked for', async () => {
    const free = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number }
        probe.close(() => resolve(port))
      })
    })
    const s = await start(() => nodeStatus())
    const t = await startStatusServer({ host: '127.0.0.1', port: free, status: () => nodeStatus() })
    servers.push(t)
    expect(t.port).toBe(free)
    expect(t.url).toBe(`http://127.0.0.1:${free}/`)
    expect(s.port).not.toBe(free)
  })

  it('closes with keep-alive connections open, twice without harm', async () => {
    const s = await startStatusServer({ status: () => nodeStatus() })
    const r = await fetch(new URL('api/status', s.url)) // undici keeps the connection open
    await r.json()
    const t0 = Date.now()
    await Promise.all([s.close(), s.close()])
    await s.close()
    expect(Date.now() - t0).toBeLessThan(1000)
    await expect(fetch(new URL('healthz', s.url))).rejects.toThrow()
  })
})

describe('status page markup', () => {
  it('is self-contained: no external URL, script or stylesheet', () => {
    const html = statusPage()
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).not.toMatch(/https?:/i)
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*(?!["']?data:)/i)
    expect(html).not.toMatch(/@import|url\(/i)
    for (const id of [
      'offline',
      'mounted',
      'mountpoint',
      'uptime',
      'version',
      'queue-depth',
      'cache-used',
      'loss-window',
      'last-upload',
      'shards',
      'backends',
      'chart-throughput',
      'chart-queue',
      'chart-cache',
    ]) {
      expect(html).toContain(`data-testid="${id}"`)
    }
  })
})

let chromiumFound: string | undefined | 'bad CHROMIUM_PATH'
try {
  chromiumFound = findChromium()
} catch {
  chromiumFound = 'bad CHROMIUM_PATH' // launchChromium() fails with the reason
}
const skipBrowser = chromiumFound === undefined && !inCI()
if (skipBrowser) console.warn(`${CHROMIUM_MISSING}; skipping the browser tests (under CI=true they fail)`)

describe.skipIf(skipBrowser)('status page in headless Chromium', { timeout: 30_000 }, () => {
  let browser: Browser
  let context: BrowserContext | undefined
  const nodes: Awaited<ReturnType<typeof fakeNode>>[] = []

  beforeAll(async () => {
    browser = await launchChromium()
  }, 90_000)
  afterAll(async () => {
    await browser?.close()
  })
  afterEach(async () => {
    await context?.close()
    context = undefined
    await Promise.all(nodes.splice(0).map((n) => n.server.close()))
  })

  /** Opens the page of a fake node; `problems` collects page errors, CSP violations, foreign requests. */
  async function open(node: Awaited<ReturnType<typeof fakeNode>>, query = '') {
    nodes.push(node)
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`)
    })
    page.on('request', (r) => {
      if (!r.url().startsWith(node.server.url) && !r.url().startsWith('data:'))
        problems.push(`request: ${r.url()}`)
    })
    await page.goto(node.server.url + query)
    await expect.poll(() => text(page, 'mountpoint')).toBe(node.status.mountpoint)
    return { page, problems }
  }

  const text = (page: Page, testid: string) => page.getByTestId(testid).first().textContent()
  // Code run in the page is given as strings: this package is typed without the DOM library.
  const bodyOffline = (page: Page) => page.evaluate("document.body.classList.contains('offline')")
  const texts = (page: Page, testid: string) => page.getByTestId(testid).allTextContents()
  const pathPoints = async (page: Page, chart: string, series: string) => {
    const d = await page.getByTestId(chart).locator(`path[data-series="${series}"]`).getAttribute('d')
    return d?.match(/[ML]/g)?.length ?? 0
  }

  it('shows what the node reports', async () => {
    const node = await fakeNode()
    const { page, problems } = await open(node)

    expect(await text(page, 'mounted')).toBe('yes')
    expect(await page.getByTestId('mounted').getAttribute('class')).toBe('ok')
    expect(await text(page, 'version')).toBe('0.3.0')
    expect(await text(page, 'dir')).toBe('/var/lib/qsfs')
    expect(await text(page, 'uptime')).toBe('2 h 5 min')

    expect(await page.getByTestId('backend-row').count()).toBe(3)
    expect(await texts(page, 'backend-state')).toEqual(['healthy', 'healthy', 'low-space'])
    expect(await page.getByTestId('backend-state').nth(2).getAttribute('class')).toContain('state-low-space')
    expect(await texts(page, 'backend-reason')).toEqual(['only 2 GiB free'])
    const rows = await Promise.all(
      (await page.getByTestId('backend-row').all()).map((tr) => tr.locator('td').allTextContents()),
    )
    expect(rows).toEqual([
      ['meta', '10.0.0.11:9900', 'qsfs-meta', 'healthy', '12 MiB', '50 GiB'],
      ['data', '[2a02:1802:5e::223]:9900', 'qsfs-data-1', 'healthy', '1.5 GiB', '98 GiB'],
      ['data', 'unix:/run/zdb/zdb.sock', 'qsfs-data-2', 'low-spaceonly 2 GiB free', '498 GiB', '2 GiB'],
    ])
    // Colour, not just a class name: a low-space backend is not painted like a healthy one.
    const colours = (await page.evaluate(
      "Array.from(document.querySelectorAll('[data-testid=backend-state]'), (e) => getComputedStyle(e).backgroundColor)",
    )) as string[]
    expect(colours[0]).toBe(colours[1])
    expect(colours[2]).not.toBe(colours[0])

    expect(await text(page, 'shards-summary')).toBe('3 degraded')
    expect(await text(page, 'shards-files')).toBe('1,204')
    expect(await text(page, 'shards')).toContain('10 min ago')

    expect(await text(page, 'queue-depth')).toBe('7')
    expect(await text(page, 'queue-running')).toBe('2')
    expect(await text(page, 'queue-failing')).toBe('0')
    expect(await text(page, 'queue-last-error')).toBe('—')

    expect(await text(page, 'cache-used')).toBe('1 GiB of 4 GiB (25%)')
    expect(await page.evaluate("document.querySelector('[data-testid=cache-bar] span').style.width")).toBe(
      '25%',
    )
    expect(await text(page, 'cache-segments')).toBe('120 local · 30 evicted')
    expect(await text(page, 'cache-fetches')).toBe('5')

    expect(await text(page, 'last-upload')).toMatch(/^4\d s ago$/)
    expect(await text(page, 'loss-window')).toBe('12 s of 1 min limit')
    expect(await page.getByTestId('loss-window').getAttribute('class')).toBe('ok')
    expect(await text(page, 'uploaded')).toBe('3.3 GiB')
    expect(await text(page, 'fetched')).toBe('200 MiB')

    expect(await page.getByTestId('overall').getAttribute('class')).toBe('dot warn')
    expect(await page.getByTestId('offline').isVisible()).toBe(false)
    expect(await page.title()).toBe('qsfs /mnt/qsfs')
    expect(problems).toEqual([])
  })

  it('draws the history as SVG charts', async () => {
    const node = await fakeNode()
    const { page, problems } = await open(node, '?interval=300')

    expect(await pathPoints(page, 'chart-throughput', 'upload')).toBe(30)
    expect(await pathPoints(page, 'chart-throughput', 'fetch')).toBe(30)
    expect(await pathPoints(page, 'chart-queue', 'queue depth')).toBe(30)
    expect(await pathPoints(page, 'chart-cache', 'cache used')).toBe(30)
    expect(await page.getByTestId('chart-cache').locator('path.area').count()).toBe(1)
    // The lines are really drawn: they have a size on the screen. Polled: each refresh of the
    // page replaces the path, and a box asked of the replaced one is null.
    const line = page.getByTestId('chart-throughput').locator('path[data-series="upload"]')
    await expect.poll(async () => (await line.boundingBox())?.width ?? 0).toBeGreaterThan(200)
    await expect.poll(async () => (await line.boundingBox())?.height ?? 0).toBeGreaterThan(20)
    // Axis labels in human units.
    const labels = await page.getByTestId('chart-throughput').locator('text').allTextContents()
    expect(labels).toContain('8 MiB/s')
    expect(await page.getByTestId('chart-cache').locator('text').allTextContents()).toContain('1.2 GiB')

    // A single sample is a point per series; none at all says so.
    node.status = { ...node.status, history: node.status.history.slice(-1) }
    await expect.poll(() => page.getByTestId('chart-throughput').getAttribute('data-points')).toBe('1')
    expect(await page.getByTestId('chart-throughput').locator('circle').count()).toBe(2)
    expect(await page.getByTestId('chart-queue').locator('circle').count()).toBe(1)
    expect(await page.getByTestId('chart-throughput').locator('path').count()).toBe(0)

    node.status = { ...node.status, history: [] }
    await expect.poll(() => text(page, 'chart-queue')).toBe('no samples yet')
    expect(await page.getByTestId('chart-cache').locator('path, circle').count()).toBe(0)
    expect(problems).toEqual([])
  })

  it('follows the node between polls', async () => {
    const node = await fakeNode()
    const { page, problems } = await open(node, '?interval=300')
    const st = node.status

    // A backend goes unreachable, the queue grows and fails, history grows by one sample.
    const backends = st.backends.map((b, i) =>
      i === 1
        ? {
            ...b,
            state: 'unreachable' as const,
            reason: 'connection refused',
            usedBytes: null,
            freeBytes: null,
          }
        : b,
    )
    const last = st.history[st.history.length - 1]!
    node.status = {
      ...st,
      backends,
      queue: { depth: 42, running: 4, failing: 3, lastError: 'put 10.0.0.12:9900: timeout' },
      history: [...st.history, { ...last, t: last.t + 5000, queueDepth: 42 }],
      lossWindowSeconds: 95,
    }
    await expect.poll(() => texts(page, 'backend-state')).toEqual(['healthy', 'unreachable', 'low-space'])
    expect(await page.getByTestId('backend-state').nth(1).getAttribute('class')).toContain(
      'state-unreachable',
    )
    expect(await texts(page, 'backend-reason')).toEqual(['connection refused', 'only 2 GiB free'])
    const cells = await page.getByTestId('backend-row').nth(1).locator('td.num').allTextContents()
    expect(cells).toEqual(['—', '—'])
    expect(await text(page, 'queue-depth')).toBe('42')
    expect(await text(page, 'queue-failing')).toBe('3')
    expect(await text(page, 'queue-last-error')).toBe('put 10.0.0.12:9900: timeout')
    expect(await page.getByTestId('queue-last-error').getAttribute('class')).toContain('bad')
    expect(await text(page, 'loss-window')).toBe('1 min 35 s of 1 min limit')
    expect(await page.getByTestId('loss-window').getAttribute('class')).toBe('bad')
    expect(await pathPoints(page, 'chart-queue', 'queue depth')).toBe(31)
    expect(await page.getByTestId('chart-queue').getAttribute('data-points')).toBe('31')
    expect(await page.getByTestId('overall').getAttribute('class')).toBe('dot bad')

    // A backend is added, the node unmounts, shards are not checked any more, cache fills up.
    node.status = {
      ...node.status,
      backends: [
        ...backends,
        { ...BACKENDS[0]!, role: 'data', address: '10.0.0.14:9900', namespace: 'qsfs-data-3' },
      ],
      mounted: false,
      shards: null,
      cache: { ...st.cache, usedBytes: 3.8 * GiB, localSegments: 460, fetches: 12 },
      lastUpload: null,
    }
    await expect.poll(() => page.getByTestId('backend-row').count()).toBe(4)
    expect(await text(page, 'mounted')).toBe('no')
    expect(await text(page, 'shards')).toBe('not checked yet')
    expect(await text(page, 'cache-used')).toBe('3.8 GiB of 4 GiB (95%)')
    expect(await page.getByTestId('cache-bar').getAttribute('class')).toBe('bar warn')
    expect(await text(page, 'cache-fetches')).toBe('12')
    expect(await text(page, 'last-upload')).toBe('none yet')

    // No backend at all.
    node.status = { ...node.status, backends: [] }
    await expect.poll(() => page.getByTestId('backend-row').count()).toBe(0)
    expect(await text(page, 'backends')).toBe('no backends configured')
    expect(problems).toEqual([])
  })

  it('says the node is not reachable when status() fails, and recovers', async () => {
    const node = await fakeNode()
    const { page, problems } = await open(node, '?interval=300')
    expect(await page.getByTestId('offline').isVisible()).toBe(false)

    node.fail = new Error('zstor config unreadable')
    await expect.poll(() => page.getByTestId('offline').isVisible()).toBe(true)
    const banner = await text(page, 'offline')
    expect(banner).toContain('Node not reachable')
    expect(banner).toContain('HTTP 500: zstor config unreadable')
    expect(banner).toMatch(/data below is from \d\d:\d\d:\d\d/)
    expect(await bodyOffline(page)).toBe(true)
    expect(await page.getByTestId('overall').getAttribute('class')).toBe('dot bad')

    node.fail = undefined
    node.status = { ...node.status, queue: { ...node.status.queue, depth: 3 } }
    await expect.poll(() => page.getByTestId('offline').isVisible()).toBe(false)
    expect(await text(page, 'queue-depth')).toBe('3')
    expect(await bodyOffline(page)).toBe(false)
    expect(problems).toEqual([])
  })

  it('says the node is not reachable when its server is gone (default 2 s poll)', async () => {
    const node = await fakeNode()
    const { page, problems } = await open(node)
    const calls = node.calls
    await node.server.close()
    await expect.poll(() => page.getByTestId('offline').isVisible(), { timeout: 8000 }).toBe(true)
    expect(await text(page, 'offline')).toContain('Node not reachable')
    expect(await text(page, 'offline')).toContain('Retrying every 2 s')
    // The last data stays, dimmed, under the banner.
    expect(await text(page, 'queue-depth')).toBe('7')
    expect(node.calls).toBe(calls)
    expect(problems).toEqual([])
  })

  it('polls every 2 s by default', async () => {
    const node = await fakeNode()
    const { page } = await open(node)
    const calls = node.calls
    await page.waitForTimeout(4500)
    expect(node.calls - calls).toBeGreaterThanOrEqual(2)
    expect(node.calls - calls).toBeLessThanOrEqual(3)
  })

  it('shows what the node says as text, never as HTML', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1"><b>bold</b>'
    const node = await fakeNode({
      ...nodeStatus(),
      mountpoint: '/mnt/<i>x</i>',
      backends: [{ ...BACKENDS[0]!, address: hostile, reason: hostile, state: 'degraded' }],
      queue: { depth: 1, running: 0, failing: 1, lastError: hostile },
    })
    const { page, problems } = await open(node, '?interval=300')
    expect(await page.getByTestId('backend-row').locator('td').nth(1).textContent()).toBe(hostile)
    expect(await text(page, 'queue-last-error')).toBe(hostile)
    expect(await page.locator('main img, main b, header i').count()).toBe(0)
    expect(await page.evaluate('window.__pwned')).toBeUndefined()
    expect(problems).toEqual([])
  })
})
