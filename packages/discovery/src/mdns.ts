/**
 * The mdns strategy: nodes find each other by multicast DNS service
 * discovery on their local network, with no server at all. It is the
 * successor of ekka's ekka_cluster_mcast (a UDP multicast ping, the pongs
 * heard within 3 s are the nodes), spoken as standard DNS-SD over mDNS
 * (bonjour-service / multicast-dns), so `avahi-browse _tekka._tcp` shows the
 * nodes too.
 *
 * - `register()` announces this node: a service instance of type
 *   `_<cluster.mdns.service>._tcp.local` on its dist port, whose TXT record
 *   carries `node=<its name>` and `cluster=<cluster.name>` (mdns-records.ts).
 *   From then on the node answers every query for that type.
 * - `unregister()` withdraws it: goodbye packets (TTL 0), and no more answers.
 * - `discover()` browses for `cluster.mdns.browse_window`: it sends a query
 *   (again after 1 s, 3 s, 7 s ... of a long window, as mDNS asks of
 *   continuous queriers, in case one was lost) and resolves with the node
 *   names heard, this node's own among them once it is announced (that is
 *   how the autocluster actor sees that registration took). Nodes of other
 *   clusters are left out; announcements of our service type that are
 *   malformed are left out and logged once each, naming the instance and
 *   what is wrong; other service types are none of our business.
 * - `stop()` withdraws and closes the socket; `start()` opens it again.
 *   A call before `start()` opens it on demand; a call after `stop()`
 *   rejects with MdnsStoppedError. A socket that could not be opened (no
 *   such interface yet) is tried again at the next call.
 *
 * Each round browses afresh; nothing is cached between rounds. A cache
 * would have to expire entries by their TTL, and DNS-SD's are long (the PTR
 * of a service lives 75 minutes by RFC 6762, bonjour-service gives it 8
 * hours), so a node killed without a goodbye would be "discovered" long
 * after it died; every responder answers every query, so one window hears
 * everyone there is. It costs one query per round per node, and the
 * autocluster actor stops its rounds once the cluster is complete. This is
 * also ekka's choice: ekka_cluster_mcast forgets what it saw after each
 * discover. A goodbye heard within the window takes the node out.
 *
 * Address family (`cluster.mdns.family`): `ipv4` (group 224.0.0.251),
 * `ipv6` (group ff02::fb; the answers carry the node's AAAA records), or
 * `both` (a socket of each; a node is announced on both and a round hears
 * both). `auto`, the default, is ipv6 for a node named by an IPv6 address
 * (`n1@fd00::5`: it is dialled over IPv6, and its network may have no IPv4
 * at all) and ipv4 otherwise, as before there was a choice. Nodes are
 * named, so dialled, as they name themselves: a node that should be dialled
 * over IPv6 is named by its IPv6 address (or a host name that resolves to
 * it).
 *
 * Interface: when the node's name has an address as its host
 * (`n1@10.0.0.5`, `n1@fd00::5`), the node joins the group and sends on the
 * interface that has that address, and nowhere else. Otherwise IPv4 uses
 * every IPv4 interface, IPv6 the first interface with an IPv6 address
 * (mdns-link.ts says why).
 *
 * ```ts
 * const strategy = mdnsStrategy({ service: 'tekka', browseWindow: 3000 })(components)
 * await strategy.register()
 * console.log(await strategy.discover())   // ['n1@10.0.0.5', 'n2@10.0.0.6']
 * await strategy.stop()
 * ```
 */
import { isIP } from 'node:net'
import type { Service } from 'bonjour-service'
import { BadArgError, type Timer } from '@tekka/actors'
import { ConfigError, configValue } from '@tekka/dist'
import { MINUTES, SECONDS } from './config-patterns.js'
import { MdnsSocketError, MdnsStoppedError } from './errors.js'
import { closeLink, openLink, planWhere, type IpFamily, type LinkPlan, type MdnsLink } from './mdns-link.js'
import { BrowseWindow, instanceName, serviceType, targetHost, txtOf, type DnsPacket } from './mdns-records.js'
import { describe, messageOf } from './names.js'
import { abortReason, untilAborted } from './signals.js'
import type { Strategy, StrategyCallOptions, StrategyComponents, StrategyDefinition, StrategyFactory } from './strategy.js'

export interface MdnsInit {
  /** `cluster.mdns.service`: the service type is `_<service>._tcp.local`. Default `tekka`. */
  service?: string
  /** `cluster.mdns.browse_window`: ms one discover() listens for answers. Default 3000. */
  browseWindow?: number
  /** `cluster.mdns.family`: ipv4, ipv6, both, or auto (ipv6 for a node named by an IPv6 address, else ipv4). Default auto. */
  family?: MdnsFamily
  /** An address (IPv4 or IPv6) of the interface to use. Default: the host of the node's name if it is an address, else every IPv4 interface / the first IPv6 one. */
  interface?: string
  /** UDP port of mDNS. Default 5353 (another one only for private test networks). */
  port?: number
}

