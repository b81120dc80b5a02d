/**
 * Free TCP ports on a loopback address, for nodes started by tests.
 *
 * `freePort` asks the OS (port 0), so the port is free right now; nothing
 * reserves it, but the OS hands ports out in rotation and this process never
 * hands out the same one twice, so clashes between parallel test files are
 * rare. `freePortRange` finds consecutive free ports for the dist port rule
 * (`node.dist_base_port` + 1, + 2, ... for nodes n1, n2, ...); it searches
 * below the OS's ephemeral range so outgoing connections cannot take them,
 * in the band TEKKA_TEST_PORTS (`lo-hi`) names when set: the test runner
 * gives each of the files it runs side by side a band of its own, so two
 * files cannot pick overlapping ranges between one's check and its listen.
 */
import { createServer } from 'node:net'
import { isIP } from 'node:net'
import { BadArgError } from '@tekka/actors'
import { NoFreePortError, TestConfigError } from './errors.js'

const handedOut = new Set<string>()

/** True for an IPv4 address in 127.0.0.0/8 (Linux answers on all of it without setup). */
export function isLoopbackV4 (address: string): boolean {
  return isIP(address) === 4 && address.split('.')[0] === '127'
}

function checkHost (host: string): void {
  if (isIP(host) === 0) throw new BadArgError(`not an IP address: ${JSON.stringify(host)}`)
}

/** Try to listen on host:port; resolves with the port actually bound, or undefined if it is taken. */
async function tryBind (host: string, port: number): Promise<number | undefined> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(undefined)
      else reject(err)
    })
    // exclusive: a port shared through the cluster module would look free.
    srv.listen({ host, port, exclusive: true }, () => {
      const addr = srv.address()
      const bound = typeof addr === 'object' && addr !== null ? addr.port : undefined
      srv.close(() => { resolve(bound) })
    })
  })
}

/** A TCP port that is free on `host` (default 127.0.0.1) and not yet returned by this process. */
export async function freePort (host = '127.0.0.1'): Promise<number> {
  checkHost(host)
  for (let i = 0; i < 100; i++) {
    const port = await tryBind(host, 0)
    if (port === undefined) continue
    const key = `${host}:${port}`
    if (handedOut.has(key)) continue
    handedOut.add(key)
    return port
  }
  throw new NoFreePortError(`no free port found on ${host}`)
}

/** `count` distinct free ports on `host`. */
export async function freePorts (count: number, host = '127.0.0.1'): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < count; i++) out.push(await freePort(host))
  return out
}

/** The ports freePortRange searches: TEKKA_TEST_PORTS (`lo-hi`, inclusive), else 20000-29999. */
export function portBand (env: NodeJS.ProcessEnv = process.env): { lo: number, hi: number } {
  const v = env.TEKKA_TEST_PORTS
  if (v === undefined || v === '') return { lo: 20000, hi: 29999 }
  const m = /^(\d+)-(\d+)$/.exec(v)
  const lo = Number(m?.[1]); const hi = Number(m?.[2])
  if (m === null || lo < 1024 || hi > 65535 || hi < lo) throw new TestConfigError(`TEKKA_TEST_PORTS must be lo-hi with 1024 <= lo <= hi <= 65535, got ${JSON.stringify(v)}`)
  return { lo, hi }
}

/**
 * The first of `count` consecutive ports that are all free on every host in
 * `hosts`. Searched from a random start in the band (portBand: 20000..29999
 * unless the runner gave this file a band), below Linux's ephemeral range
 * (32768+), so the OS will not use them for outgoing connections in the
 * meantime.
 */
export async function freePortRange (count: number, hosts: readonly string[] = ['127.0.0.1']): Promise<number> {
  if (!Number.isInteger(count) || count < 1 || count > 1000) throw new BadArgError(`port count must be 1..1000, got ${count}`)
  for (const h of hosts) checkHost(h)
  const { lo, hi } = portBand()
  const span = hi - lo + 1
  if (count > span) throw new BadArgError(`${count} ports do not fit in the band ${lo}-${hi}`)
  for (let attempt = 0; attempt < 200; attempt++) {
    const start = lo + Math.floor(Math.random() * (span - count + 1))
    let ok = true
    for (let p = start; p < start + count && ok; p++) {
      for (const h of hosts) {
        if (handedOut.has(`${h}:${p}`) || await tryBind(h, p) === undefined) { ok = false; break }
      }
    }
    if (ok) {
      for (let p = start; p < start + count; p++) for (const h of hosts) handedOut.add(`${h}:${p}`)
      return start
    }
  }
  throw new NoFreePortError(`no ${count} consecutive free ports found on ${hosts.join(', ')}`)
}
