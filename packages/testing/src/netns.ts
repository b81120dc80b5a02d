// Private networks in Linux network namespaces, for tests that need real
// multicast (the mdns strategy) without sending a packet on the host's own
// interfaces. Needs root and iproute2 (`ip netns`): `requireNetns()` throws a
// MissingSystemError saying which is missing, so such a test fails, never skips.
//
//   requireNetns('the mdns tests')
//   const net = createNetwork({ hosts: 3 })    // 10.77.0.11, .12, .13 on one bridge
//   const p = spawnInNetns(net.hosts[0].ns, { entry, args })
//   ...
//   net.destroy()                               // also at exit, however the test ends
//
// Layout: a bridge namespace holds the Linux bridge `br0` (10.77.0.1/24,
// multicast snooping off, so every multicast frame is flooded to every
// port); each host namespace has `eth0` (10.77.0.<11+i>/24), one end of a
// veth pair whose other end is a port of br0, `lo` up and multicast-capable,
// and a route for 224.0.0.0/4 on eth0. With `family: 'ipv6'` the network
// has IPv6 addresses only (fd77::1/64 on br0, fd77::<11+i>/64 on each eth0,
// no IPv4 address and no IPv4 multicast route anywhere); `'both'` has both.
// IPv6 addresses are added `nodad` and no link-local address is made
// (addrgenmode none), so none is tentative (duplicate address detection
// would hold it for a second or two) and a test can use the network at once;
// the kernel's ff00::/8 multicast route on each interface comes by itself. Nothing is created in the host's own
// namespace: each veth is made inside the bridge namespace with its peer put
// straight into its host namespace. `createNamespace()` makes a namespace
// with `lo` only (up, multicast on, 224.0.0.0/4 routed to it), for nodes on
// 127.0.0.1 that must multicast among themselves and nowhere else; given a
// `resolver`, the processes inside use it as their system resolver (an
// /etc/netns/NS/resolv.conf that `ip netns exec` mounts), and `addresses`
// are added to its `lo` (IPv6 nodes: fd00:7e::2).
//
// Namespaces are named `tkn-<pid>-<seq>-...` after this process. They are
// deleted on every exit path this process sees (exit-hooks.ts); the ones of
// a process killed by SIGKILL are deleted by the next process that creates
// one (`sweepStaleNamespaces`).
//
// Processes run inside with `ip netns exec NS node ...` (`spawnInNetns`,
// which gives the same NodeProcess as procs.spawnNode: captured lines,
// orphan guard, killed at exit), or a whole test file can re-run itself
// inside one (`relayInNetns`), printing its uvu summary as its own.
import { spawn, spawnSync } from 'node:child_process'
import { accessSync, constants as fsConstants, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { MissingSystemError, NetnsError } from './errors.js'
import { onExit } from './exit-hooks.js'
import * as procs from './procs.js'
import type { NodeProcess } from './procs.js'
import { INSTALL_HINT, requireCommand, requireRoot } from './system.js'

export { NetnsError } from './errors.js'

const ORPHAN_GUARD = new URL('./orphan-guard.js', import.meta.url).href

const PREFIX = 'tkn-'
/** Where `ip netns exec NS` finds files it bind-mounts over /etc (resolv.conf). */
const ETC_NETNS = '/etc/netns'
const NAME_RE = /^tkn-(\d+)-/
let seq = 0

/** The `ip` binary (sbin directories are not on every PATH). */
const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => {
  try { accessSync(p, fsConstants.X_OK); return true } catch { return false }
}) ?? 'ip'

/** Runs `ip ARGS`; returns stdout, throws NetnsError with stderr when it fails. */
export function ip (...args: string[]): string {
  const r = spawnSync(IP, args, { encoding: 'utf8', timeout: 20_000 })
  if (r.status !== 0) throw new NetnsError(`ip ${args.join(' ')} failed (${r.status ?? r.signal ?? 'no status'}): ${(r.stderr ?? '').trim()}${r.error !== undefined ? ` ${String(r.error)}` : ''}`)
  return r.stdout ?? ''
}