/** The values of `cluster.mdns.family`. */
export type MdnsFamily = 'auto' | 'ipv4' | 'ipv6' | 'both'
const FAMILIES: readonly MdnsFamily[] = ['auto', 'ipv4', 'ipv6', 'both']

interface Options {
  readonly service: string
  readonly browseWindow: number
  readonly family: MdnsFamily
  readonly interface: string | undefined
  readonly port: number
}

const SERVICE = /^[a-z0-9](?:[a-z0-9-]{0,13}[a-z0-9])?$/
const DEFAULTS = { service: 'tekka', browseWindow: 3000, family: 'auto', port: 5353 } as const
/** Re-query at these ms into a window (then every 2 × the last gap), while the window lasts. */
const FIRST_REQUERY = 1000
/** How many distinct "logged once" keys are kept before forgetting them all. */
const MAX_SAID = 1024

class MdnsStrategy implements Strategy {
  readonly name = 'mdns'
  /** A discover listens for the whole browse window. */
  get callTime (): number { return this.#o.browseWindow }
  readonly #c: StrategyComponents
  readonly #o: Options
  readonly #port: number
  readonly #type: string
  /** One socket per family, in this order. */
  readonly #plans: readonly LinkPlan[]
  #stopped = false
  #links: readonly MdnsLink[] | undefined
  #opening: Promise<readonly MdnsLink[]> | undefined
  /** This node's announcement, one per link. */
  #services: Service[] | undefined
  #publishing: Promise<void> | undefined
  /** Ends every discover window in flight (on stop). */
  readonly #windows = new Set<(err: Error) => void>()
  readonly #said = new Set<string>()

  constructor (o: Options, families: readonly IpFamily[], port: number, c: StrategyComponents) {
    this.#c = c
    this.#o = o
    this.#port = port
    this.#type = serviceType(o.service)
    this.#plans = families.map((family) => ({ family, address: o.interface }))
  }

  /** Where the links are (or will be), for messages. */
  #where (): string {
    return (this.#links?.map((l) => l.where) ?? this.#plans.map(planWhere)).join(' and ')
  }

  // ---- lifecycle -------------------------------------------------------------------

  async start (): Promise<void> {
    this.#stopped = false
    await this.#open()
  }

  async stop (): Promise<void> {
    this.#stopped = true
    for (const end of [...this.#windows]) end(new MdnsStoppedError('discover'))
    // A socket still opening sees #stopped and closes itself.
    await this.#opening?.catch(() => undefined)
    await this.#withdraw().catch((err: unknown) => { this.#c.logger.warn(`mdns goodbye failed: ${messageOf(err)}`) })
    const links = this.#links
    if (links === undefined) return
    this.#links = undefined
    await Promise.all(links.map(closeLink))
    this.#c.logger.debug('mdns socket closed')
  }

  /** The open links, opening them if need be. */
  async #open (): Promise<readonly MdnsLink[]> {
    if (this.#links !== undefined) return this.#links
    this.#opening ??= this.#bind().finally(() => { this.#opening = undefined })
    return await this.#opening
  }

  async #ready (call: string): Promise<readonly MdnsLink[]> {
    if (this.#stopped) throw new MdnsStoppedError(call)
    const links = await this.#open()
    if (this.#stopped) throw new MdnsStoppedError(call)
    return links
  }

  /**
   * Opens a socket per family and joins its group (mdns-link.ts). All or
   * nothing: if one cannot be opened, those that were are closed again and
   * the call rejects with why.
   */
  async #bind (): Promise<readonly MdnsLink[]> {
    const say = (key: string, level: 'error' | 'warn', msg: string): void => { this.#sayOnce(key, level, msg) }
    const opened = await Promise.allSettled(this.#plans.map(async (p) => await openLink(p, this.#o.port, say)))
    const links = opened.flatMap((r) => r.status === 'fulfilled' ? [r.value] : [])
    const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    // Or stop() came while the sockets were opening: stop() closes what it finds, which was not these yet.
    if (failed !== undefined || this.#stopped) {
      await Promise.all(links.map(closeLink))
      if (failed !== undefined) throw failed.reason
      throw new MdnsStoppedError('start')
    }
    this.#links = links
    this.#c.logger.debug(`mdns socket open on ${this.#where()}, service type ${this.#type}`)
    return links
  }

  // ---- register / unregister -------------------------------------------------------

  async register (options: StrategyCallOptions = {}): Promise<void> {
    const links = await this.#ready('register')
    if (this.#services !== undefined && this.#publishing === undefined) return
    this.#publishing ??= this.#publish(links).finally(() => { this.#publishing = undefined })
    await untilAborted(this.#publishing, options.signal, this.#c.signal)
  }

  async #publish (links: readonly MdnsLink[]): Promise<void> {
    const node = this.#c.node
    const services = links.map((l) => l.bonjour.publish({
      name: instanceName(node),
      type: this.#o.service,
      port: this.#port,
      host: targetHost(node),
      txt: txtOf(node, this.#c.cluster),
      // The instance name is this node's own by construction: no probing for conflicts (it would take 750 ms).
      probe: false,
      // The address records: A of this host's IPv4 addresses, and on IPv6 also the AAAA of its IPv6 ones.
      disableIPv6: l.family === 'ipv4'
    }))
    this.#services = services
    // 'up' once the first announcement went out (bonjour-service repeats it after 1 s, 3 s, 9 s ...).
    await Promise.all(services.map(async (svc) => {
      if (!svc.published) await new Promise<void>((resolve) => { svc.once('up', () => { resolve() }) })
    }))
    this.#c.logger.info(`mdns: announced ${node} as ${services[0]?.fqdn ?? '?'} on ${this.#where()}`)
  }

  async unregister (options: StrategyCallOptions = {}): Promise<void> {
    await untilAborted(this.#withdraw(), options.signal, this.#c.signal)
  }

  /** Sends the goodbye of this node's service, if it is announced; resolves once sent. */
  async #withdraw (): Promise<void> {
    await this.#publishing?.catch(() => {})
    const services = this.#services
    if (services === undefined) return
    this.#services = undefined
    await Promise.all(services.map(async (svc) => { await new Promise<void>((resolve) => { svc.stop(() => { resolve() }) }) }))
    this.#c.logger.info(`mdns: withdrew ${this.#c.node} (goodbye sent)`)
  }

  // ---- discover ----------------------------------------------------------------------

  async discover (options: StrategyCallOptions = {}): Promise<string[]> {
    const links = await this.#ready('discover')
    const clock = this.#c.clock
    const heard = new BrowseWindow(this.#type)
    const windowMs = this.#o.browseWindow
    const signals = [options.signal, this.#c.signal].filter((s): s is AbortSignal => s !== undefined)
    const verdict = await new Promise<ReturnType<BrowseWindow['verdict']>>((resolve, reject) => {
      const timers: Timer[] = []
      const onResponse = (packet: DnsPacket): void => {
        try {
          for (const instance of heard.add(packet)) this.#c.logger.debug(`mdns: heard ${instance}`)
        } catch (err) {
          this.#sayOnce(`read:${messageOf(err)}`, 'warn', `mdns: could not read a response: ${messageOf(err)}`)
        }
      }
      const onAbort = (): void => {
        const s = signals.find((x) => x.aborted)
        end(s === undefined ? new Error('discover aborted') : abortReason(s))
      }
      const end = (err?: Error): void => {
        if (!this.#windows.delete(end)) return
        for (const t of timers) clock.clearTimeout(t)
        for (const l of links) l.sock.off('response', onResponse)
        for (const s of signals) s.removeEventListener('abort', onAbort)
        if (err !== undefined) reject(err)
        else resolve(heard.verdict(this.#c.cluster))
      }
      this.#windows.add(end)
      for (const s of signals) {
        if (s.aborted) { onAbort(); return }
        s.addEventListener('abort', onAbort, { once: true })
      }
      for (const l of links) l.sock.on('response', onResponse)
      const query = (): void => {
        for (const l of links) {
          l.sock.query({ questions: [{ name: this.#type, type: 'PTR' }] }, (err) => {
            if (err !== null && err !== undefined) end(new MdnsSocketError(`mdns query for ${this.#type} could not be sent on ${l.where}: ${err.message}`, err))
          })
        }
      }
      query()
      for (let at = FIRST_REQUERY, gap = FIRST_REQUERY; at < windowMs; gap *= 2, at += gap) {
        timers.push(clock.setTimeout(query, at))
      }
      timers.push(clock.setTimeout(() => { end() }, windowMs))
    })
    for (const bad of verdict.bad) {
      this.#sayOnce(`bad:${bad.instance.toLowerCase()}:${bad.problem}`, 'warn',
        `mdns: ignored the announcement of ${describe(bad.instance)}: ${bad.problem}`, { instance: bad.instance, problem: bad.problem })
    }
    for (const f of verdict.foreign) {
      this.#sayOnce(`foreign:${f.node}:${f.cluster}`, 'debug', `mdns: ignored ${f.node}, of cluster ${f.cluster}`, { node: f.node, cluster: f.cluster })
    }
    return verdict.nodes
  }

  #sayOnce (key: string, level: 'error' | 'warn' | 'info' | 'debug', msg: string, fields?: Record<string, unknown>): void {
    if (this.#said.has(key)) return
    if (this.#said.size >= MAX_SAID) this.#said.clear()
    this.#said.add(key)
    this.#c.logger[level](msg, fields)
  }
}

function options (init: MdnsInit): Options {
  const service = init.service ?? DEFAULTS.service
  const browseWindow = init.browseWindow ?? DEFAULTS.browseWindow
  const port = init.port ?? DEFAULTS.port
  if (typeof service !== 'string' || !SERVICE.test(service)) {
    throw new BadArgError(`mdns strategy: service must be 1 to 15 lowercase letters, digits or - (a DNS-SD service name), got ${describe(service)}`)
  }
  if (!Number.isInteger(browseWindow) || browseWindow < 1 || browseWindow > 3_600_000) {
    throw new BadArgError(`mdns strategy: browseWindow must be a whole number of ms from 1 to 3600000, got ${describe(browseWindow)}`)
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new BadArgError(`mdns strategy: port must be 1..65535, got ${describe(port)}`)
  const family = init.family ?? DEFAULTS.family
  if (!FAMILIES.includes(family)) throw new BadArgError(`mdns strategy: family must be one of ${FAMILIES.join(', ')}, got ${describe(family)}`)
  if (init.interface !== undefined && isIP(init.interface) === 0) {
    throw new BadArgError(`mdns strategy: interface must be an IPv4 or IPv6 address (of the interface to use), got ${describe(init.interface)}`)
  }
  if (family === 'ipv4' && init.interface !== undefined && isIP(init.interface) !== 4) {
    throw new BadArgError(`mdns strategy: interface must be an IPv4 address with family ipv4, got ${describe(init.interface)}`)
  }
  return { service, browseWindow, port, family, interface: init.interface }
}

/** The families of the sockets: `auto` is ipv6 when the interface's address (or else the node's host) is an IPv6 address. */
function familiesOf (family: MdnsFamily, address: string | undefined): IpFamily[] {
  if (family === 'both') return ['ipv4', 'ipv6']
  if (family === 'auto') return address !== undefined && isIP(address) === 6 ? ['ipv6'] : ['ipv4']
  return [family]
}

/**
 * `mdnsStrategy(init)(components)`. Throws BadArgError for a bad init, and
 * for a node that listens on no port (a client-only node cannot announce).
 */
export const mdnsStrategy: StrategyFactory<MdnsInit> = (init = {}) => {
  const o = options(init)
  return (components) => {
    if (components.port === undefined) {
      throw new BadArgError(`mdns strategy: ${components.node} listens on no port (a client-only node), so it has nothing to announce`, 'port')
    }
    const host = components.node.slice(components.node.indexOf('@') + 1)
    const iface = o.interface ?? (isIP(host) !== 0 ? host : undefined)
    // A node named by an IPv6 address, told to use IPv4 only: every IPv4 interface, as a host name.
    const address = o.family === 'ipv4' && iface !== undefined && isIP(iface) !== 4 ? undefined : iface
    return new MdnsStrategy({ ...o, interface: address }, familiesOf(o.family, address), components.port, components)
  }
}

/** `cluster.discovery = mdns`: `cluster.mdns.*`. */
export const mdnsDefinition: StrategyDefinition<MdnsInit> = {
  name: 'mdns',
  keys: [
    { key: 'cluster.mdns.service', type: 'string', default: DEFAULTS.service, pattern: SERVICE, patternText: 'a DNS-SD service name: 1 to 15 lowercase letters, digits or -', doc: 'mdns: service type advertised and browsed (`_<service>._tcp.local`).' },
    { key: 'cluster.mdns.browse_window', type: 'duration', default: 3 * SECONDS, min: 100, max: 10 * MINUTES, doc: 'mdns: how long one discovery round collects answers before reporting the nodes it heard.' },
    { key: 'cluster.mdns.family', type: 'enum', default: DEFAULTS.family, values: [...FAMILIES], doc: 'mdns: IP family: ipv4 (224.0.0.251), ipv6 (ff02::fb, answers carry AAAA), both, or auto (ipv6 when the node is named by an IPv6 address, else ipv4).' }
  ],
  read: (config) => ({
    service: configValue(config, 'cluster.mdns.service') as string,
    browseWindow: configValue(config, 'cluster.mdns.browse_window') as number,
    family: configValue(config, 'cluster.mdns.family') as MdnsFamily
  }),
  create (init, components) {
    if (components.port === undefined) {
      throw new ConfigError(`cluster.discovery = mdns needs a node that listens on a port: ${components.node} is client-only and cannot announce itself`, { key: 'cluster.discovery' })
    }
    return mdnsStrategy(init)(components)
  }
}
