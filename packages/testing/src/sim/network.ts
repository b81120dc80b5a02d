/**
 * An in-memory network for the simulation: each host listens on ports, a
 * dial makes a pair of Duplex sockets, and bytes travel between them after a
 * seeded latency, in order, on the simulated clock.
 *
 * Partitions behave as iptables DROP rules do to TCP: a direction that is
 * cut holds what is sent into it (TCP retransmits) and delivers it, in
 * order, once the cut is gone; a link that stays cut long enough dies by its
 * ticks. A dial across a cut in either direction times out (a SYN or its
 * answer is dropped). A crashed host resets its links (the peer's kernel
 * sees the RST, once it can get through) and refuses dials.
 */
import { Duplex } from 'node:stream'
import type { Socket } from 'node:net'
import { DialError, PortInUseError, type DialOptions, type Listener, type ListenOptions, type Transport } from '@tekka/dist'
import type { SimClock } from './clock.js'
import type { Rng } from './rng.js'

type Packet = { kind: 'data', chunk: Buffer } | { kind: 'fin' } | { kind: 'rst' }

export class SimSocket extends Duplex {
  readonly localHost: string
  readonly remoteHost: string
  readonly remoteAddress: string
  readonly remotePort: number
  peer: SimSocket | undefined
  /** Packets held by a cut, in order. */
  held: Packet[] = []
  /** Earliest time the next packet of this direction may arrive (keeps order). */
  nextAt = 0
  /** The host crashed: nothing more leaves this socket. */
  dead = false
  #reset = false
  readonly #net: SimNetwork

  constructor (net: SimNetwork, localHost: string, remoteHost: string, remotePort: number) {
    super({ allowHalfOpen: false })
    this.#net = net
    this.localHost = localHost
    this.remoteHost = remoteHost
    this.remoteAddress = remoteHost
    this.remotePort = remotePort
  }

  setNoDelay (): this { return this }

  override _read (): void {}

  override _write (chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    // Copied: the writer may reuse its buffer once the callback has run.
    this.#net.send(this, { kind: 'data', chunk: Buffer.from(chunk) })
    cb()
  }

  override _final (cb: (err?: Error | null) => void): void {
    this.#net.send(this, { kind: 'fin' })
    cb()
  }

  override _destroy (err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.#reset) this.#net.send(this, { kind: 'rst' })
    this.#net.forget(this)
    cb(err)
  }

  /** @internal a packet arrived from the peer */
  receive (p: Packet): void {
    if (this.destroyed || this.dead) return
    if (p.kind === 'data') {
      if (!this.readableEnded) this.push(p.chunk)
    } else if (p.kind === 'fin') {
      this.push(null)
    } else {
      this.#reset = true
      this.destroy()
    }
  }
}

function pairKey (from: string, to: string): string {
  return `${from}>${to}`
}

export class SimNetwork {
  readonly clock: SimClock
  readonly #rng: Rng
  readonly #latency: [number, number]
  readonly #listeners = new Map<string, ListenOptions>()
  /** Cut directions: `from` host -> the hosts it cannot send to. Checked on every packet. */
  readonly #cut = new Map<string, Set<string>>()
  readonly #crashed = new Set<string>()
  /**
   * Live sockets by `local>remote` host pair and by local host, so a restore
   * or a crash touches only its own sockets (a cluster of n hosts has n^2
   * of them). Sets keep insertion order: sockets are visited in the order
   * they were made, as a single list of them would be.
   */
  readonly #byPair = new Map<string, Set<SimSocket>>()
  readonly #byHost = new Map<string, Set<SimSocket>>()
  /** What has been sent so far: packets (data, fin, rst) and data bytes, for the scaling figures. */
  readonly sent = { packets: 0, bytes: 0 }

  constructor (clock: SimClock, rng: Rng, latency: [number, number] = [1, 5]) {
    this.clock = clock
    this.#rng = rng
    this.#latency = latency
  }

  /** The transport of `host`: it listens there and dials from there. */
  transport (host: string): Transport {
    return {
      listen: async (o) => this.#listen(host, o),
      dial: async (o) => await this.#dial(host, o)
    }
  }

  isCut (from: string, to: string): boolean {
    return this.#cut.size !== 0 && this.#cut.get(from)?.has(to) === true
  }

  /** Drops everything from `from` to `to` (one direction) until restored. */
  cut (from: string, to: string): void {
    let tos = this.#cut.get(from)
    if (tos === undefined) this.#cut.set(from, tos = new Set())
    tos.add(to)
  }

  restore (from: string, to: string): void {
    const tos = this.#cut.get(from)
    if (tos?.delete(to) !== true) return
    if (tos.size === 0) this.#cut.delete(from)
    const sockets = this.#byPair.get(pairKey(from, to))
    if (sockets === undefined) return
    for (const s of [...sockets]) {
      if (s.held.length === 0) continue
      const held = s.held
      s.held = []
      for (const p of held) this.#schedule(s, p)
      if (s.destroyed) this.#drop(s)
    }
  }

