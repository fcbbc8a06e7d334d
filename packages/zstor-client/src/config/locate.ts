/**
 * Line numbers for config errors. smol-toml returns plain values without positions, so this
 * scans the text once more, after it parsed, and records the line where each key, table
 * header, array element and inline table starts, by the same dotted path the config reader
 * uses (`groups[1].backends[0].address`). The text is known to be valid TOML by then, so the
 * scan only tracks structure: headers, `[[..]]` counts, keys, strings, arrays, inline tables.
 * @module
 */

/** One step of a path in the parsed TOML: a key, or an index into an array. */
export type PathSegment = string | number
/** A field's place in the config, from the root. */
export type FieldPath = readonly PathSegment[]

const BARE_KEY = /^[A-Za-z0-9_-]+$/

/** `groups[1].backends[0].address`; keys that are not bare TOML keys are quoted. */
export function formatPath(path: FieldPath): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else {
      const key = BARE_KEY.test(segment) ? segment : JSON.stringify(segment)
      out += out === '' ? key : `.${key}`
    }
  }
  return out
}

/** Finds the line of a path in one config text. The scan runs on the first lookup only. */
export class Locator {
  readonly #text: string
  #lines: Map<string, number> | undefined

  constructor(text: string) {
    this.#text = text
  }

  /** The 1-based line of `path`, else of its nearest ancestor that has one; undefined at the root. */
  line(path: FieldPath): number | undefined {
    this.#lines ??= scanLines(this.#text)
    for (let end = path.length; end > 0; end--) {
      const line = this.#lines.get(formatPath(path.slice(0, end)))
      if (line !== undefined) return line
    }
    return undefined
  }
}

const ESCAPES: Record<string, string> = {
  b: '\b',
  t: '\t',
  n: '\n',
  f: '\f',
  r: '\r',
  e: '\x1b',
  '"': '"',
  '\\': '\\',
}

function scanLines(text: string): Map<string, number> {
  const lines = new Map<string, number>()
  // Array-of-tables counts by resolved path: `[[groups.backends]]` extends the last `groups[n]`.
  const arrays = new Map<string, number>()
  let i = 0
  let line = 1

  const record = (path: FieldPath, at: number) => {
    const id = formatPath(path)
    if (!lines.has(id)) lines.set(id, at)
  }
  const skipSpaces = () => {
    while (text[i] === ' ' || text[i] === '\t' || text[i] === '\r') i++
  }
  const skipBlank = () => {
    for (;;) {
      skipSpaces()
      if (text[i] === '#') while (i < text.length && text[i] !== '\n') i++
      if (text[i] !== '\n') return
      line++
      i++
    }
  }
  const skipString = (quote: string, multi: boolean) => {
    const close = multi ? quote.repeat(3) : quote
    i += close.length
    while (i < text.length) {
      const c = text[i]
      if (c === '\n') line++
      if (c === '\\' && quote === '"') {
        if (text[i + 1] === '\n') line++
        i += 2
      } else if (text.startsWith(close, i)) {
        i += close.length
        // A multi-line string may end with up to two extra quotes: `""""a"""""`.
        if (multi) for (let extra = 0; extra < 2 && text[i] === quote; extra++) i++
        return
      } else i++
    }
  }
  const readKey = (): string[] => {
    const keys: string[] = []
    for (;;) {
      skipSpaces()
      const c = text[i]
      if (c === '"') {
        let key = ''
        i++
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\') {
            const e = text[i + 1] ?? ''
            const width = e === 'u' ? 4 : e === 'U' ? 8 : e === 'x' ? 2 : 0
            if (width > 0) {
              key += String.fromCodePoint(Number.parseInt(text.slice(i + 2, i + 2 + width), 16))
              i += 2 + width
            } else {
              key += ESCAPES[e] ?? e
              i += 2
            }
          } else key += text[i++]
        }
        i++
        keys.push(key)
      } else if (c === "'") {
        const end = text.indexOf("'", i + 1)
        if (end < 0) return keys
        keys.push(text.slice(i + 1, end))
        i = end + 1
      } else {
        const start = i
        while (i < text.length && /[A-Za-z0-9_-]/.test(text[i]!)) i++
        if (i === start) return keys
        keys.push(text.slice(start, i))
      }
      skipSpaces()
      if (text[i] !== '.') return keys
      i++
    }
  }
  const recordPrefixes = (base: FieldPath, keys: readonly string[], at: number) => {
    for (let n = 1; n <= keys.length; n++) record([...base, ...keys.slice(0, n)], at)
  }
  const readValue = (path: FieldPath): void => {
    const c = text[i]
    if (c === '"' || c === "'") skipString(c, text.startsWith(c.repeat(3), i))
    else if (c === '[') {
      i++
      for (let index = 0; ; index++) {
        skipBlank()
        if (i >= text.length || text[i] === ']') break
        record([...path, index], line)
        readValue([...path, index])
        skipBlank()
        if (text[i] === ',') i++
      }
      i++
    } else if (c === '{') {
      i++
      for (;;) {
        skipBlank()
        if (i >= text.length || text[i] === '}') break
        readKeyValue(path)
        skipBlank()
        if (text[i] === ',') i++
      }
      i++
    } else {
      // Numbers, booleans and dates; a date may hold a space (`1979-05-27 07:32:00`).
      while (i < text.length && !',]}\n#'.includes(text[i]!)) i++
    }
  }
  const readKeyValue = (table: FieldPath) => {
    const at = line
    const keys = readKey()
    recordPrefixes(table, keys, at)
    skipSpaces()
    if (text[i] === '=') i++
    skipSpaces()
    readValue([...table, ...keys])
  }
  const readHeader = (): FieldPath => {
    const isArray = text[i + 1] === '['
    i += isArray ? 2 : 1
    const keys = readKey()
    skipSpaces()
    i += isArray ? 2 : 1
    const path: PathSegment[] = []
    keys.forEach((key, n) => {
      path.push(key)
      const id = formatPath(path)
      if (isArray && n === keys.length - 1) {
        record(path, line)
        const count = (arrays.get(id) ?? 0) + 1
        arrays.set(id, count)
        path.push(count - 1)
      } else {
        const count = arrays.get(id)
        if (count !== undefined) path.push(count - 1)
      }
      record(path, line)
    })
    return path
  }

  let table: FieldPath = []
  try {
    while (i < text.length) {
      const before = i
      skipBlank()
      if (i >= text.length) break
      if (text[i] === '[') table = readHeader()
      else readKeyValue(table)
      skipSpaces()
      if (text[i] === '#') while (i < text.length && text[i] !== '\n') i++
      // Cannot happen on valid TOML; stops a loop on anything else.
      if (i <= before) break
    }
  } catch {
    // Only reached on text smol-toml refused; the lines found so far are still right.
  }
  return lines
}
