/**
 * Network namespaces for backends, made and removed by the test: each namespace gets one veth
 * pair, `10.213.X.1/30` on the host end and `10.213.X.2/30` inside, so the only traffic is
 * between this host and those namespaces. A link is cut on the namespace's end: the host keeps
 * its /30 route (marked linkdown), so packets to the namespace stay on the veth and are
 * dropped there. Cutting the host end would remove that route and send them to the default
 * gateway, off the machine.
 */
import { readFile } from 'node:fs/promises'
import { mustRun, run, signal, waitGone } from './proc.js'

export interface Netns {
  readonly name: string
  /** veth end on the host. */
  readonly hostIf: string
  /** veth end inside the namespace. */
  readonly nsIf: string
  readonly hostIp: string
  /** Where a backend inside listens. */
  readonly ip: string
}

/** Third octets of 10.213.X.0 that any address or route of the host already uses. */
async function usedOctets(): Promise<Set<number>> {
  const text = `${(await mustRun('ip', ['-4', 'addr'])).stdout}\n${(await mustRun('ip', ['-4', 'route'])).stdout}`
  return new Set([...text.matchAll(/10\.213\.(\d+)\./g)].map((m) => Number(m[1])))
}

export class NetLab {
  readonly tag: string
  readonly namespaces: Netns[] = []

  constructor() {
    this.tag = (process.pid % 0xffff).toString(16).padStart(4, '0')
  }

  /** Creates `n` namespaces, each with its veth pair and addresses. */
  async create(n: number): Promise<Netns[]> {
    const used = await usedOctets()
    const free: number[] = []
    for (let x = 200; x < 250 && free.length < n; x++) if (!used.has(x)) free.push(x)
    if (free.length < n) throw new Error(`no free 10.213.X.0/30 networks for ${n} namespaces`)
    for (let i = 0; i < n; i++) {
      const x = free[i]!
      const ns: Netns = {
        name: `qsfs-e2e-${this.tag}-${i}`,
        hostIf: `qe${this.tag}h${i}`,
        nsIf: `qe${this.tag}n${i}`,
        hostIp: `10.213.${x}.1`,
        ip: `10.213.${x}.2`,
      }
      // Registered first: a half-made namespace is still removed.
      this.namespaces.push(ns)
      await mustRun('ip', ['netns', 'add', ns.name])
      await mustRun('ip', ['link', 'add', ns.hostIf, 'type', 'veth', 'peer', 'name', ns.nsIf])
      await mustRun('ip', ['link', 'set', ns.nsIf, 'netns', ns.name])
      await mustRun('ip', ['addr', 'add', `${ns.hostIp}/30`, 'dev', ns.hostIf])
      await mustRun('ip', ['link', 'set', ns.hostIf, 'up'])
      await mustRun('ip', ['-n', ns.name, 'addr', 'add', `${ns.ip}/30`, 'dev', ns.nsIf])
      await mustRun('ip', ['-n', ns.name, 'link', 'set', ns.nsIf, 'up'])
      await mustRun('ip', ['-n', ns.name, 'link', 'set', 'lo', 'up'])
    }
    return this.namespaces.slice(-n)
  }

  /** Cuts the namespace off: its end of the veth goes down. */
  async cut(ns: Netns): Promise<void> {
    await mustRun('ip', ['-n', ns.name, 'link', 'set', ns.nsIf, 'down'])
  }

  async restore(ns: Netns): Promise<void> {
    await mustRun('ip', ['-n', ns.name, 'link', 'set', ns.nsIf, 'up'])
  }

  /** The host's route to the namespace: the device packets to it leave by. */
  async routeDevice(ns: Netns): Promise<string> {
    const out = (await mustRun('ip', ['route', 'get', ns.ip])).stdout
    const m = /\bdev (\S+)/.exec(out)
    if (!m) throw new Error(`no device in: ${out}`)
    return m[1]!
  }

  /** Kills what still runs in the namespaces, deletes the veth pairs and the namespaces. */
  async destroy(): Promise<void> {
    const problems: string[] = []
    for (const ns of this.namespaces.splice(0).reverse()) {
      const pids = await run('ip', ['netns', 'pids', ns.name])
      for (const pid of pids.stdout.split('\n').filter(Boolean).map(Number)) {
        // Only our own processes run there (the namespace is ours); still, name what is killed.
        const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
        console.log(`killing pid ${pid} left in ${ns.name}: ${cmd.replaceAll('\0', ' ').slice(0, 200)}`)
        signal(pid, 'SIGKILL')
        await waitGone(pid, 5_000)
      }
      const link = await run('ip', ['link', 'del', ns.hostIf])
      if (link.code !== 0 && !/Cannot find device/.test(link.stderr))
        problems.push(`ip link del ${ns.hostIf}: ${link.stderr.trim()}`)
      const del = await run('ip', ['netns', 'del', ns.name])
      if (del.code !== 0 && !/No such file/.test(del.stderr))
        problems.push(`ip netns del ${ns.name}: ${del.stderr.trim()}`)
    }
    const left = (await run('ip', ['netns', 'list'])).stdout
      .split('\n')
      .filter((line) => line.startsWith(`qsfs-e2e-${this.tag}-`))
    if (left.length) problems.push(`namespaces left: ${left.join(', ')}`)
    if (problems.length) throw new Error(problems.join('\n'))
  }
}
