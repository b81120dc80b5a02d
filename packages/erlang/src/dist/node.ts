/**
 * One tekka node on Erlang's distribution: a listener, its registration
 * (with epmd, or ekka's port rule and none), handshakes both ways, and the
 * links, with nodeup / nodedown.
 *
 * ```ts
 * const node = await startErlDist({ name: 'tk@127.0.0.1', cookie: 'c', epmdPort: 14369 })
 * node.on('nodeup', (peer) => ...)
 * node.on('nodedown', (peer, reason) => ...)
 * const conn = await node.connect('e1@127.0.0.1')
 * await node.stop()
 * ```
 *
 * `portMapper: 'epmd'` (the default) listens on any free port (or `port`)
 * and registers it with the epmd at `epmdPort` (or ERL_EPMD_PORT, or 4369),
 * whose answer is the creation; peers are looked up there (PORT_PLEASE2).
 * `portMapper: 'port_rule'` is ekka's `-start_epmd false -epmd_module
 * ekka_epmd` setup: it listens on `basePort + trailing digits of its short
 * name` and finds peers by the same rule; the creation is random.
 *
 * A handshake that fails on an incoming connection is logged and emitted as
 * 'refused' (the error names the peer); the node keeps serving.
 */
import { EventEmitter } from 'node:events'
import { connect as netConnect, createServer, isIP, type Server, type Socket } from 'node:net'
import { BadArgError, silentLogger, type Clock, type Logger } from '@tekka/actors'
import { DialError, HandshakeError, PortInUseError, nodePort, parseNodeName } from '@tekka/dist'
import { EKKA_BASE_PORT, epmdPortOf, epmdRegister, epmdResolver, portRuleResolver, type EpmdRegistration, type PortResolver } from '../epmd.js'
import { ErlConnection, type ErlCloseReason } from './connection.js'
import { DEFAULT_SETUP_TIME, acceptHandshake, initiateHandshake, randomCreation, type ErlHandshakeOptions, type ErlHandshakeResult } from './handshake.js'

export interface ErlDistNodeOptions {
  /** `name@host`; with an IP address as host we listen on that address. */
  name: string
  cookie: string
  /** How peers find us and we them. Default 'epmd'. */
  portMapper?: 'epmd' | 'port_rule'
  /** epmd's port (portMapper 'epmd'). Default ERL_EPMD_PORT, else 4369. */
  epmdPort?: number
  /** ekka's base port (portMapper 'port_rule'; kernel's inet_dist_base_port). Default 4370. */
  basePort?: number
  /** Listen port. Default: any free one with epmd, the port rule's otherwise. */
  port?: number
  /** Listen address. Default: the name's host when it is an IP address, else 0.0.0.0. */
  listenHost?: string
  /** erl's net_ticktime in ms. Default 60000. */
  tickTime?: number
  /** Handshake deadline in ms (erl's net_setuptime). Default 7000. */
  setupTime?: number
  hidden?: boolean
  flags?: bigint
  /** Each distribution packet from a peer, unparsed (the ETF codec's seam). */
  onFrame?: (peer: string, packet: Buffer) => void
  clock?: Clock
  logger?: Logger
}

export interface ErlDistNodeEvents {
  nodeup: [peer: string, conn: ErlConnection]
  nodedown: [peer: string, reason: ErlCloseReason]
  refused: [err: HandshakeError]
}

export class ErlDistNode extends EventEmitter<ErlDistNodeEvents> {
  readonly name: string
  readonly #opts: ErlDistNodeOptions
  readonly #logger: Logger
  readonly #resolve: PortResolver
  readonly #links = new Map<string, ErlConnection>()
  readonly #dials = new Map<string, Promise<ErlConnection>>()
  readonly #sockets = new Set<Socket>()
  #server: Server | undefined
  #registration: EpmdRegistration | undefined
  #creation = 0
  #port = 0
  #running = false

