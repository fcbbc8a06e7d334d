/**
 * The status page: one self-contained HTML document (inline CSS and JS, no external URL) that
 * polls `api/status` (a `NodeStatus`, see `./types.ts`) every 2 s and draws it, charts included,
 * as inline SVG. Everything the node reports goes in as text (`textContent`), never as HTML.
 *
 * `?interval=MS` in the page's URL changes the poll period (at least 250 ms).
 * @module
 */

/** Poll period of the page, in ms, unless `?interval=` says otherwise. */
export const STATUS_POLL_MS = 2000

const STYLE = `
:root {
  --bg: #f6f7f9; --card: #fff; --fg: #1d2330; --muted: #6b7385; --line: #e2e5ea;
  --ok: #1a7f37; --warn: #b26b00; --bad: #c62828; --accent: #2f6fdf; --accent2: #8a4fd8;
  --ok-bg: #e6f4ea; --warn-bg: #fff4dc; --bad-bg: #fde8e8;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14171c; --card: #1c2027; --fg: #e3e6eb; --muted: #939aa8; --line: #2c323c;
    --ok: #4cc26a; --warn: #e5a33a; --bad: #ff6b6b; --accent: #6b9cff; --accent2: #b58cff;
    --ok-bg: #17301f; --warn-bg: #3a2c12; --bad-bg: #3d1c1c;
  }
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; align-items: center; gap: 12px; padding: 14px 24px; border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { font-size: 17px; margin: 0; font-weight: 600; }
header h1 .where { font-weight: 400; color: var(--muted); margin-left: 6px; font-family: ui-monospace, monospace; font-size: 14px; }
.dot { width: 10px; height: 10px; border-radius: 50%; background: var(--muted); flex: none; }
.dot.ok { background: var(--ok); } .dot.warn { background: var(--warn); } .dot.bad { background: var(--bad); }
.updated { margin-left: auto; color: var(--muted); font-size: 12px; }
.banner { margin: 16px 24px 0; padding: 10px 14px; border-radius: 6px; background: var(--bad-bg); color: var(--bad); border: 1px solid var(--bad); }
.banner[hidden] { display: none; }
main { padding: 16px 24px 32px; max-width: 1280px; transition: opacity .2s; }
body.offline main { opacity: .45; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(215px, 1fr)); gap: 14px; }
.card, .panel { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 10px; font-weight: 600; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 4px 14px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
.big { font-size: 28px; font-weight: 600; line-height: 1.1; }
.sub { color: var(--muted); font-size: 12px; }
.ok { color: var(--ok); } .warn { color: var(--warn); } .bad { color: var(--bad); }
.bar { height: 8px; border-radius: 4px; background: var(--line); overflow: hidden; margin: 8px 0 10px; }
.bar > span { display: block; height: 100%; width: 0; background: var(--ok); transition: width .3s; }
.bar.warn > span { background: var(--warn); } .bar.bad > span { background: var(--bad); }
section + section { margin-top: 16px; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 500; font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:last-child td { border-bottom: 0; }
.state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.state-healthy { background: var(--ok-bg); color: var(--ok); }
.state-degraded, .state-low-space { background: var(--warn-bg); color: var(--warn); }
.state-unreachable { background: var(--bad-bg); color: var(--bad); }
.reason { display: block; color: var(--muted); font-size: 12px; margin-top: 2px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 14px; }
figure { margin: 0; }
figcaption { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: baseline; margin-bottom: 6px; }
figcaption h2 { margin: 0; }
.legend { font-size: 12px; color: var(--muted); }
.legend i { display: inline-block; width: 10px; height: 3px; vertical-align: middle; margin-right: 4px; border-radius: 2px; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart text { fill: var(--muted); font-size: 10px; font-family: system-ui, sans-serif; }
svg.chart .grid { stroke: var(--line); stroke-width: 1; }
svg.chart path.line { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
svg.chart path.area { stroke: none; opacity: .15; }
.empty { color: var(--muted); }
`

