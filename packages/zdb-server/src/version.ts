/**
 * The package version, read at run time so `src/` (tests) and `dist/` (built) agree: both sit
 * one directory below package.json.
 * @module
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

export const VERSION: string = (require('../package.json') as { version: string }).version