  /** @internal use startErlDist */
  constructor (opts: ErlDistNodeOptions) {
    super()
    parseNodeName(opts.name)
    if (opts.portMapper !== undefined && opts.portMapper !== 'epmd' && opts.portMapper !== 'port_rule') throw new BadArgError(`portMapper must be 'epmd' or 'port_rule', got ${JSON.stringify(opts.portMapper)}`)
    if (typeof opts.cookie !== 'string' || opts.cookie === '') throw new BadArgError('the cookie must be a non-empty string')
    this.name = opts.name
    this.#opts = opts
    this.#logger = opts.logger ?? silentLogger('tekka:erlang')
    this.#resolve = opts.portMapper === 'port_rule'
      ? portRuleResolver({ basePort: opts.basePort ?? EKKA_BASE_PORT })
      : epmdResolver({ epmdPort: epmdPortOf({ epmdPort: opts.epmdPort }) })
  }

  get creation (): number { return this.#creation }
  /** The port we listen on. */
  get port (): number { return this.#port }
  get running (): boolean { return this.#running }
  /** Names of the nodes we have a link to. */
  nodes (): string[] { return [...this.#links.keys()] }
  connection (peer: string): ErlConnection | undefined { return this.#links.get(peer) }

  /** Listens and registers; safe to call twice. */
  async start (): Promise<void> {
    if (this.#running) return
    const o = this.#opts
    const { host } = parseNodeName(o.name)
    const listenHost = o.listenHost ?? (isIP(host) !== 0 ? host : '0.0.0.0')
    const port = o.port ?? (o.portMapper === 'port_rule' ? nodePort(o.name, o.basePort ?? EKKA_BASE_PORT) : 0)
    const server = createServer((socket) => { this.#accept(socket) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'EADDRINUSE' ? new PortInUseError(listenHost, port, { cause: err }) : err)
      })
      server.listen({ host: listenHost, port, exclusive: true }, () => { resolve() })
    })
    server.on('error', (err) => { this.#logger.error('erlang dist listener failed', { error: err.message }) })
    this.#server = server
    const addr = server.address()
    this.#port = typeof addr === 'object' && addr !== null ? addr.port : port
    if (o.portMapper === 'port_rule') {
      this.#creation = randomCreation()
    } else {
      try {
        const { short } = parseNodeName(o.name)
        this.#registration = await epmdRegister({ name: short, port: this.#port, hidden: o.hidden, epmdPort: o.epmdPort })
      } catch (err) {
        server.close()
        this.#server = undefined
        throw err
      }
      this.#creation = this.#registration.creation
      void this.#registration.closed.then(() => {
        if (this.#running) this.#logger.warn('epmd dropped our registration: peers can no longer look us up', { name: o.name })
      })
    }
    this.#running = true
    this.#logger.info('erlang distribution listening', { name: o.name, port: this.#port, creation: this.#creation, portMapper: o.portMapper ?? 'epmd' })
  }

  /** Closes every link, the listener and the registration; safe to call twice. */
  async stop (): Promise<void> {
    if (!this.#running) return
    this.#running = false
    for (const s of this.#sockets) s.destroy()
    await Promise.all([...this.#links.values()].map(async (c) => { await c.close('shutdown') }))
    await new Promise<void>((resolve) => { this.#server?.close(() => { resolve() }) ?? resolve() })
    this.#server = undefined
    await this.#registration?.close()
    this.#registration = undefined
  }

  /** A link to `peer` (an existing one, or a new one: look-up, dial, handshake). */
  async connect (peer: string, opts: { signal?: AbortSignal } = {}): Promise<ErlConnection> {
    if (!this.#running) throw new BadArgError(`${this.name} is not running`)
    parseNodeName(peer)
    const had = this.#links.get(peer)
    if (had !== undefined) return had
    let dial = this.#dials.get(peer)
    if (dial === undefined) {
      dial = this.#dial(peer, opts.signal).finally(() => { this.#dials.delete(peer) })
      this.#dials.set(peer, dial)
    }
    return await dial
  }

  async #dial (peer: string, signal?: AbortSignal): Promise<ErlConnection> {
    const addr = await this.#resolve(peer, { signal })
    const timeout = this.#opts.setupTime ?? DEFAULT_SETUP_TIME
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host: addr.host, port: addr.port })
      const t = setTimeout(() => { s.destroy(); reject(new DialError(addr.host, addr.port, `no connection to ${peer} within ${timeout} ms`, { code: 'ERR_DIAL_TIMEOUT' })) }, timeout)
      s.once('connect', () => { clearTimeout(t); s.removeAllListeners('error'); resolve(s) })
      s.once('error', (err) => { clearTimeout(t); reject(new DialError(addr.host, addr.port, `${err.message} (dialling ${peer})`, { cause: err })) })
    })
    this.#sockets.add(socket)
    try {
      const hs = await initiateHandshake(socket, { ...this.#hsOptions(), peerName: peer, peerVersion: addr.highestVersion })
      return this.#up(socket, hs)
    } catch (err) {
      // Both dialled at once and the peer's attempt won: its link, coming in, is ours too.
      if (err instanceof HandshakeError && err.status === 'nok') return await this.#incoming(peer, timeout, err)
      throw err
    } finally {
      this.#sockets.delete(socket)
    }
  }

  /** The link `peer` is setting up to us, once up; `why` if it is not within `timeout`. */
  async #incoming (peer: string, timeout: number, why: HandshakeError): Promise<ErlConnection> {
    const had = this.#links.get(peer)
    if (had !== undefined) return had
    return await new Promise((resolve, reject) => {
      const onUp = (p: string, c: ErlConnection): void => { if (p === peer) { done(); resolve(c) } }
      const t = setTimeout(() => { done(); reject(why) }, timeout)
      const done = (): void => { clearTimeout(t); this.off('nodeup', onUp) }
      this.on('nodeup', onUp)
    })
  }

  #hsOptions (): ErlHandshakeOptions {
    const o = this.#opts
    return { name: o.name, cookie: o.cookie, creation: this.#creation, flags: o.flags, hidden: o.hidden, timeout: o.setupTime, logger: this.#logger.child('handshake') }
  }

  #accept (socket: Socket): void {
    if (!this.#running) { socket.destroy(); return }
    this.#sockets.add(socket)
    acceptHandshake(socket, {
      ...this.#hsOptions(),
      admit: (p) => this.#admit(p.name)
    }).then((hs) => {
      this.#sockets.delete(socket)
      if (!this.#running) { socket.destroy(); return }
      if (hs.replaces) void this.#links.get(hs.peer.name)?.close('replaced')
      this.#up(socket, hs)
    }, (err: HandshakeError) => {
      this.#sockets.delete(socket)
      this.emit('refused', err)
    })
  }

  /**
   * erl's rules for an incoming handshake: a link we have already -> 'alive'
   * (the peer says whether it is a new incarnation); both dialling at once
   * -> the greater name's own attempt wins (net_kernel): we answer 'nok'
   * when ours is greater, else 'ok_simultaneous' (and our attempt, refused
   * by the peer, waits for this one).
   */
  #admit (peer: string): 'ok' | 'ok_simultaneous' | 'nok' | 'alive' {
    if (this.#links.has(peer)) return 'alive'
    if (this.#dials.has(peer)) return this.name > peer ? 'nok' : 'ok_simultaneous'
    return 'ok'
  }

  #up (socket: Socket, hs: ErlHandshakeResult): ErlConnection {
    const peer = hs.peer.name
    const onFrame = this.#opts.onFrame
    const conn = new ErlConnection(socket, hs, {
      tickTime: this.#opts.tickTime,
      clock: this.#opts.clock,
      logger: this.#logger.child('connection'),
      onFrame: onFrame === undefined ? undefined : (p) => { onFrame(peer, p) }
    })
    this.#links.set(peer, conn)
    conn.once('close', (reason: ErlCloseReason) => {
      if (this.#links.get(peer) === conn) this.#links.delete(peer)
      this.emit('nodedown', peer, reason)
    })
    this.emit('nodeup', peer, conn)
    return conn
  }
}

/** Starts a node on Erlang's distribution (listening and registered). */
export async function startErlDist (opts: ErlDistNodeOptions): Promise<ErlDistNode> {
  const node = new ErlDistNode(opts)
  await node.start()
  return node
}