const BODY = `
<header>
  <span class="dot" id="overall" data-testid="overall" title="connecting"></span>
  <h1>qsfs node<span class="where" id="where"></span></h1>
  <span class="updated" data-testid="updated" id="updated">connecting…</span>
</header>
<div class="banner" data-testid="offline" id="offline" role="alert" hidden>
  <strong id="offline-title">Node not reachable.</strong> <span id="offline-detail"></span>
</div>
<main id="main" aria-busy="true">
  <section class="cards">
    <article class="card">
      <h2>Node</h2>
      <dl>
        <dt>Mountpoint</dt><dd class="mono" data-testid="mountpoint">…</dd>
        <dt>Mounted</dt><dd data-testid="mounted">…</dd>
        <dt>Uptime</dt><dd data-testid="uptime">…</dd>
        <dt>Version</dt><dd data-testid="version">…</dd>
        <dt>Directory</dt><dd class="mono" data-testid="dir">…</dd>
      </dl>
    </article>
    <article class="card">
      <h2>Data safety</h2>
      <dl>
        <dt>Last upload</dt><dd data-testid="last-upload">…</dd>
        <dt>Loss window</dt><dd data-testid="loss-window">…</dd>
      </dl>
      <div class="bar" id="loss-bar" data-testid="loss-bar"><span></span></div>
      <dl>
        <dt>Uploaded</dt><dd data-testid="uploaded">…</dd>
        <dt>Fetched</dt><dd data-testid="fetched">…</dd>
      </dl>
    </article>
    <article class="card">
      <h2>Upload queue</h2>
      <div class="big" data-testid="queue-depth">…</div>
      <div class="sub">waiting or running</div>
      <dl style="margin-top:8px">
        <dt>Running</dt><dd data-testid="queue-running">…</dd>
        <dt>Failing</dt><dd data-testid="queue-failing">…</dd>
        <dt>Last error</dt><dd class="mono" data-testid="queue-last-error">…</dd>
      </dl>
    </article>
    <article class="card">
      <h2>Local cache</h2>
      <div data-testid="cache-used">…</div>
      <div class="bar" id="cache-bar" data-testid="cache-bar"><span></span></div>
      <dl>
        <dt>Segments</dt><dd data-testid="cache-segments">…</dd>
        <dt>Fetched back</dt><dd data-testid="cache-fetches">…</dd>
      </dl>
    </article>
    <article class="card">
      <h2>Shard health</h2>
      <div data-testid="shards">…</div>
    </article>
  </section>
  <section class="panel">
    <h2>Backends</h2>
    <table>
      <thead>
        <tr><th>Role</th><th>Address</th><th>Namespace</th><th>State</th><th class="num">Used</th><th class="num">Free</th></tr>
      </thead>
      <tbody id="backends" data-testid="backends"></tbody>
    </table>
  </section>
  <section class="charts">
    <figure class="panel">
      <figcaption><h2>Throughput</h2>
        <span class="legend"><i style="background:var(--accent)"></i>upload <span id="now-upload"></span></span>
        <span class="legend"><i style="background:var(--accent2)"></i>fetch <span id="now-fetch"></span></span>
      </figcaption>
      <svg class="chart" data-testid="chart-throughput" viewBox="0 0 400 160" role="img" aria-label="upload and fetch throughput"></svg>
    </figure>
    <figure class="panel">
      <figcaption><h2>Upload queue depth</h2><span class="legend" id="now-queue"></span></figcaption>
      <svg class="chart" data-testid="chart-queue" viewBox="0 0 400 160" role="img" aria-label="upload queue depth"></svg>
    </figure>
    <figure class="panel">
      <figcaption><h2>Cache use</h2><span class="legend" id="now-cache"></span></figcaption>
      <svg class="chart" data-testid="chart-cache" viewBox="0 0 400 160" role="img" aria-label="local cache use"></svg>
    </figure>
  </section>
</main>
`

