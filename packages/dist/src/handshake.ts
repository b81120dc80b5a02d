/**
 * The distribution handshake: both nodes prove that they know the shared
 * cookie, without sending it, before either accepts the link.
 *
 * ```
 * client                                        server
 *   hello { name, version, minVersion, flags,
 *           creation, cluster, hidden, challenge: Cc }   ->
 *                                                 checks: name, version, cluster
 *      <-  challenge { name, version (chosen), flags,
 *                      creation, cluster, hidden, challenge: Cs }
 * checks: name (= expectedName), version, cluster
 *   ack { digest: HMAC(cookie, "tekka-dist client proof" | T) }   ->
 *                                                 verifies, then onPeer(peer)
 *      <-  ok { digest: HMAC(cookie, "tekka-dist server proof" | T) }
 * verifies
 * ```
 *
 * When the server still has a live link to the client's incarnation
 * (`onPeer` says `alive`), it asks first, as Erlang's `alive` status does:
 *
 * ```
 *      <-  alive
 * hasLink(peer)? yes: status alive, close (both keep the link they have)
 *                no:  alive_reply ->          the server's link is stale:
 *                                             result.replaces, then ok
 * ```
 *
 * A node dials only when it has no link, so a client without one means the
 * server's link died on the client's side without the server noticing yet
 * (one-way packet loss, a half-open socket): the new link replaces it at
 * once instead of waiting out the tick timeout. A client that got a link in
 * the meantime (the server's own dial won the race) says so, and the
 * server's link stays.
 *
 * T is SHA-256 over the hello and challenge messages as sent, so the proofs
 * cover both names, both fresh challenges, the chosen version and every
 * other field (a man in the middle cannot alter them unnoticed). The role
 * labels differ, so a proof cannot be reflected back as the other side's.
 *
 * The client proves first, as in Erlang: an unauthenticated dialler gets no
 * HMAC output it could use to guess a weak cookie offline; only a node we
 * dial ourselves sees our proof. The tie-break (`onPeer`) runs only after the
 * client proved the cookie, so a stranger claiming a node's name cannot make
 * the kernel drop or refuse that node's connections.
 *
 * Either side may answer a step with `status { status }` instead and close:
 * `bad_cookie`, `bad_name`, `bad_cluster`, `bad_version` (with `detail`),
 * `nok`, `alive`, `not_allowed`. Both sides then throw a HandshakeError with
 * the same code. Every receive has a deadline of `timeout` ms (default 5000)
 * on the injected clock.
 *
 * This authenticates the peer, not the stream after it: run it inside TLS
 * (transport.ts) where an active attacker on the path is a concern.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Socket } from 'node:net'
import { BadArgError, consoleLogger, systemClock } from '@tekka/actors'
import type { Clock, Logger } from '@tekka/actors'
import { HandshakeChannel } from './handshake-channel.js'
import type { Message } from './handshake-channel.js'
import { HandshakeError } from './errors.js'
import { isNodeName } from './node-name.js'
import { DEFAULT_HANDSHAKE_TIMEOUT } from './defaults.js'

/** The protocol version this code speaks best, and the oldest it still speaks. */
export const PROTOCOL_VERSION = 1
export const MIN_PROTOCOL_VERSION = 1
const CHALLENGE_SIZE = 32
const CLIENT_LABEL = Buffer.from('tekka-dist client proof\0')
const SERVER_LABEL = Buffer.from('tekka-dist server proof\0')
const MAX_CLUSTER_LENGTH = 255

/** What the handshake learned about the other node. `version` is the negotiated one. */
export interface PeerInfo {
  name: string
  creation: number
  flags: number
  cluster: string
  hidden: boolean
  version: number
}

/**
 * The kernel's answer once the client is authenticated: `ok` accepts;
 * `nok` ("a connection to you is being set up by me and wins") and
 * `not_allowed` refuse; `alive` ("I have a live link to you") asks the
 * client, which keeps that link (refused, status `alive`) or declares it
 * stale (accepted, `replaces`).
 */
export type PeerStatus = 'ok' | 'nok' | 'alive' | 'not_allowed'

