/**
 * One connection per backend, shared by everything the client does, and the last health probe
 * of each. Backends are keyed by their config label, so a config reload keeps the connections
 * of backends that stay and closes those that left.
 * @module
 */
import type { BackendConfig } from '../config/index.js'
import { type BackendRole, type BackendStatus, probe } from './health.js'
import { ZdbBackend, type ZdbBackendOptions } from './zdb-backend.js'

/** How long a probe result is trusted before placement probes again. */
export const STATUS_TTL = 3_000

export class BackendPool {
  readonly #backends = new Map<string, ZdbBackend>()
  readonly #status = new Map<string, BackendStatus>()
  readonly #options: ZdbBackendOptions

  constructor(options: ZdbBackendOptions = {}) {
    this.#options = options
  }

  /** The connection to `config`'s backend, made on first use. */
  get(config: BackendConfig): ZdbBackend {
    let backend = this.#backends.get(config.label)
    // A reload that changed only the password needs a new connection (SELECT runs once).
    if (backend && backend.config.password !== config.password) {
      void backend.close()
      backend = undefined
    }
    if (!backend) {
      backend = new ZdbBackend(config, this.#options)
      this.#backends.set(config.label, backend)
    }
    return backend
  }

  /** The last status of `label`, if probed. */
  lastStatus(label: string): BackendStatus | undefined {
    return this.#status.get(label)
  }

  /** Records what an operation learned: a backend that failed a command is unreachable until re-probed. */
  markFailed(label: string, reason: string): void {
    const prev = this.#status.get(label)
    this.#status.set(label, {
      label,
      state: 'unreachable',
      reason,
      entries: prev?.entries ?? null,
      usedBytes: prev?.usedBytes ?? null,
      limitBytes: prev?.limitBytes ?? null,
      freeBytes: prev?.freeBytes ?? null,
      checkedAt: Date.now(),
    })
  }

  /** Probes `configs` in parallel (reusing results younger than `maxAge` ms). */
  async probe(
    configs: readonly BackendConfig[],
    role: BackendRole,
    maxAge = STATUS_TTL,
  ): Promise<BackendStatus[]> {
    const now = Date.now()
    return Promise.all(
      configs.map(async (config) => {
        const cached = this.#status.get(config.label)
        if (cached && now - cached.checkedAt < maxAge) return cached
        const status = await probe(this.get(config), role)
        this.#status.set(config.label, status)
        return status
      }),
    )
  }

  /** Closes the connections of backends not in `keep` (after a config reload). */
  async retain(keep: readonly BackendConfig[]): Promise<void> {
    const labels = new Set(keep.map((c) => c.label))
    await Promise.all(
      [...this.#backends]
        .filter(([label]) => !labels.has(label))
        .map(async ([label, backend]) => {
          this.#backends.delete(label)
          this.#status.delete(label)
          await backend.close()
        }),
    )
  }

  async close(): Promise<void> {
    await Promise.all([...this.#backends.values()].map((b) => b.close()))
    this.#backends.clear()
  }
}
