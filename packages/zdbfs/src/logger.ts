/** Where the file system reports what it cannot return to a caller. */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

const noop = (): void => {}

/** Drops everything. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop }

/** `info` to stdout, `warn`/`error` to stderr, `debug` only when `verbose`. */
export function consoleLogger(verbose = false): Logger {
  return {
    debug: verbose ? (m) => console.log(`zdbfs: ${m}`) : noop,
    info: (m) => console.log(`zdbfs: ${m}`),
    warn: (m) => console.error(`zdbfs: ${m}`),
    error: (m) => console.error(`zdbfs: ${m}`),
  }
}
