/**
 * The logging seam: the server never writes to the console itself, so an embedding program
 * decides where messages go.
 * @module
 */

/** Receives one line per event, without a trailing newline. */
export interface ZdbLogger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

const noop = (): void => {}

/** Drops everything (the default of `createZdbServer`, so embedding is quiet). */
export const silentLogger: ZdbLogger = { debug: noop, info: noop, warn: noop, error: noop }

/** Writes `info` to stdout and `warn`/`error` to stderr; `debug` only when `verbose`. */
export function consoleLogger(verbose = false): ZdbLogger {
  return {
    debug: verbose ? (m) => process.stderr.write(`[debug] ${m}\n`) : noop,
    info: (m) => process.stdout.write(`${m}\n`),
    warn: (m) => process.stderr.write(`[warn] ${m}\n`),
    error: (m) => process.stderr.write(`[error] ${m}\n`),
  }
}
