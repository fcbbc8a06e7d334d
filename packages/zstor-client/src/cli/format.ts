/** Human output of the CLI: byte sizes, tables, a progress line. */

export function bytes(n: number | null): string {
  if (n === null) return '-'
  if (n >= Number.MAX_SAFE_INTEGER) return 'unlimited'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

/** A progress line on a terminal's standard error; nothing when it is not a terminal. */
export function progressReporter(
  stream: NodeJS.WriteStream,
  label: string,
): {
  update(done: number, total: number | null): void
  end(): void
} {
  if (!stream.isTTY) return { update() {}, end() {} }
  const started = Date.now()
  let last = 0
  let drawn = false
  return {
    update(done, total) {
      const now = Date.now()
      if (now - last < 100 && done !== total) return
      last = now
      const rate = done / Math.max(0.001, (now - started) / 1000)
      const width = 30
      const part = total ? Math.min(1, done / total) : 0
      const bar = total
        ? `[${'#'.repeat(Math.round(part * width)).padEnd(width)}] ${Math.floor(part * 100)}% `
        : ''
      stream.write(
        `\r${label} ${bar}${bytes(done)}${total ? ` / ${bytes(total)}` : ''} ${bytes(rate)}/s\x1b[K`,
      )
      drawn = true
    },
    end() {
      if (drawn) stream.write('\n')
    },
  }
}