export interface HandshakeOptions {
  localName: string
  /** The shared secret; used only as an HMAC key, never sent. */
  cookie: string | Uint8Array
  /** This incarnation of the local node (32-bit). */
  creation: number
  cluster: string
  hidden?: boolean
  /** Capability bits, passed through to the peer as `peer.flags`. */
  flags?: number
  clock?: Clock
  /** Default: `tekka:dist:handshake` on stderr. */
  logger?: Logger
  /** Deadline of each step, in ms (default 5000). */
  timeout?: number
  /** Client: the node dialled; a server with another name is refused (ERR_HANDSHAKE_NAME). */
  expectedName?: string
  /** Server: the kernel's tie-break, called once the client proved the cookie. May return a promise. */
  onPeer?: (peer: PeerInfo) => PeerStatus | Promise<PeerStatus>
  /**
   * Client: asked when the server says it has a live link to us: do we have
   * one to it too? True keeps that link (this dial is refused, status
   * `alive`); false (the default) tells the server its link is stale.
   */
  hasLink?: (peer: PeerInfo) => boolean
  /** Highest / lowest protocol version offered (default PROTOCOL_VERSION / MIN_PROTOCOL_VERSION). */
  version?: number
  minVersion?: number
  signal?: AbortSignal
}

export interface HandshakeResult {
  peer: PeerInfo
  /** Server: the client confirmed it has no link, so the server's live link to it is stale and this one replaces it. */
  replaces: boolean
  /** Bytes already read past the handshake: the start of the connection's stream. */
  rest: Buffer
}

interface Settings {
  localName: string
  key: Buffer
  creation: number
  cluster: string
  hidden: boolean
  flags: number
  clock: Clock
  logger: Logger
  timeout: number
  version: number
  minVersion: number
}

function isUint32 (v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff
}

function isVersion (v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 0xffff
}

function settings (opts: HandshakeOptions): Settings {
  const key = typeof opts.cookie === 'string' ? Buffer.from(opts.cookie, 'utf8') : Buffer.from(opts.cookie)
  if (key.length === 0) throw new BadArgError('cookie must not be empty')
  if (!isNodeName(opts.localName)) throw new BadArgError(`localName must be name@host, got ${JSON.stringify(opts.localName)}`)
  if (!isUint32(opts.creation)) throw new BadArgError(`creation must be a 32-bit unsigned integer, got ${opts.creation}`)
  if (typeof opts.cluster !== 'string' || opts.cluster.length > MAX_CLUSTER_LENGTH) throw new BadArgError('cluster must be a string of at most 255 characters')
  const flags = opts.flags ?? 0
  if (!Number.isSafeInteger(flags) || flags < 0) throw new BadArgError(`flags must be a non-negative safe integer, got ${flags}`)
  const version = opts.version ?? PROTOCOL_VERSION
  const minVersion = opts.minVersion ?? Math.min(MIN_PROTOCOL_VERSION, version)
  if (!isVersion(version) || !isVersion(minVersion) || minVersion > version) throw new BadArgError(`bad protocol versions ${minVersion}..${version}`)
  const timeout = opts.timeout ?? DEFAULT_HANDSHAKE_TIMEOUT
  if (!(timeout > 0)) throw new BadArgError(`timeout must be positive, got ${timeout}`)
  return {
    localName: opts.localName,
    key,
    creation: opts.creation,
    cluster: opts.cluster,
    hidden: opts.hidden ?? false,
    flags,
    clock: opts.clock ?? systemClock(),
    logger: opts.logger ?? consoleLogger('tekka:dist:handshake'),
    timeout,
    version,
    minVersion
  }
}

function malformed (what: string, field: string): HandshakeError {
  return new HandshakeError('ERR_HANDSHAKE_PROTOCOL', `malformed ${what} message: bad ${field}`)
}