/** Why network namespaces cannot be used here, or undefined when they can. */
export function netnsProblem (): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux, this is ${process.platform}`
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  const r = spawnSync(IP, ['netns', 'list'], { encoding: 'utf8' })
  if (r.status !== 0) return `ip netns does not work: ${(r.stderr ?? '').trim()}${r.error !== undefined ? String(r.error) : ''}`
  return undefined
}

/**
 * Throws a MissingSystemError unless network namespaces can be made here:
 * Linux, root, the `ip` command (Debian iproute2), and `ip netns` working.
 */
export function requireNetns (what = 'this test'): void {
  requireRoot(`${what} (network namespaces)`)
  requireCommand(IP, 'iproute2', what)
  const r = spawnSync(IP, ['netns', 'list'], { encoding: 'utf8' })
  if (r.status !== 0) {
    throw new MissingSystemError(what, 'working network namespaces (ip netns)', `run it where root may create network namespaces (not a container without CAP_SYS_ADMIN); ${INSTALL_HINT}`, `${(r.stderr ?? '').trim()}${r.error !== undefined ? String(r.error) : ''}`)
  }
}

/** Deletes namespaces left by test processes that are gone. */
export function sweepStaleNamespaces (): void {
  const r = spawnSync(IP, ['netns', 'list'], { encoding: 'utf8' })
  for (const line of (r.stdout ?? '').split('\n')) {
    const name = line.trim().split(/\s+/)[0] ?? ''
    const m = NAME_RE.exec(name)
    if (m === null || Number(m[1]) === process.pid || procs.pidAlive(Number(m[1]))) continue
    spawnSync(IP, ['netns', 'del', name])
    removeEtc(name)
  }
}

/** Removes /etc/netns/NS (a resolver of createNamespace), if there is one. */
function removeEtc (ns: string): void {
  rmSync(join(ETC_NETNS, ns), { recursive: true, force: true })
}

/** Owns some namespaces: deletes them once, at `destroy()` or at exit. */
class Namespaces {
  readonly names: string[] = []
  readonly #off: () => void
  #done = false

  constructor () {
    this.#off = onExit(() => { this.destroy() })
  }

  add (name: string): string {
    ip('netns', 'add', name)
    this.names.push(name)
    return name
  }

  destroy (): void {
    if (this.#done) return
    this.#done = true
    this.#off()
    // Hosts first: that takes their veths away before the bridge goes.
    for (const n of [...this.names].reverse()) {
      spawnSync(IP, ['netns', 'del', n])
      removeEtc(n)
    }
  }
}

/** `lo` up, multicast-capable, with the multicast route on it. */
function loopback (ns: string, multicastRoute: boolean): void {
  ip('-n', ns, 'link', 'set', 'lo', 'up')
  ip('-n', ns, 'link', 'set', 'lo', 'multicast', 'on')
  if (multicastRoute) ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'lo')
}

export interface NetHost {
  /** The namespace. */
  readonly ns: string
  /** Its address on the network: the IPv4 one (10.77.0.11, ...), or the IPv6 one on an IPv6-only network. */
  readonly ip: string
  /** Its IPv6 address (fd77::11, ...), on a network with IPv6. */
  readonly ip6?: string
}

export interface Network {
  /** The namespace of the bridge; it has an address of its own on the network. */
  readonly bridge: string
  /** The bridge namespace's address, 10.77.0.1 (fd77::1 on an IPv6-only network). */
  readonly gateway: string
  readonly hosts: readonly NetHost[]
  /** Deletes every namespace (and so every veth and the bridge). Safe twice; also runs at exit. */
  destroy(): void
}

export interface NetworkOptions {
  /** Host namespaces on the bridge. */
  hosts: number
  /** First three octets. Default 10.77.0 (namespaces are private: every network may use it). */
  subnet?: string
  /** Address families of the network. Default ipv4. */
  family?: 'ipv4' | 'ipv6' | 'both'
  /** The IPv6 /64 prefix, ending in `::`. Default fd77:: (a unique local address). */
  subnet6?: string
}

/** An IPv6 address of `ns`'s `dev`, usable at once (see the top of this file). */
function addIpv6 (ns: string, dev: string, addr: string): void {
  ip('-n', ns, 'addr', 'add', `${addr}/64`, 'dev', dev, 'nodad')
}

/** Makes a bridge namespace and `hosts` host namespaces on it (see the top of this file). */
export function createNetwork (opts: NetworkOptions): Network {
  if (!Number.isInteger(opts.hosts) || opts.hosts < 1 || opts.hosts > 200) throw new RangeError(`hosts must be 1..200, got ${opts.hosts}`)
  sweepStaleNamespaces()
  const family = opts.family ?? 'ipv4'
  if (!['ipv4', 'ipv6', 'both'].includes(family)) throw new RangeError(`family must be ipv4, ipv6 or both, got ${String(family)}`)
  const v4 = family !== 'ipv6'
  const v6 = family !== 'ipv4'
  const subnet = opts.subnet ?? '10.77.0'
  const subnet6 = opts.subnet6 ?? 'fd77::'
  const id = `${PREFIX}${process.pid}-${++seq}`
  const all = new Namespaces()
  try {
    const bridge = all.add(`${id}-br`)
    ip('-n', bridge, 'link', 'set', 'lo', 'up')
    ip('-n', bridge, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0')
    if (v6) ip('-n', bridge, 'link', 'set', 'br0', 'addrgenmode', 'none')
    if (v4) ip('-n', bridge, 'addr', 'add', `${subnet}.1/24`, 'dev', 'br0')
    if (v6) addIpv6(bridge, 'br0', `${subnet6}1`)
    ip('-n', bridge, 'link', 'set', 'br0', 'up')
    const hosts: NetHost[] = []
    for (let i = 0; i < opts.hosts; i++) {
      const ns = all.add(`${id}-h${i + 1}`)
      const addr = `${subnet}.${11 + i}`
      const addr6 = `${subnet6}${11 + i}`
      const port = `v${i + 1}`
      ip('-n', bridge, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
      ip('-n', bridge, 'link', 'set', port, 'master', 'br0')
      ip('-n', bridge, 'link', 'set', port, 'up')
      loopback(ns, false)
      if (v6) ip('-n', ns, 'link', 'set', 'eth0', 'addrgenmode', 'none')
      if (v4) ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0')
      if (v6) addIpv6(ns, 'eth0', addr6)
      ip('-n', ns, 'link', 'set', 'eth0', 'up')
      if (v4) ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0')
      hosts.push({ ns, ip: v4 ? addr : addr6, ...(v6 ? { ip6: addr6 } : {}) })
    }
    return { bridge, gateway: v4 ? `${subnet}.1` : `${subnet6}1`, hosts, destroy: () => { all.destroy() } }
  } catch (err) {
    all.destroy()
    throw err
  }
}

export interface NamespaceOptions {
  /**
   * The system resolver inside: `ip netns exec` (spawnInNetns,
   * relayInNetns) mounts a resolv.conf saying `nameserver RESOLVER` over
   * /etc/resolv.conf, so getaddrinfo (node:dns lookup, every dial by host
   * name) and node:dns `getServers()` ask it, on port 53: a Dnsmasq
   * started inside with `{ port: 53 }`. The file is /etc/netns/NS/, removed
   * with the namespace.
   */
  resolver?: string
  /** More addresses on `lo` (`fd00:7e::2/128`, `10.1.0.2/32`). */
  addresses?: readonly string[]
}

/** A namespace with only `lo` (up, multicast on, 224.0.0.0/4 routed to it). */
export function createNamespace (opts: NamespaceOptions = {}): { readonly ns: string, destroy(): void } {
  sweepStaleNamespaces()
  const all = new Namespaces()
  try {
    const ns = all.add(`${PREFIX}${process.pid}-${++seq}-lo`)
    loopback(ns, true)
    for (const a of opts.addresses ?? []) ip('-n', ns, 'addr', 'add', a, 'dev', 'lo')
    if (opts.resolver !== undefined) {
      mkdirSync(join(ETC_NETNS, ns), { recursive: true })
      writeFileSync(join(ETC_NETNS, ns, 'resolv.conf'), `nameserver ${opts.resolver}\n`)
    }
    return { ns, destroy: () => { all.destroy() } }
  } catch (err) {
    all.destroy()
    throw err
  }
}

export interface NetnsSpawnOptions {
  entry: string
  args?: readonly string[]
  nodeArgs?: readonly string[]
  /** Added to this process's environment (`undefined` removes a variable). */
  env?: NodeJS.ProcessEnv
  name?: string
  echo?: boolean
}

/**
 * `ip netns exec NS node [nodeArgs] entry [args]`, as procs.spawnNode runs
 * `node`: `ip` becomes node (exec), so the pid is the node's; output is
 * captured line by line; the orphan guard ends it if this process dies by
 * SIGKILL; it is killed when this process exits.
 */
export function spawnInNetns (ns: string, opts: NetnsSpawnOptions): NodeProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, TEKKA_TEST_PARENT_PID: String(process.pid) }
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  const child = spawn(IP, ['netns', 'exec', ns, process.execPath, '--import', ORPHAN_GUARD, ...(opts.nodeArgs ?? []), opts.entry, ...(opts.args ?? [])], {
    env,
    // Same process group as the test: the test runner's group kill reaches it too.
    stdio: ['pipe', 'pipe', 'pipe']
  })
  child.stdin?.on('error', () => {})
  const label = opts.name ?? `${basename(opts.entry)}#${String(child.pid)}@${ns}`
  if (child.pid === undefined) throw new NetnsError(`${label}: cannot start ip netns exec`)
  const p = new procs.NodeProcess(child, label, { echo: opts.echo ?? process.env.TEKKA_TEST_ECHO === '1', maxLines: 20_000, exitSignal: 'SIGKILL' })
  const off = onExit(() => { p.kill('SIGKILL') })
  child.once('exit', off)
  return p
}

