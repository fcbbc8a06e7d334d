/**
 * Two volumes mounted by one process (one fuse-native binding, so one parent-attribute cache
 * in C): `node --import tsx two-mounts.ts <port> <mountpoint A> <mountpoint B>`. Each volume has
 * its own namespaces on the same zdb. Prints `ready` once both are mounted; SIGTERM unmounts.
 */
import { mount } from '../../src/index.js'

const [port, a, b] = process.argv.slice(2)
const zdb = (volume: string) => ({
  port: Number(port),
  meta: { namespace: `${volume}-meta` },
  data: { namespace: `${volume}-data` },
  temp: { namespace: `${volume}-temp` },
})
const mounts = [
  await mount({ mountpoint: a!, zdb: zdb('a'), autons: true }),
  await mount({ mountpoint: b!, zdb: zdb('b'), autons: true }),
]
process.stdout.write('ready\n')
process.once('SIGTERM', () => {
  void Promise.all(mounts.map((m) => m.unmount())).then(() => process.exit(0))
})
