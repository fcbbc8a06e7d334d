/**
 * From a shard location in metadata back to a configured backend: metadata holds address and
 * namespace but never the password, which comes from the config (spec zstor.md §3 says
 * upstream stores passwords in every record; we do not).
 * @module
 */
import type { BackendAddress } from '@qsfs/zstor-codec'
import type { BackendConfig } from '../config/index.js'

export function addressText(address: BackendAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`
}

/** `address/namespace`, the form used in messages for a location. */
export function locationLabel(address: BackendAddress, namespace: string | null): string {
  return `${addressText(address)}/${namespace ?? 'default'}`
}

function sameAddress(a: BackendAddress, b: BackendAddress): boolean {
  if (a.kind === 'unix' || b.kind === 'unix')
    return a.kind === b.kind && (a as { path: string }).path === (b as { path: string }).path
  return a.port === b.port && a.host.toLowerCase() === b.host.toLowerCase()
}

/** The configured backend at `address`/`namespace`, if the config lists it. */
export function configuredBackend(
  configs: readonly BackendConfig[],
  address: BackendAddress,
  namespace: string | null,
): BackendConfig | undefined {
  return configs.find((c) => c.namespace === namespace && sameAddress(c.address, address))
}

/**
 * The configured backend at `address`/`namespace`, or a password-less one made for it when the
 * config no longer lists it (an object stored before a config change still reads).
 */
export function findBackend(
  configs: readonly BackendConfig[],
  address: BackendAddress,
  namespace: string | null,
): BackendConfig {
  return (
    configuredBackend(configs, address, namespace) ?? {
      address,
      namespace,
      password: null,
      label: locationLabel(address, namespace),
    }
  )
}