/**
 * Runs the JS file `entry` inside `ns` with this process's stdout and
 * stderr, so its uvu summary is the one the test runner reads, and resolves
 * with its exit code (1 with a message if it did not end within
 * `timeoutMs`: it is killed, so a hang inside is a failure, not a hang).
 */
export async function relayInNetns (ns: string, entry: string, opts: { env?: NodeJS.ProcessEnv, timeoutMs?: number } = {}): Promise<number> {
  const timeoutMs = opts.timeoutMs ?? 240_000
  const child = spawn(IP, ['netns', 'exec', ns, process.execPath, '--expose-gc', '--import', ORPHAN_GUARD, entry], {
    env: { ...process.env, ...opts.env, TEKKA_TEST_PARENT_PID: String(process.pid) },
    stdio: ['ignore', 'inherit', 'inherit']
  })
  const off = onExit(() => { child.kill('SIGKILL') })
  return await new Promise<number>((resolve) => {
    const timer = setTimeout(() => {
      process.stderr.write(`${basename(entry)} in netns ${ns} did not finish within ${timeoutMs} ms: killed\n`)
      child.kill('SIGKILL')
    }, timeoutMs)
    child.once('error', (err) => {
      process.stderr.write(`cannot run ${basename(entry)} in netns ${ns}: ${err.message}\n`)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      off()
      if (signal !== null) process.stderr.write(`${basename(entry)} in netns ${ns} ended by ${signal}\n`)
      resolve(code ?? 1)
    })
  })
}
