/**
 * What a tekka node says on mDNS (DNS-SD, RFC 6763), and how one browse
 * window's answers are read back into node names.
 *
 * A node announces one service instance of type `_<service>._tcp.local`:
 *
 *   _tekka._tcp.local                        PTR  n1@10-77-0-11-25aa639b._tekka._tcp.local
 *   n1@10-77-0-11-25aa639b._tekka._tcp.local SRV  <dist port> n1-10-77-0-11-25aa639b.local
 *   n1@10-77-0-11-25aa639b._tekka._tcp.local TXT  node=n1@10.77.0.11 cluster=tekka
 *
 * The TXT record is what counts: the node name is taken from `node=` (the
 * instance label is only unique and readable, DNS-SD labels cannot keep the
 * dots), and `cluster=` keeps clusters that share a network apart. Records
 * of other service types are not ours and pass by unread. An instance of our
 * type whose TXT is missing or malformed is reported with what is wrong with
 * it, so the operator can find the sender; it is never taken as a node.
 */
import { createHash } from 'node:crypto'
import { describe, nameProblem } from './names.js'

/** The longest DNS label. */
const MAX_LABEL = 63

/** The DNS-SD service type of `service`, `_tekka._tcp.local`. */
export function serviceType (service: string): string {
  return `_${service}._tcp.local`
}

const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 8)

/**
 * The instance label of `node`: the node name with its dots as dashes
 * (bonjour-service would do that anyway), plus a short hash of the exact
 * name whenever that mapping could make two names one (a dot or an upper
 * case letter: DNS compares labels case-insensitively) or the label would be
 * too long. Two nodes of one network thus never announce the same instance.
 */
export function instanceName (node: string): string {
  const plain = node.replace(/\./g, '-')
  if (plain === node && !/[A-Z]/.test(node) && Buffer.byteLength(node) <= MAX_LABEL) return node
  return `${plain.slice(0, MAX_LABEL - 9)}-${hash(node)}`
}

/**
 * The SRV target of `node`, a host name of its own (`n1-10-77-0-11-<hash>.local`):
 * DNS-SD wants one per responder, and in network namespaces every node
 * would otherwise share the machine's host name. Nothing here reads it back.
 */
export function targetHost (node: string): string {
  const label = node.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '')
  return `${label.slice(0, MAX_LABEL - 9)}${label === '' ? '' : '-'}${hash(node)}.local`
}

/** The TXT of `node` in `cluster`. */
export function txtOf (node: string, cluster: string): Record<string, string> {
  return { node, cluster }
}

/** A resource record as dns-packet decodes it (only what is read here). */
export interface DnsRecord {
  readonly name?: unknown
  readonly type?: unknown
  readonly ttl?: unknown
  readonly data?: unknown
}

/** A decoded packet (only what is read here). */
export interface DnsPacket {
  readonly answers?: unknown
  readonly additionals?: unknown
}

/** An instance heard during the window that cannot be a node, and why. */
export interface BadAnnouncement {
  /** The instance's full name, `x._tekka._tcp.local`. */
  readonly instance: string
  readonly problem: string
}

/** A well-formed announcement of another cluster. */
export interface ForeignAnnouncement {
  readonly instance: string
  readonly node: string
  readonly cluster: string
}

export interface Verdict {
  /** Node names of this cluster, each once, in the order first heard. */
  readonly nodes: string[]
  readonly bad: BadAnnouncement[]
  readonly foreign: ForeignAnnouncement[]
}

interface Heard {
  /** The instance as it was spelled the first time. */
  readonly instance: string
  /** Last PTR for it: true an answer, false a goodbye (TTL 0), undefined none yet. */
  live: boolean | undefined
  /** Data of its last TXT record with a TTL. */
  txt: unknown
}

const lower = (s: string): string => s.toLowerCase()

/**
 * What one browse window heard. Records are applied in the order they came,
 * so an answer and then a goodbye (a node withdrawn during the window)
 * leaves the instance out, and a goodbye then an answer (withdrawn and
 * announced again) keeps it.
 */
export class BrowseWindow {
  readonly #type: string
  readonly #suffix: string
  readonly #heard = new Map<string, Heard>()