  /** Restores every cut, host by host in the order they were first cut. */
  restoreAll (): void {
    for (const [from, tos] of [...this.#cut]) for (const to of [...tos]) this.restore(from, to)
  }

  /** The cut directions, `from>to`, sorted. */
  cuts (): string[] {
    return [...this.#cut].flatMap(([from, tos]) => [...tos].map((to) => `${from}>${to}`)).sort()
  }

  /** The host dies: its links are reset (as the OS does for a killed process), its ports closed. */
  crash (host: string): void {
    this.#crashed.add(host)
    for (const [k, l] of this.#listeners) if (l.host === host || k.startsWith(`${host}:`)) this.#listeners.delete(k)
    for (const s of [...this.#byHost.get(host) ?? []]) {
      this.send(s, { kind: 'rst' })
      s.dead = true
      this.#drop(s)
    }
  }

  /** The host is back (a new process on it will listen again). */
  revive (host: string): void {
    this.#crashed.delete(host)
  }

  /** Resets everything (end of a run): drops every socket without events. */
  clear (): void {
    for (const sockets of this.#byHost.values()) for (const s of sockets) { s.dead = true; s.held = [] }
    this.#byHost.clear()
    this.#byPair.clear()
    this.#listeners.clear()
  }

  /** @internal */
  send (from: SimSocket, p: Packet): void {
    if (from.dead) return
    this.clock.activity++
    this.sent.packets++
    if (p.kind === 'data') this.sent.bytes += p.chunk.length
    if (this.isCut(from.localHost, from.remoteHost) || from.held.length > 0) {
      from.held.push(p)
      return
    }
    this.#schedule(from, p)
  }

  /** @internal */
  forget (s: SimSocket): void {
    // A socket destroyed with packets still held: they are lost with it (as a reset connection's are).
    if (s.held.length === 0) this.#drop(s)
  }

  #add (s: SimSocket): void {
    for (const [index, key] of [[this.#byPair, pairKey(s.localHost, s.remoteHost)], [this.#byHost, s.localHost]] as const) {
      let set = index.get(key)
      if (set === undefined) index.set(key, set = new Set())
      set.add(s)
    }
  }

  #drop (s: SimSocket): void {
    for (const [index, key] of [[this.#byPair, pairKey(s.localHost, s.remoteHost)], [this.#byHost, s.localHost]] as const) {
      const set = index.get(key)
      if (set?.delete(s) === true && set.size === 0) index.delete(key)
    }
  }

  #schedule (from: SimSocket, p: Packet): void {
    const now = this.clock.now()
    const at = Math.max(from.nextAt, now + this.#lat())
    from.nextAt = at
    const to = from.peer
    this.clock.setTimeout(() => { to?.receive(p) }, at - now)
  }

  #lat (): number {
    const [lo, hi] = this.#latency
    return lo + this.#rng.int(hi - lo + 1)
  }

  #listen (host: string, o: ListenOptions): Listener {
    const key = `${host}:${o.port}`
    if (this.#listeners.has(key)) throw new PortInUseError(host, o.port)
    this.#listeners.set(key, { ...o, host })
    return {
      host,
      port: o.port,
      close: async () => { if (this.#listeners.get(key)?.onConnection === o.onConnection) this.#listeners.delete(key) }
    }
  }

  async #dial (from: string, o: DialOptions): Promise<Socket> {
    const { host: to, port } = o
    const timeout = o.timeout ?? 5000
    const started = this.clock.now()
    return await new Promise<Socket>((resolve, reject) => {
      const fail = (why: string, code: 'ERR_DIAL' | 'ERR_DIAL_TIMEOUT', after: number): void => {
        this.clock.setTimeout(() => { reject(new DialError(to, port, why, { code })) }, Math.max(0, after))
      }
      const blocked = (): boolean => this.isCut(from, to) || this.isCut(to, from) || this.#crashed.has(from)
      if (blocked()) { fail(`no connection within ${timeout} ms`, 'ERR_DIAL_TIMEOUT', timeout); return }
      const rtt = 2 * this.#lat()
      this.clock.setTimeout(() => {
        if (blocked()) { fail(`no connection within ${timeout} ms`, 'ERR_DIAL_TIMEOUT', timeout - (this.clock.now() - started)); return }
        const l = this.#listeners.get(`${to}:${port}`)
        if (l === undefined || this.#crashed.has(to)) { reject(new DialError(to, port, 'ECONNREFUSED')); return }
        const a = new SimSocket(this, from, to, port)
        const b = new SimSocket(this, to, from, 40000 + this.#rng.int(20000))
        a.peer = b
        b.peer = a
        this.#add(a)
        this.#add(b)
        a.on('error', () => {})
        b.on('error', () => {})
        l.onConnection(b as unknown as Socket)
        resolve(a as unknown as Socket)
      }, rtt)
    })
  }
}
