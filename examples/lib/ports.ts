/**
 * Picks `node.dist_base_port` for the examples' nodes. A node listens on the
 * base port plus the trailing digits of its name, so a launcher that starts
 * `demo1`, `demo2`, `demo3` needs base + 1, + 2, + 3 free. The preferred
 * base (4370, the default of every tekka node) is used when those ports are
 * free on the host; otherwise one is searched for below the OS's ephemeral
 * range, and the launcher says which it took. `freePort` is for a server a
 * launcher starts itself (the etcd example's etcd).
 */
import { createServer } from 'node:net'
import { nodePort, parseNodeName } from '@tekka/dist'

/** Whether `host:port` can be listened on right now. */
export async function portFree (host: string, port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const srv = createServer()
    srv.unref()
    srv.once('error', () => { resolve(false) })
    srv.listen({ host, port, exclusive: true }, () => { srv.close(() => { resolve(true) }) })
  })
}

/** A port nobody listens on at the moment (the OS's choice). */
export async function freePort (host = '127.0.0.1'): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => { resolve(port) })
    })
  })
}

/** The ports `names` listen on with base port `base`. */
export function portsOf (names: readonly string[], base: number): number[] {
  return names.map((n) => nodePort(n, base))
}

/** `preferred` if the ports of `names` are all free with it (each on its own node's host), else a base that makes them free. */
export async function chooseBasePort (names: readonly string[], preferred = 4370): Promise<number> {
  const hosts = names.map((n) => parseNodeName(n).host)
  const allFree = async (base: number): Promise<boolean> => {
    const ports = portsOf(names, base)
    for (let i = 0; i < ports.length; i++) if (ports[i] > 65535 || !(await portFree(hosts[i], ports[i]))) return false
    return true
  }
  if (await allFree(preferred)) return preferred
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 9000)
    if (await allFree(base)) return base
  }
  throw new Error(`no free ports for ${names.join(', ')}`)
}
