/**
 * The set of namespaces of one server: `default` plus every subdirectory of the index root,
 * loaded at start (spec zdb.md §2, "Startup"), and those created by NSNEW.
 * @module
 */
import { readdirSync } from 'node:fs'
import { Namespace, type NamespaceOptions } from './namespace.js'
import type { NamespaceSettings } from './namespace-settings.js'

export const DEFAULT_NAMESPACE = 'default'

export type NamespaceFactoryOptions = Omit<NamespaceOptions, 'name'>

/**
 * Settings of `default` that live in memory only and override its descriptor: `--maxsize`,
 * and under `--protect` the admin password (spec §1, "Admin and defaults").
 */
export type DefaultOverrides = Partial<Pick<NamespaceSettings, 'maxsize' | 'password'>>

export class Namespaces {
  readonly #byName = new Map<string, Namespace>()
  readonly #options: NamespaceFactoryOptions

  private constructor(options: NamespaceFactoryOptions) {
    this.#options = options
  }

  /** Opens `default` first, then the other namespaces found on disk in name order. */
  static open(options: NamespaceFactoryOptions, overrides: DefaultOverrides = {}): Namespaces {
    const all = new Namespaces(options)
    try {
      const def = all.create(DEFAULT_NAMESPACE)
      def.settings = { ...def.settings, ...overrides }
      const found = readdirSync(options.indexRoot, { withFileTypes: true })
        .filter((d) => d.isDirectory() && d.name !== DEFAULT_NAMESPACE)
        .map((d) => d.name)
        .sort()
      for (const name of found) all.create(name)
    } catch (err) {
      all.close()
      throw err
    }
    return all
  }

  get default(): Namespace {
    return this.#byName.get(DEFAULT_NAMESPACE)!
  }

  get(name: string): Namespace | undefined {
    return this.#byName.get(name)
  }

  /** Names in NSLIST order: `default` first, then load and creation order. */
  names(): string[] {
    return [...this.#byName.keys()]
  }

  /** Opens or creates `name` on disk; the caller has validated the name. */
  create(name: string): Namespace {
    const ns = Namespace.open({ ...this.#options, name })
    this.#byName.set(name, ns)
    return ns
  }

  /** NSDEL: closes `name` and deletes its files; clients still on it see `ns.removed`. */
  remove(name: string): void {
    const ns = this.#byName.get(name)
    if (!ns) return
    this.#byName.delete(name)
    ns.remove()
  }

  close(): void {
    for (const ns of this.#byName.values()) ns.close()
    this.#byName.clear()
  }
}

/**
 * Upstream's `namespace_valid_name` plus what a directory name can hold: not `.`, `..` or
 * `default`, no `/`, no NUL, and valid UTF-8 (the name becomes a directory).
 */
export function isValidNamespaceName(raw: Buffer): boolean {
  const name = raw.toString('utf8')
  if (!Buffer.from(name, 'utf8').equals(raw)) return false
  if (name === '.' || name === '..' || name === DEFAULT_NAMESPACE) return false
  return !name.includes('/') && !name.includes('\0')
}
