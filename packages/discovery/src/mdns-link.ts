/**
 * One mDNS socket of the mdns strategy, of one address family: which
 * interface it uses, and opening it (bonjour-service over multicast-dns)
 * until the group is joined or the reason it cannot be.
 *
 * - IPv4: group 224.0.0.251, socket bound to 0.0.0.0 (a socket bound to
 *   the unicast address would not receive multicast). Given an IPv4
 *   address, the interface that has it, and nowhere else; otherwise every
 *   IPv4 interface, as multicast-dns does by default.
 * - IPv6: group ff02::fb, a link-local group, so one interface always
 *   (IPv6 multicast is sent on one interface, and multicast-dns joins and
 *   sends on the one it is given, `::%eth0`). Given an address (IPv6, or
 *   IPv4 in `both` mode), the interface that has it; otherwise the first
 *   interface with an IPv6 address that is not loopback. The socket is
 *   bound to `::` with IPV6_V6ONLY, so it never also hears the IPv4 group.
 *
 * Both share the mDNS port with other responders of the machine
 * (SO_REUSEADDR). An interface is looked up each time a socket is opened,
 * so an address that is not there yet is found at a later call.
 */
import { createSocket } from 'node:dgram'
import type { EventEmitter } from 'node:events'
import { isIP } from 'node:net'
import { networkInterfaces } from 'node:os'
import { Bonjour } from 'bonjour-service'
import { MdnsSocketError } from './errors.js'
import { messageOf } from './names.js'

export type IpFamily = 'ipv4' | 'ipv6'

/** The mDNS group of each family. */
export const GROUP: Readonly<Record<IpFamily, string>> = { ipv4: '224.0.0.251', ipv6: 'ff02::fb' }

/** The part of multicast-dns (under bonjour-service) used here. */
export interface MdnsSocket extends EventEmitter {
  query(q: { questions: Array<{ name: string, type: string }> }, cb: (err: Error | null) => void): void
}

/** An open socket of one family with the group joined. */
export interface MdnsLink {
  readonly family: IpFamily
  readonly bonjour: Bonjour
  readonly sock: MdnsSocket
  /** Where it listens and sends, for messages: `the interface of 10.0.0.5`, `interface eth0 (of fd00::5)`. */
  readonly where: string
}

/** What a link is to be: its family and the address that picks its interface, if any. */
export interface LinkPlan {
  readonly family: IpFamily
  readonly address: string | undefined
}

/** How the socket reports what happens to it once open (the strategy logs each thing once). */
export type Say = (key: string, level: 'error' | 'warn', msg: string) => void

/** Where a plan's link will be, before it is open (the interface is looked up at open). */
export function planWhere (p: LinkPlan): string {
  if (p.family === 'ipv4') return p.address !== undefined && isIP(p.address) === 4 ? `the interface of ${p.address}` : 'every IPv4 interface'
  return p.address !== undefined ? `the interface of ${p.address}` : 'the first interface with an IPv6 address'
}

/**
 * The IPv6 interface of a plan, as multicast-dns wants it (`::%eth0`), and
 * its description; or why there is none.
 */
function ipv6Interface (address: string | undefined): { iface: string, where: string } | Error {
  const all = Object.entries(networkInterfaces())
  if (address === undefined) {
    for (const [name, addrs] of all) {
      if ((addrs ?? []).some((a) => a.family === 'IPv6' && !a.internal)) return { iface: `::%${name}`, where: `interface ${name} (the first with an IPv6 address)` }
    }
    return new Error('no interface has an IPv6 address (name the node by its address to pick one)')
  }
  const bare = address.replace(/%.*$/s, '').toLowerCase()
  for (const [name, addrs] of all) {
    if ((addrs ?? []).some((a) => a.address.toLowerCase() === bare)) return { iface: `::%${name}`, where: `interface ${name} (of ${address})` }
  }
  return new Error(`no interface has the address ${address}`)
}

/** The multicast-dns options of a plan, or why it cannot be opened now. */
function socketOptions (p: LinkPlan, port: number): { opts: Record<string, unknown>, where: string } | Error {
  if (p.family === 'ipv4') {
    const iface = p.address !== undefined && isIP(p.address) === 4 ? p.address : undefined
    return { opts: { interface: iface, bind: '0.0.0.0', port }, where: planWhere(p) }
  }
  const found = ipv6Interface(p.address)
  if (found instanceof Error) return found
  const socket = createSocket({ type: 'udp6', reuseAddr: true, ipv6Only: true })
  return { opts: { type: 'udp6', ip: GROUP.ipv6, interface: found.iface, bind: '::', port, socket }, where: found.where }
}

async function destroy (b: Bonjour): Promise<void> {
  await new Promise<void>((resolve) => { b.destroy(() => { resolve() }) })
}

/**
 * Opens the socket of `plan` and joins the group. Resolves once bound with
 * the group joined on at least one interface; else closes it again and
 * rejects with MdnsSocketError naming the port, group, interface and the
 * system's reason.
 */
export async function openLink (plan: LinkPlan, port: number, say: Say): Promise<MdnsLink> {
  const group = GROUP[plan.family]
  const failed = (where: string, why: Error): MdnsSocketError =>
    new MdnsSocketError(`mdns cannot listen on UDP port ${port} and join ${group} on ${where}: ${why.message}`, why)
  const o = socketOptions(plan, port)
  if (o instanceof Error) throw failed(planWhere(plan), o)
  const where = o.where
  const b = new Bonjour(o.opts, (err: unknown) => {
    say(`send:${plan.family}:${messageOf(err)}`, 'warn', `mdns answer could not be sent on ${where}: ${messageOf(err)}`)
  })
  const sock = (b as unknown as { server: { mdns: MdnsSocket } }).server.mdns
  // Listeners for the socket's whole life, set before anything can happen:
  // multicast-dns emits 'error' twice for one failed bind, and an 'error'
  // with no listener would crash the node.
  let opening = true
  let joinedOn = false
  let warning: Error | undefined
  let settle: ((v: true | Error) => void) | undefined
  sock.on('networkInterface', () => { joinedOn = true })
  sock.on('error', (err: Error) => {
    if (opening) settle?.(err)
    else say(`error:${plan.family}:${err.message}`, 'error', `mdns socket error on ${where}: ${err.message}`)
  })
  sock.on('warning', (err: Error) => {
    // Undecodable packets from the network, and interfaces that cannot be joined when they change.
    if (opening) warning = err
    else say(`warning:${plan.family}:${err.message}`, 'warn', `mdns: ignored a malformed packet or interface problem on ${where}: ${err.message}`)
  })
  const joined = await new Promise<true | Error>((resolve) => {
    settle = (v) => { settle = undefined; resolve(v) }
    // multicast-dns joins the group when the socket listens, before 'ready'.
    sock.once('ready', () => { settle?.(joinedOn ? true : (warning ?? new Error('no interface to join'))) })
  })
  opening = false
  if (joined !== true) {
    await destroy(b)
    throw failed(where, joined)
  }
  return { family: plan.family, bonjour: b, sock, where }
}

/** Closes a link; resolves once its socket is closed. */
export async function closeLink (link: MdnsLink): Promise<void> {
  await destroy(link.bonjour)
}
