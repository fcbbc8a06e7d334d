/**
 * Backend `address` strings of the config. Upstream takes a `SocketAddr` only: an IP literal
 * with a port, IPv6 in brackets (`"[fe80::1]:9900"`, spec zstor.md §1). We also take a host
 * name with a port (`"zdb1.example:9900"`, resolved when connecting) and a unix socket
 * (`"unix:/run/zdb.sock"`).
 * @module
 */
import { isIPv4, isIPv6 } from 'node:net'
import type { BackendAddress } from '@qsfs/zstor-codec'
import { ConfigError } from '../errors.js'

/** Longest unix socket path in bytes: Linux `sun_path` holds 108, NUL included. */
export const MAX_SOCKET_PATH_BYTES = 107

const UNIX_PREFIX = 'unix:'
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/
const FORMS = '`host:port`, `[ipv6]:port` or `unix:/path`'

/** Why `path` cannot be a unix socket path, or `null` if it can. */
export function socketPathProblem(path: string): string | null {
  const bytes = Buffer.byteLength(path, 'utf8')
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    return `is a socket path of ${bytes} bytes; the kernel takes at most ${MAX_SOCKET_PATH_BYTES}`
  }
  return null
}

function portOf(text: string, whole: string): number | string {
  if (!/^[0-9]{1,5}$/.test(text)) return `must end in \`:port\` (${FORMS}), got ${JSON.stringify(whole)}`
  const port = Number(text)
  if (port < 1 || port > 65535) return `has port ${port}; a port must be 1..65535`
  return port
}

function hostProblem(host: string): string | null {
  if (isIPv4(host)) return null
  if (/^[0-9.]+$/.test(host)) return `has host ${JSON.stringify(host)}, which is not a valid IPv4 address`
  const name = host.endsWith('.') ? host.slice(0, -1) : host
  if (name.length === 0 || name.length > 253 || !name.split('.').every((label) => LABEL.test(label))) {
    return `has host ${JSON.stringify(host)}, which is neither an IP address nor a valid host name`
  }
  return null
}

/**
 * The address `text` names, or why it names none: a phrase to follow the field name ("has
 * port 0; a port must be 1..65535").
 */
export function readBackendAddress(text: string): { address: BackendAddress } | { problem: string } {
  if (text.startsWith(UNIX_PREFIX)) {
    const path = text.slice(UNIX_PREFIX.length)
    if (!path.startsWith('/')) {
      return { problem: `must give an absolute socket path after \`unix:\`, got ${JSON.stringify(text)}` }
    }
    const problem = socketPathProblem(path)
    return problem === null ? { address: { kind: 'unix', path } } : { problem }
  }
  let host: string
  let portText: string
  if (text.startsWith('[')) {
    const close = text.indexOf(']')
    host = text.slice(1, close)
    if (close < 0 || !isIPv6(host)) {
      return { problem: `must hold an IPv6 address in its brackets (${FORMS}), got ${JSON.stringify(text)}` }
    }
    if (text[close + 1] !== ':')
      return { problem: `must end in \`:port\` (${FORMS}), got ${JSON.stringify(text)}` }
    portText = text.slice(close + 2)
  } else {
    const colon = text.lastIndexOf(':')
    host = colon < 0 ? text : text.slice(0, colon)
    if (isIPv6(text) || isIPv6(host)) {
      return {
        problem: `must put an IPv6 address in brackets, as in \`[fe80::1]:9900\`, got ${JSON.stringify(text)}`,
      }
    }
    if (colon < 0) return { problem: `must end in \`:port\` (${FORMS}), got ${JSON.stringify(text)}` }
    portText = text.slice(colon + 1)
    const problem = hostProblem(host)
    if (problem !== null) return { problem }
  }
  const port = portOf(portText, text)
  if (typeof port === 'string') return { problem: port }
  return { address: { kind: 'tcp', host, port } }
}

/** {@link readBackendAddress} for callers outside the config file, such as command-line flags. */
export function parseBackendAddress(text: string): BackendAddress {
  if (typeof text !== 'string') throw new ConfigError('ERR_CONFIG_INVALID', '`address` must be a string')
  const read = readBackendAddress(text)
  if ('problem' in read) throw new ConfigError('ERR_CONFIG_INVALID', `\`address\` ${read.problem}`)
  return read.address
}

/** The config form of an address: `127.0.0.1:9900`, `[::1]:9900`, `zdb1.example:9900`, `unix:/run/zdb.sock`. */
export function formatBackendAddress(address: BackendAddress): string {
  if (address.kind === 'unix') return `${UNIX_PREFIX}${address.path}`
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`
}

/** `address/namespace`, or the address alone for the default namespace. */
export function backendLabel(address: BackendAddress, namespace: string | null): string {
  const where = formatBackendAddress(address)
  return namespace === null ? where : `${where}/${namespace}`
}
