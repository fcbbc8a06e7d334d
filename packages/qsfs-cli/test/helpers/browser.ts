/**
 * Headless Chromium for the page tests: Debian's `chromium` package (scripts/setup.sh installs
 * it), driven by playwright-core, which downloads no browser of its own.
 */

import { accessSync, constants, statSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

/** Where Chromium is looked for when CHROMIUM_PATH is not set. */
export const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/lib/chromium/chromium',
] as const

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/**
 * The Chromium executable: $CHROMIUM_PATH if set (an error if it is not an executable file),
 * else the first of {@link CHROMIUM_CANDIDATES} found; undefined if none is.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.CHROMIUM_PATH
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`CHROMIUM_PATH=${explicit} is not an executable file`)
    return explicit
  }
  return CHROMIUM_CANDIDATES.find(isExecutable)
}

export const CHROMIUM_MISSING =
  `Chromium not found (looked at $CHROMIUM_PATH and ${CHROMIUM_CANDIDATES.join(', ')}): ` +
  'run scripts/setup.sh (it installs the Debian package `chromium`) or set CHROMIUM_PATH'

/** True when running under CI, where a missing browser is a failure rather than a skip. */
export function inCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI?.toLowerCase()
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0'
}

/** Launches headless Chromium; throws {@link CHROMIUM_MISSING} when there is none. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium()
  if (!executablePath) throw new Error(CHROMIUM_MISSING)
  return chromium.launch({
    executablePath,
    headless: true,
    // Tests run as root, where Chromium refuses its sandbox; /dev/shm may be small in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    timeout: 60_000,
  })
}