// Plain browser JavaScript (no backquotes in it: it lives in a template literal).
const SCRIPT = String.raw`
(() => {
  'use strict'
  const params = new URLSearchParams(location.search)
  const INTERVAL = Math.max(250, Number(params.get('interval')) || ${STATUS_POLL_MS})
  const TIMEOUT = Math.max(5000, INTERVAL)
  const $ = (id) => document.getElementById(id)
  const T = (testid) => document.querySelector('[data-testid="' + testid + '"]')
  const SVG = T('chart-queue').namespaceURI // the page names no URL, not even this one
  let lastOk = 0
  let skew = 0 // server clock minus ours, when they differ by more than a few seconds

  const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB']
  function bytes(n) {
    if (n === null || n === undefined || !Number.isFinite(n)) return '—'
    let v = Math.abs(n)
    let u = 0
    while (v >= 1024 && u < UNITS.length - 1) { v /= 1024; u++ }
    const s = u === 0 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v.toFixed(1).replace(/\.0$/, '')
    return (n < 0 ? '-' : '') + s + ' ' + UNITS[u]
  }
  const rate = (n) => bytes(n) + '/s'
  const count = (n) => (Number.isFinite(n) ? n.toLocaleString('en-US') : '—')
  // coarse: no seconds past the first minute (for times ago, which move on every poll)
  function duration(sec, coarse) {
    if (!Number.isFinite(sec)) return '—'
    sec = Math.max(0, coarse ? Math.floor(sec) : Math.round(sec))
    if (sec < 60) return sec + ' s'
    const m = Math.floor(sec / 60), s = sec % 60
    if (m < 60) return m + ' min' + (s && !coarse ? ' ' + s + ' s' : '')
    const h = Math.floor(m / 60), mm = m % 60
    if (h < 48) return h + ' h' + (mm ? ' ' + mm + ' min' : '')
    const d = Math.floor(h / 24), hh = h % 24
    return d + ' d' + (hh ? ' ' + hh + ' h' : '')
  }
  const now = () => Date.now() + skew
  const ago = (t) => (t > now() + 1000 ? 'in ' + duration((t - now()) / 1000, true) : duration((now() - t) / 1000, true) + ' ago')
  const pad = (n) => String(n).padStart(2, '0')
  function clock(t) {
    const d = new Date(t)
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds())
  }
  function el(tag, attrs, text) {
    const e = document.createElement(tag)
    for (const k in attrs || {}) e.setAttribute(k, attrs[k])
    if (text !== undefined && text !== null) e.textContent = String(text)
    return e
  }
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag)
    for (const k in attrs || {}) e.setAttribute(k, String(attrs[k]))
    if (text !== undefined) e.textContent = String(text)
    return e
  }
  function set(testid, text, cls) {
    const e = T(testid)
    e.textContent = text
    if (cls !== undefined) e.className = (e.className.includes('mono') ? 'mono ' : '') + cls
    return e
  }
  function bar(id, fraction, cls) {
    const b = $(id)
    b.className = 'bar' + (cls ? ' ' + cls : '')
    b.firstElementChild.style.width = Math.max(0, Math.min(1, fraction || 0)) * 100 + '%'
  }

  // ---- charts ----
  const W = 400, H = 160, L = 58, R = 6, TOP = 8, B = 18
  function niceMax(v) {
    if (!(v > 0)) return 1
    const p = Math.pow(10, Math.floor(Math.log10(v)))
    for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p
    return 10 * p
  }
  function niceMaxBytes(v) {
    if (!(v > 0)) return 1
    let unit = 1
    while (v / unit >= 1024) unit *= 1024
    return niceMax(v / unit) * unit
  }
  // series: [{ name, color, values: number[], area }]; ts: sample times
  function chart(node, ts, series, fmt, isBytes) {
    node.replaceChildren()
    node.setAttribute('data-points', String(ts.length))
    if (ts.length === 0) {
      node.appendChild(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'no samples yet'))
      return
    }
    let max = 0
    for (const s of series) for (const v of s.values) if (Number.isFinite(v) && v > max) max = v
    const top = isBytes ? niceMaxBytes(max) : niceMax(max)
    const t0 = ts[0], t1 = ts[ts.length - 1]
    const x = (t) => (t1 === t0 ? W - R : L + ((t - t0) / (t1 - t0)) * (W - L - R))
    const y = (v) => TOP + (1 - Math.max(0, v) / top) * (H - TOP - B)
    for (const f of [0, 0.5, 1]) {
      const yy = y(top * f)
      node.appendChild(svg('line', { x1: L, x2: W - R, y1: yy, y2: yy, class: 'grid' }))
      node.appendChild(svg('text', { x: L - 6, y: yy + 4, 'text-anchor': 'end' }, fmt(top * f)))
    }
    node.appendChild(svg('text', { x: L, y: H - 5, 'text-anchor': 'start' }, clock(t0)))
    node.appendChild(svg('text', { x: W - R, y: H - 5, 'text-anchor': 'end' }, clock(t1)))
    for (const s of series) {
      const pts = []
      s.values.forEach((v, i) => { if (Number.isFinite(v)) pts.push([x(ts[i]), y(v)]) })
      if (pts.length === 0) continue
      if (pts.length === 1) {
        node.appendChild(svg('circle', { cx: pts[0][0], cy: pts[0][1], r: 3.5, fill: s.color, 'data-series': s.name }))
        continue
      }
      const d = pts.map((p, i) => (i ? 'L' : 'M') + p[0].toFixed(1) + ' ' + p[1].toFixed(1)).join(' ')
      if (s.area) {
        const base = y(0).toFixed(1)
        const area = d + ' L' + pts[pts.length - 1][0].toFixed(1) + ' ' + base + ' L' + pts[0][0].toFixed(1) + ' ' + base + ' Z'
        node.appendChild(svg('path', { d: area, class: 'area', fill: s.color }))
      }
      const line = svg('path', { d, class: 'line', stroke: s.color, 'data-series': s.name })
      line.appendChild(svg('title', {}, s.name + ': ' + fmt(s.values[s.values.length - 1])))
      node.appendChild(line)
    }
  }

  // ---- render ----
  function render(st) {
    const issues = { warn: [], bad: [] }
    $('where').textContent = st.mountpoint
    document.title = 'qsfs ' + st.mountpoint
    set('mountpoint', st.mountpoint)
    set('mounted', st.mounted ? 'yes' : 'no', st.mounted ? 'ok' : 'bad')
    if (!st.mounted) issues.bad.push('not mounted')
    set('uptime', duration((now() - st.startedAt) / 1000, true))
    T('uptime').title = 'since ' + new Date(st.startedAt).toLocaleString()
    set('version', st.version)
    set('dir', st.dir)

    // data safety
    const lu = set('last-upload', st.lastUpload === null ? 'none yet' : ago(st.lastUpload))
    lu.title = st.lastUpload === null ? '' : new Date(st.lastUpload).toLocaleString()
    const lw = st.lossWindowSeconds, lim = st.lossWindowLimit
    const frac = lim > 0 ? lw / lim : lw > 0 ? 1 : 0
    const lwCls = frac >= 1 ? 'bad' : frac >= 0.75 ? 'warn' : 'ok'
    set('loss-window', duration(lw) + ' of ' + duration(lim) + ' limit', lwCls)
    bar('loss-bar', frac, lwCls === 'ok' ? '' : lwCls)
    if (lwCls !== 'ok') issues[lwCls].push('loss window')
    set('uploaded', bytes(st.uploadedBytes))
    set('fetched', bytes(st.fetchedBytes))

    // queue
    const q = st.queue
    set('queue-depth', count(q.depth))
    set('queue-running', count(q.running))
    set('queue-failing', count(q.failing), q.failing > 0 ? 'bad' : '')
    set('queue-last-error', q.lastError === null ? '—' : q.lastError, q.lastError === null ? '' : 'bad')
    if (q.failing > 0) issues.warn.push('uploads failing')

    // cache
    const c = st.cache
    const cf = c.limitBytes > 0 ? c.usedBytes / c.limitBytes : 0
    const cacheCls = cf > 1 ? 'bad' : cf >= 0.9 ? 'warn' : ''
    set('cache-used', bytes(c.usedBytes) + ' of ' + bytes(c.limitBytes) + ' (' + Math.round(cf * 100) + '%)')
    bar('cache-bar', cf, cacheCls)
    set('cache-segments', count(c.localSegments) + ' local · ' + count(c.evictedSegments) + ' evicted')
    set('cache-fetches', count(c.fetches))

    // shards
    const sh = T('shards')
    sh.replaceChildren()
    if (st.shards === null) {
      sh.appendChild(el('span', { class: 'empty' }, 'not checked yet'))
    } else {
      const s = st.shards
      const cls = s.lost > 0 ? 'bad' : s.degraded > 0 ? 'warn' : 'ok'
      if (cls !== 'ok') issues[cls].push('shards')
      const head = s.lost > 0 ? count(s.lost) + ' lost' : s.degraded > 0 ? count(s.degraded) + ' degraded' : 'all healthy'
      sh.appendChild(el('div', { class: 'big ' + cls, 'data-testid': 'shards-summary' }, head))
      const dl = el('dl', { style: 'margin-top:8px' })
      for (const [k, v, vc] of [['Files', s.files, ''], ['Healthy', s.healthy, ''], ['Degraded', s.degraded, s.degraded ? 'warn' : ''], ['Lost', s.lost, s.lost ? 'bad' : '']]) {
        dl.append(el('dt', {}, k), el('dd', { class: vc, 'data-testid': 'shards-' + k.toLowerCase() }, count(v)))
      }
      dl.append(el('dt', {}, 'Checked'), el('dd', { title: new Date(s.checkedAt).toLocaleString() }, ago(s.checkedAt)))
      sh.appendChild(dl)
    }

    // backends
    const tb = $('backends')
    const rows = []
    for (const b of st.backends) {
      const tr = el('tr', { 'data-testid': 'backend-row' })
      const state = el('td')
      state.append(el('span', { class: 'state state-' + b.state, 'data-testid': 'backend-state' }, b.state))
      if (b.reason) state.append(el('span', { class: 'reason', 'data-testid': 'backend-reason' }, b.reason))
      tr.append(el('td', {}, b.role), el('td', { class: 'mono' }, b.address), el('td', { class: 'mono' }, b.namespace), state,
        el('td', { class: 'num' }, bytes(b.usedBytes)), el('td', { class: 'num' }, bytes(b.freeBytes)))
      rows.push(tr)
      if (b.state === 'unreachable') issues.bad.push('backend unreachable')
      else if (b.state !== 'healthy') issues.warn.push('backend ' + b.state)
    }
    if (rows.length === 0) {
      const tr = el('tr')
      tr.append(el('td', { colspan: '6', class: 'empty' }, 'no backends configured'))
      rows.push(tr)
    }
    tb.replaceChildren(...rows)

    // charts
    const h = st.history
    const ts = h.map((s) => s.t)
    chart(T('chart-throughput'), ts, [
      { name: 'upload', color: 'var(--accent)', values: h.map((s) => s.uploadRate) },
      { name: 'fetch', color: 'var(--accent2)', values: h.map((s) => s.fetchRate) },
    ], rate, true)
    chart(T('chart-queue'), ts, [{ name: 'queue depth', color: 'var(--warn)', values: h.map((s) => s.queueDepth) }], (v) => count(Math.round(v)), false)
    chart(T('chart-cache'), ts, [{ name: 'cache used', color: 'var(--ok)', values: h.map((s) => s.cacheUsedBytes), area: true }], bytes, true)
    const last = h[h.length - 1]
    $('now-upload').textContent = last ? rate(last.uploadRate) : ''
    $('now-fetch').textContent = last ? rate(last.fetchRate) : ''
    $('now-queue').textContent = last ? 'now ' + count(last.queueDepth) : ''
    $('now-cache').textContent = last ? 'now ' + bytes(last.cacheUsedBytes) + ' of ' + bytes(c.limitBytes) : ''

    const dot = $('overall')
    const level = issues.bad.length ? 'bad' : issues.warn.length ? 'warn' : 'ok'
    dot.className = 'dot ' + level
    dot.title = level === 'ok' ? 'all good' : issues.bad.concat(issues.warn).join(', ')
  }

  function showOffline(title, detail) {
    document.body.classList.add('offline')
    $('offline-title').textContent = title
    $('offline-detail').textContent = detail + (lastOk ? ' — the data below is from ' + clock(lastOk) + ' (' + duration((Date.now() - lastOk) / 1000, true) + ' ago).' : '.') + ' Retrying every ' + (INTERVAL < 1000 ? INTERVAL + ' ms' : duration(INTERVAL / 1000)) + '.'
    $('offline').hidden = false
    $('overall').className = 'dot bad'
    $('overall').title = 'node not reachable'
    document.title = '⚠ ' + document.title.replace(/^⚠ /, '')
  }

  async function poll() {
    const ctl = new AbortController()
    const timer = setTimeout(() => ctl.abort(), TIMEOUT)
    let st
    try {
      const res = await fetch('api/status', { cache: 'no-store', signal: ctl.signal, headers: { accept: 'application/json' } })
      if (!res.ok) {
        let why = 'HTTP ' + res.status
        try { const j = await res.json(); if (j && j.error) why += ': ' + j.error } catch (_) {}
        throw new Error(why)
      }
      st = await res.json()
      const date = Date.parse(res.headers.get('date') || '')
      if (Number.isFinite(date)) skew = Math.abs(date - Date.now()) > 5000 ? date - Date.now() : 0
    } catch (e) {
      showOffline('Node not reachable.', ctl.signal.aborted ? 'No answer in ' + duration(TIMEOUT / 1000) : (e && e.message) || String(e))
      return
    } finally {
      clearTimeout(timer)
    }
    try {
      render(st)
    } catch (e) {
      showOffline('Cannot show the status.', 'Unexpected answer from the node: ' + ((e && e.message) || String(e)))
      return
    }
    lastOk = Date.now()
    document.body.classList.remove('offline')
    $('offline').hidden = true
    $('main').removeAttribute('aria-busy')
    $('updated').textContent = 'updated ' + clock(lastOk)
  }

  async function loop() {
    await poll()
    setTimeout(loop, INTERVAL)
  }
  loop()
})()
`

/** The status page, a complete HTML document. */
export function statusPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>qsfs node</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${SCRIPT}</script>
</body>
</html>
`
}