/** The fields hello and challenge share, checked; unknown fields are ignored (room for later versions). */
function readIntro (m: Message, what: string): Omit<PeerInfo, 'version'> & { challenge: Uint8Array, version: number } {
  if (!isNodeName(m.name)) throw malformed(what, 'name')
  if (!isVersion(m.version)) throw malformed(what, 'version')
  if (!isUint32(m.creation)) throw malformed(what, 'creation')
  if (typeof m.flags !== 'number' || !Number.isSafeInteger(m.flags) || m.flags < 0) throw malformed(what, 'flags')
  if (typeof m.cluster !== 'string' || m.cluster.length > MAX_CLUSTER_LENGTH) throw malformed(what, 'cluster')
  if (typeof m.hidden !== 'boolean') throw malformed(what, 'hidden')
  if (!(m.challenge instanceof Uint8Array) || m.challenge.length !== CHALLENGE_SIZE) throw malformed(what, 'challenge')
  return { name: m.name, version: m.version, creation: m.creation, flags: m.flags, cluster: m.cluster, hidden: m.hidden, challenge: m.challenge }
}

function proof (key: Buffer, label: Buffer, transcript: Buffer): Buffer {
  return createHmac('sha256', key).update(label).update(transcript).digest()
}

function verifies (digest: unknown, expected: Buffer): boolean {
  return digest instanceof Uint8Array && digest.length === expected.length && timingSafeEqual(digest, expected)
}

function versionDetail (s: Settings): string {
  return `speaks versions ${s.minVersion}..${s.version}`
}

/** Dialling side. Resolves once both sides proved the cookie and the server accepted; the socket is then paused. */
export async function clientHandshake (socket: Socket, opts: HandshakeOptions): Promise<HandshakeResult> {
  let s: Settings
  try {
    s = settings(opts)
  } catch (err) {
    socket.destroy()
    throw err
  }
  const ch = new HandshakeChannel(socket, { clock: s.clock, logger: s.logger, timeout: s.timeout, signal: opts.signal }, opts.expectedName ?? 'peer')
  try {
    ch.send({
      t: 'hello',
      name: s.localName,
      version: s.version,
      minVersion: s.minVersion,
      flags: s.flags,
      creation: s.creation,
      cluster: s.cluster,
      hidden: s.hidden,
      challenge: randomBytes(CHALLENGE_SIZE)
    }, true)
    const intro = readIntro(await ch.receive('challenge', true), 'challenge')
    ch.peerLabel = intro.name
    if (opts.expectedName !== undefined && intro.name !== opts.expectedName) {
      ch.refuse('bad_name', `dialled ${opts.expectedName} but the peer is ${intro.name}`)
    }
    if (intro.name === s.localName) ch.refuse('bad_name', `the peer claims our own name ${s.localName}`)
    if (intro.version > s.version || intro.version < s.minVersion) {
      ch.refuse('bad_version', `${intro.name} chose protocol version ${intro.version}, we speak ${s.minVersion}..${s.version}`, { detail: versionDetail(s) })
    }
    if (intro.cluster !== s.cluster) {
      ch.refuse('bad_cluster', `${intro.name} is in cluster ${JSON.stringify(intro.cluster)}, we are in ${JSON.stringify(s.cluster)}`)
    }
    const transcript = ch.transcriptDigest()
    ch.send({ t: 'ack', digest: proof(s.key, CLIENT_LABEL, transcript) })
    const peer: PeerInfo = { name: intro.name, creation: intro.creation, flags: intro.flags, cluster: intro.cluster, hidden: intro.hidden, version: intro.version }
    let ok = await ch.receive(['ok', 'alive'])
    if (ok.t === 'alive') {
      if (opts.hasLink?.(peer) === true) ch.refuse('alive', `${intro.name} and we both have a live link: keeping it`)
      ch.send({ t: 'alive_reply' })
      ok = await ch.receive('ok')
    }
    if (!verifies(ok.digest, proof(s.key, SERVER_LABEL, transcript))) {
      ch.refuse('bad_cookie', `${intro.name} failed to prove the cookie (the cookies differ)`)
    }
    s.logger.debug('handshake done', { peer: peer.name, side: 'client', version: peer.version })
    return { peer, replaces: false, rest: ch.release() }
  } catch (err) {
    throw report(s.logger, ch.fail(err), 'client', ch.peerLabel)
  }
}