  constructor (type: string) {
    this.#type = lower(type)
    this.#suffix = `.${this.#type}`
  }

  /** Takes in one response packet; returns the instances it made live. Never throws on any packet shape. */
  add (packet: DnsPacket): string[] {
    const records = [
      ...(Array.isArray(packet.answers) ? packet.answers as unknown[] : []),
      ...(Array.isArray(packet.additionals) ? packet.additionals as unknown[] : [])
    ]
    const fresh: string[] = []
    // PTRs first, so a TXT listed before its PTR in one packet still counts.
    for (const rr of records) {
      const up = this.#ptr(rr)
      if (up !== undefined) fresh.push(up)
    }
    for (const rr of records) this.#txt(rr)
    return fresh
  }

  /** Applies a PTR of the service type; returns the instance if it was not live before. */
  #ptr (rr: unknown): string | undefined {
    if (typeof rr !== 'object' || rr === null) return undefined
    const { name, type, ttl, data } = rr as DnsRecord
    if (type !== 'PTR' || typeof name !== 'string' || lower(name) !== this.#type) return undefined
    if (typeof data !== 'string') return undefined
    const h = this.#entry(data)
    const was = h.live
    h.live = ttl !== 0
    return h.live && was !== true ? h.instance : undefined
  }

  #txt (rr: unknown): void {
    if (typeof rr !== 'object' || rr === null) return
    const { name, type, ttl, data } = rr as DnsRecord
    if (type !== 'TXT' || typeof name !== 'string' || !lower(name).endsWith(this.#suffix) || ttl === 0) return
    this.#entry(name).txt = data
  }

  #entry (instance: string): Heard {
    const key = lower(instance)
    let h = this.#heard.get(key)
    if (h === undefined) {
      h = { instance, live: undefined, txt: undefined }
      this.#heard.set(key, h)
    }
    return h
  }

  /** The instances live at the end of the window, sorted into nodes of `cluster`, other clusters and bad ones. */
  verdict (cluster: string): Verdict {
    const nodes: string[] = []
    const bad: BadAnnouncement[] = []
    const foreign: ForeignAnnouncement[] = []
    for (const h of this.#heard.values()) {
      if (h.live !== true) continue
      if (!lower(h.instance).endsWith(this.#suffix)) {
        bad.push({ instance: h.instance, problem: `the PTR of ${this.#type} points outside the service type` })
        continue
      }
      const read = readTxt(h.txt)
      if (typeof read === 'string') {
        bad.push({ instance: h.instance, problem: read })
        continue
      }
      if (read.cluster !== cluster) {
        foreign.push({ instance: h.instance, node: read.node, cluster: read.cluster })
        continue
      }
      if (!nodes.includes(read.node)) nodes.push(read.node)
    }
    return { nodes, bad, foreign }
  }
}

/**
 * The node and cluster of a TXT record's data (a list of `key=value`
 * strings; keys are case-insensitive and the first of a key counts, as RFC
 * 6763 says), or what is wrong with it.
 */
export function readTxt (data: unknown): { node: string, cluster: string } | string {
  if (data === undefined) return 'no TXT record (want node=<name@host> and cluster=<name>)'
  if (!Array.isArray(data)) return `TXT data ${describe(data)} is not a list of strings`
  const kv = new Map<string, string>()
  for (const item of data as unknown[]) {
    let s: string
    if (typeof item === 'string') s = item
    else if (item instanceof Uint8Array) s = Buffer.from(item.buffer, item.byteOffset, item.byteLength).toString('utf8')
    else return `TXT item ${describe(item)} is not a string`
    const eq = s.indexOf('=')
    if (eq <= 0) continue
    const key = s.slice(0, eq).toLowerCase()
    if (!kv.has(key)) kv.set(key, s.slice(eq + 1))
  }
  const node = kv.get('node')
  if (node === undefined) return `TXT has no node=<name@host> (has ${describe([...kv.keys()])})`
  const problem = nameProblem(node)
  if (problem !== undefined) return `TXT node=${describe(node)} is not a node name: ${problem}`
  const cluster = kv.get('cluster')
  if (cluster === undefined || cluster === '') return `TXT of ${node} has no cluster=<name>`
  return { node, cluster }
}
