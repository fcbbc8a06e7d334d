/**
 * Connecting the three namespaces (spec zdbfs-and-glue.md §1 "Namespaces and zdb protocol"):
 * `autons` creates them (NSNEW, NSSET mode seq, and for temp: private, password `hello`), and
 * every namespace must be in sequential mode on a zdb v2 (8-byte sequential keys).
 * @module
 */
import { parseInfo, parseNsInfo } from '@qsfs/zdb-protocol'
import { ZdbfsFormatError, ZdbfsZdbError } from './errors.js'
import type { KvNamespace } from './kv-namespace.js'
import type { Logger } from './logger.js'
import {
  DEFAULT_NAMESPACES,
  DEFAULT_TEMP_PASSWORD,
  type NamespaceConfig,
  type ZdbConfig,
} from './mount-options.js'
import type { NamespaceRole } from './namespace-header.js'
import { connectAdmin, describeEndpoint, openZdbNamespace } from './zdb-namespace.js'

export interface ResolvedNamespace {
  role: NamespaceRole
  host?: string
  port?: number
  socket?: string
  namespace: string
  password?: string
}

/** Per-namespace settings: the namespace's own, over the shared ones, over the defaults. */
export function resolveNamespaces(zdb: ZdbConfig = {}): ResolvedNamespace[] {
  const { meta, data, temp, ...shared } = zdb
  const one = (role: NamespaceRole, own: NamespaceConfig = {}): ResolvedNamespace => {
    const c = { ...shared, ...own }
    const r: ResolvedNamespace = { role, namespace: c.namespace ?? DEFAULT_NAMESPACES[role] }
    if (c.socket) r.socket = c.socket
    else {
      r.host = c.host ?? 'localhost'
      r.port = c.port ?? 9900
    }
    const password = c.password ?? (role === 'temp' ? DEFAULT_TEMP_PASSWORD : undefined)
    if (password !== undefined) r.password = password
    return r
  }
  return [one('meta', meta), one('data', data), one('temp', temp)]
}

async function adminCall(
  r: ResolvedNamespace,
  timeout: number,
  commands: string[][],
): Promise<(string | Error)[]> {
  const redis = connectAdmin(r, timeout)
  try {
    await redis.connect()
    const out: (string | Error)[] = []
    for (const c of commands) {
      try {
        const reply = await redis.call(c[0]!, ...c.slice(1))
        out.push(String(reply))
      } catch (err) {
        out.push(err as Error)
      }
    }
    return out
  } catch (err) {
    throw new ZdbfsZdbError(`cannot reach zdb ${describeEndpoint(r)}: ${(err as Error).message}`, {
      cause: err,
    })
  } finally {
    redis.disconnect()
  }
}

/** `autons`: creates the namespace if missing and makes it sequential (temp: private, password). */
export async function createNamespace(r: ResolvedNamespace, timeout: number, logger: Logger): Promise<void> {
  const commands = [
    ['NSNEW', r.namespace],
    ['NSSET', r.namespace, 'mode', 'seq'],
  ]
  if (r.role === 'temp') {
    commands.push(['NSSET', r.namespace, 'public', '0'])
    commands.push(['NSSET', r.namespace, 'password', r.password ?? DEFAULT_TEMP_PASSWORD])
  }
  const replies = await adminCall(r, timeout, commands)
  const created = replies[0] === 'OK'
  if (created) logger.info(`created namespace ${r.namespace} on ${describeEndpoint(r)}`)
}

/** Checks the server speaks zdb v2 (8-byte sequential keys) and the namespace is sequential. */
async function checkNamespace(r: ResolvedNamespace, timeout: number): Promise<void> {
  const [info, nsinfo] = await adminCall(r, timeout, [['INFO'], ['NSINFO', r.namespace]])
  if (typeof info === 'string') {
    const raw = parseInfo(info).raw
    const keySize = raw.sequential_key_size
    if (keySize !== undefined && keySize !== '8') {
      throw new ZdbfsZdbError(
        `zdb ${describeEndpoint(r)} uses ${keySize}-byte sequential keys; 0-db-fs needs zdb v2 (8)`,
      )
    }
  }
  if (nsinfo instanceof Error) {
    throw new ZdbfsZdbError(
      `namespace ${r.namespace} on ${describeEndpoint(r)}: ${nsinfo.message}; create it (NSNEW, NSSET mode seq) or mount with autons`,
    )
  }
  const mode = parseNsInfo(nsinfo!).mode
  if (mode !== 'sequential') {
    throw new ZdbfsFormatError(
      `namespace ${r.namespace} on ${describeEndpoint(r)} is in ${mode} mode; 0-db-fs needs sequential mode (NSSET ${r.namespace} mode seq on a fresh namespace)`,
    )
  }
}

/** Creates (with `autons`), checks and connects the three namespaces, in meta, data, temp order. */
export async function openNamespaces(
  zdb: ZdbConfig | undefined,
  options: { autons: boolean; timeout: number; logger: Logger },
): Promise<KvNamespace[]> {
  const resolved = resolveNamespaces(zdb)
  if (options.autons) {
    for (const r of resolved) await createNamespace(r, options.timeout, options.logger)
  }
  const opened: KvNamespace[] = []
  try {
    for (const r of resolved) {
      await checkNamespace(r, options.timeout)
      opened.push(
        await openZdbNamespace({
          ...(r.socket ? { socket: r.socket } : { host: r.host!, port: r.port! }),
          namespace: r.namespace,
          ...(r.password !== undefined ? { password: r.password } : {}),
          timeout: options.timeout,
        }),
      )
    }
  } catch (err) {
    await Promise.all(opened.map((ns) => ns.close()))
    throw err
  }
  return opened
}