/** Accepting side. Resolves once the client proved the cookie and `onPeer` said ok; the socket is then paused. */
export async function serverHandshake (socket: Socket, opts: HandshakeOptions): Promise<HandshakeResult> {
  let s: Settings
  try {
    s = settings(opts)
  } catch (err) {
    socket.destroy()
    throw err
  }
  const ch = new HandshakeChannel(socket, { clock: s.clock, logger: s.logger, timeout: s.timeout, signal: opts.signal },
    `peer ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`)
  try {
    const hello = await ch.receive('hello', true)
    const intro = readIntro(hello, 'hello')
    if (!isVersion(hello.minVersion) || hello.minVersion > intro.version) throw malformed('hello', 'minVersion')
    ch.peerLabel = intro.name
    if (intro.name === s.localName) ch.refuse('bad_name', `the peer claims our own name ${s.localName}`)
    const version = Math.min(intro.version, s.version)
    if (version < Math.max(hello.minVersion, s.minVersion)) {
      ch.refuse('bad_version', `${intro.name} speaks versions ${hello.minVersion}..${intro.version}, we speak ${s.minVersion}..${s.version}`, { detail: versionDetail(s) })
    }
    if (intro.cluster !== s.cluster) {
      ch.refuse('bad_cluster', `${intro.name} is in cluster ${JSON.stringify(intro.cluster)}, we are in ${JSON.stringify(s.cluster)}`)
    }
    ch.send({
      t: 'challenge',
      name: s.localName,
      version,
      flags: s.flags,
      creation: s.creation,
      cluster: s.cluster,
      hidden: s.hidden,
      challenge: randomBytes(CHALLENGE_SIZE)
    }, true)
    const transcript = ch.transcriptDigest()
    const ack = await ch.receive('ack')
    if (!verifies(ack.digest, proof(s.key, CLIENT_LABEL, transcript))) {
      ch.refuse('bad_cookie', `${intro.name} failed to prove the cookie (the cookies differ)`)
    }
    const peer: PeerInfo = { name: intro.name, creation: intro.creation, flags: intro.flags, cluster: intro.cluster, hidden: intro.hidden, version }
    let status: PeerStatus
    try {
      status = opts.onPeer === undefined ? 'ok' : await ch.within('onPeer', opts.onPeer(peer))
    } catch (err) {
      if (err instanceof HandshakeError) throw err
      s.logger.error('onPeer threw; refusing the peer', { peer: peer.name, error: err })
      status = 'not_allowed'
    }
    let replaces = false
    if (status === 'alive') {
      // Ask the client whether it still has the link we have (a refusal 'alive' if it does).
      ch.ensureOpen()
      ch.send({ t: 'alive' })
      await ch.receive('alive_reply')
      replaces = true
    } else if (status !== 'ok') {
      const why = status === 'nok' ? status : 'not_allowed'
      ch.refuse(why, `refused ${peer.name}: ${why === 'nok' ? 'our own connection to it wins the tie-break' : 'not allowed'}`)
    }
    ch.ensureOpen()
    ch.send({ t: 'ok', digest: proof(s.key, SERVER_LABEL, transcript) })
    s.logger.debug('handshake done', { peer: peer.name, side: 'server', version, replaces })
    return { peer, replaces, rest: ch.release() }
  } catch (err) {
    throw report(s.logger, ch.fail(err), 'server', ch.peerLabel)
  }
}

/**
 * Logs a failed handshake at a level that matches how surprising it is. The
 * message is the same for every failure (what differs is in the fields), so
 * the log's repeat limit can fold a flood of them into one line. The server
 * side logs at debug only: the net kernel logs each refused incoming
 * connection itself, once, with the remote address.
 */
function report (logger: Logger, err: unknown, side: 'client' | 'server', peer: string): unknown {
  if (err instanceof HandshakeError) {
    const fields = { peer, side, code: err.code, status: err.status, error: err.message }
    if (side === 'server' || err.code === 'ERR_HANDSHAKE_REFUSED') logger.debug('handshake failed', fields)
    else if (err.code === 'ERR_HANDSHAKE_TIMEOUT' || err.code === 'ERR_HANDSHAKE_CLOSED') logger.info('handshake failed', fields)
    else logger.warn('handshake failed', fields)
  }
  return err
}
