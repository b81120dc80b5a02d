/**
 * Erlang's distribution handshake (erts' "Distribution Handshake",
 * version 6 of OTP 23+, with the version 5 send_name of older peers), both
 * roles, on a connected socket. Every handshake message is a 2-byte length
 * and a body whose first byte is its tag:
 *
 * ```
 * initiator (A)                          acceptor (B)
 *   send_name 'N' flags creation name  ->
 *                                      <- status 's' "ok"
 *                                      <- challenge 'N' flags chB creationB name
 *   challenge_reply 'r' chA md5(C,chB) ->
 *                                      <- challenge_ack 'a' md5(C,chA)
 * ```
 *
 * md5(C, ch) is MD5 of the cookie followed by the challenge as an unsigned
 * decimal number (dist_util's gen_digest). A v5 initiator sends 'n'
 * (version, 32-bit flags, name) and, when B answers with the v6 challenge,
 * a complement 'c' (the high flag bits and its creation) before its reply.
 *
 * A wrong cookie is refused on both sides: the acceptor checks the reply and
 * closes; the initiator either sees that close right after its reply or
 * checks the ack itself. Either way a HandshakeError (of @tekka/dist) with
 * code ERR_HANDSHAKE_COOKIE names the peer. Peers without what OTP 25
 * requires (MANDATORY_DFLAGS_25) are refused with ERR_HANDSHAKE_VERSION; a
 * malformed or unexpected message is ERR_HANDSHAKE_PROTOCOL, a refusal
 * status ERR_HANDSHAKE_REFUSED, silence past `timeout` (erl's
 * net_setuptime, 7 s by default) ERR_HANDSHAKE_TIMEOUT, a socket that
 * closed ERR_HANDSHAKE_CLOSED. On any failure the socket is destroyed.
 *
 * ```ts
 * const hs = await initiateHandshake(socket, { name: 'tk@127.0.0.1', cookie, creation, peerName: 'e1@127.0.0.1' })
 * const conn = new ErlConnection(socket, hs, { tickTime: 60_000 })
 * ```
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import { BadArgError, silentLogger, type Logger } from '@tekka/actors'
import { HandshakeError, type HandshakeErrorCode } from '@tekka/dist'
import { DEFAULT_DFLAGS, DFLAG, MANDATORY_DFLAGS_25, flagNames } from './flags.js'

/** erl's default net_setuptime: 7 s for the whole handshake. */
export const DEFAULT_SETUP_TIME = 7000

const TAG_NAME_V5 = 0x6e // 'n'
const TAG_NAME_V6 = 0x4e // 'N'
const TAG_STATUS = 0x73 // 's'
const TAG_COMPLEMENT = 0x63 // 'c'
const TAG_REPLY = 0x72 // 'r'
const TAG_ACK = 0x61 // 'a'

/** What an acceptor answers a send_name with (erts' recv_status). */
export type HandshakeStatus = 'ok' | 'ok_simultaneous' | 'nok' | 'not_allowed' | 'alive'

export interface ErlHandshakeOptions {
  /** This node's full name, `name@host`. */
  name: string
  /** The shared secret (erl's -setcookie). */
  cookie: string
  /** This node's creation (from epmd's ALIVE2 answer, or `randomCreation()`). */
  creation: number
  /** Flags advertised. Default DEFAULT_DFLAGS; `hidden` clears PUBLISHED. */
  flags?: bigint
  hidden?: boolean
  /** Flags a peer must have. Default MANDATORY_DFLAGS_25 (what OTP 25 requires). */
  requiredFlags?: bigint
  /** Deadline of the whole handshake in ms. Default 7000 (erl's net_setuptime). */
  timeout?: number
  logger?: Logger
}

export interface InitiateOptions extends ErlHandshakeOptions {
  /** The node being dialled: its challenge must carry this name. */
  peerName: string
  /** The highest version the peer speaks (from epmd); below 6 we send the v5 name. Default 6. */
  peerVersion?: number
}

export interface AcceptOptions extends ErlHandshakeOptions {
  /**
   * The status to answer a peer's send_name with. Default 'ok'. 'alive' (we
   * have a link to it already) lets the peer say whether to go on
   * (`true`: it is a new incarnation, drop the old link).
   */
  admit?: (peer: { name: string, flags: bigint, creation: number | undefined }) => HandshakeStatus
}

export interface ErlPeer {
  readonly name: string
  readonly flags: bigint
  readonly creation: number
  /** The version of the name message it sent (5 or 6). */
  readonly version: 5 | 6
}

export interface ErlHandshakeResult {
  readonly peer: ErlPeer
  /** The flags both sides have (ours & the peer's): what the link may use. */
  readonly flags: bigint
  /** Our own name and creation, as advertised. */
  readonly name: string
  readonly creation: number
  /** With the acceptor's status 'alive' answered `true`: the peer replaces an older link. */
  readonly replaces: boolean
  /** Bytes read past the handshake (the first distribution packets), for the connection. */
  readonly rest: Buffer<ArrayBufferLike>
}

/** A random creation for a node without epmd (32 bits; 0..3 are the old 2-bit creations, avoided). */
export function randomCreation (): number {
  return 4 + (randomBytes(4).readUInt32BE(0) % (0xffffffff - 4))
}

/** MD5 of the cookie and the challenge as an unsigned decimal string (dist_util:gen_digest). */
export function challengeDigest (cookie: string, challenge: number): Buffer {
  return createHash('md5').update(Buffer.from(cookie, 'latin1')).update(String(challenge >>> 0)).digest()
}

function checkOptions (o: ErlHandshakeOptions): void {
  if (typeof o.name !== 'string' || nameProblem(o.name) !== undefined) throw new BadArgError(`node name ${JSON.stringify(o.name)}: ${nameProblem(String(o.name)) ?? 'not a string'}`)
  if (typeof o.cookie !== 'string' || o.cookie === '') throw new BadArgError('the cookie must be a non-empty string')
  // erl's cookie is an atom: its digest is over the atom's characters, one byte each.
  if (/[^\x20-\xff]/.test(o.cookie)) throw new BadArgError('the cookie may only have printable Latin-1 characters (erl makes an atom of it)')
  if (!Number.isInteger(o.creation) || o.creation < 0 || o.creation > 0xffffffff) throw new BadArgError(`creation must be a 32-bit unsigned integer, got ${String(o.creation)}`)
  if (o.timeout !== undefined && (!(o.timeout > 0) || !Number.isFinite(o.timeout))) throw new BadArgError(`timeout must be a positive number of ms, got ${String(o.timeout)}`)
  if (o.flags !== undefined && (typeof o.flags !== 'bigint' || o.flags < 0n || o.flags >= 1n << 64n)) throw new BadArgError('flags must be a 64-bit unsigned bigint')
}

/** Why `name` is no Erlang node name (`alive@host`, at most 255 bytes), or undefined. */
function nameProblem (name: string): string | undefined {
  if (!/^[^@\s]+@[^@\s]+$/.test(name)) return 'expected name@host'
  if (Buffer.byteLength(name, 'utf8') > 255) return 'longer than 255 bytes'
  return undefined
}

function advertised (o: ErlHandshakeOptions): bigint {
  let f = o.flags ?? DEFAULT_DFLAGS
  f |= DFLAG.HANDSHAKE_23
  if (o.hidden === true) f &= ~DFLAG.PUBLISHED
  return f
}

/** Reads 2-byte-length-prefixed handshake messages off a socket. */
class HandshakeIo {
  readonly #socket: Socket
  #buf = Buffer.alloc(0)
  #pending: { resolve: (b: Buffer) => void, reject: (e: Error) => void } | undefined
  #failure: Error | undefined
  #closedHow: string | undefined
  #peer: string
  readonly #onData = (chunk: Buffer): void => { this.#buf = Buffer.concat([this.#buf, chunk]); this.#pump() }
  readonly #onClose = (): void => { this.#closedHow ??= 'closed the connection'; this.#pump() }
  readonly #onError = (err: Error): void => { this.#closedHow = `connection error: ${err.message}`; this.#pump() }

  constructor (socket: Socket, peer: string) {
    this.#socket = socket
    this.#peer = peer
    socket.on('data', this.#onData)
    socket.on('close', this.#onClose)
    socket.on('error', this.#onError)
    if (socket.destroyed) this.#closedHow = 'closed the connection'
  }

  get peer (): string { return this.#peer }
  set peer (p: string) { this.#peer = p }
  /** True once the socket ended: a message in flight can no longer come. */
  get closed (): boolean { return this.#closedHow !== undefined }

  write (body: Buffer): void {
    const len = Buffer.alloc(2)
    len.writeUInt16BE(body.length)
    this.#socket.write(Buffer.concat([len, body]))
  }

  /** The next message (its body, tag first). */
  async read (): Promise<Buffer> {
    if (this.#failure !== undefined) throw this.#failure
    return await new Promise((resolve, reject) => {
      this.#pending = { resolve, reject }
      this.#pump()
    })
  }

  /** Fails the handshake: pending and later reads reject with `err`, the socket is destroyed. */
  fail (err: Error): void {
    this.#failure ??= err
    this.#socket.destroy()
    this.#pump()
  }

  /** Stops reading; returns the bytes read past the last message. */
  detach (): Buffer {
    this.#socket.off('data', this.#onData)
    this.#socket.off('close', this.#onClose)
    this.#socket.off('error', this.#onError)
    return this.#buf
  }

  #pump (): void {
    const p = this.#pending
    if (p === undefined) return
    if (this.#failure !== undefined) { this.#pending = undefined; p.reject(this.#failure); return }
    if (this.#buf.length >= 2) {
      const len = this.#buf.readUInt16BE(0)
      if (this.#buf.length >= 2 + len) {
        const msg = this.#buf.subarray(2, 2 + len)
        this.#buf = this.#buf.subarray(2 + len)
        this.#pending = undefined
        p.resolve(Buffer.from(msg))
        return
      }
    }
    if (this.#closedHow !== undefined) {
      this.#pending = undefined
      p.reject(new HandshakeError('ERR_HANDSHAKE_CLOSED', `handshake with ${this.#peer}: the peer ${this.#closedHow} mid-handshake`))
    }
  }
}

function protocolError (io: HandshakeIo, what: string): HandshakeError {
  return new HandshakeError('ERR_HANDSHAKE_PROTOCOL', `handshake with ${io.peer}: ${what}`)
}

/** Runs `body` with a deadline; on any failure destroys the socket and rethrows a HandshakeError. */
async function withDeadline<T> (socket: Socket, io: HandshakeIo, opts: ErlHandshakeOptions, role: string, body: () => Promise<T>): Promise<T> {
  const timeout = opts.timeout ?? DEFAULT_SETUP_TIME
  const logger = opts.logger ?? silentLogger('tekka:erlang:handshake')
  const timer = setTimeout(() => {
    io.fail(new HandshakeError('ERR_HANDSHAKE_TIMEOUT', `handshake with ${io.peer} (${role}) did not complete within ${timeout} ms`))
  }, timeout)
  try {
    return await body()
  } catch (err) {
    const e = err instanceof HandshakeError ? err : protocolError(io, (err as Error).message)
    io.fail(e)
    logger.warn('erlang handshake failed', { peer: io.peer, role, code: e.code, error: e.message })
    throw e
  } finally {
    clearTimeout(timer)
  }
}

function checkPeerFlags (io: HandshakeIo, flags: bigint, required: bigint): void {
  const missing = required & ~flags
  if (missing !== 0n) {
    throw new HandshakeError('ERR_HANDSHAKE_VERSION', `handshake with ${io.peer}: the peer lacks distribution flags ${flagNames(missing).join(', ')} (required: what OTP 25 mandates)`)
  }
}

function need (io: HandshakeIo, msg: Buffer, len: number, what: string): void {
  if (msg.length < len) throw protocolError(io, `${what} of ${msg.length} bytes is shorter than its ${len}-byte minimum`)
}

function peerNameAt (io: HandshakeIo, msg: Buffer, start: number, end: number, what: string): string {
  const name = msg.subarray(start, end).toString('utf8')
  const problem = nameProblem(name)
  if (problem !== undefined) throw protocolError(io, `${what} carries the node name ${JSON.stringify(name.slice(0, 80))}: ${problem}`)
  return name
}

function statusBody (status: string): Buffer {
  return Buffer.concat([Buffer.from([TAG_STATUS]), Buffer.from(status, 'latin1')])
}

function timingSafeEqual16 (a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false
  let d = 0
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i]
  return d === 0
}

function newChallenge (): number {
  return randomBytes(4).readUInt32BE(0)
}

/** The initiator's side (A): we dialled `peerName`. */
export async function initiateHandshake (socket: Socket, opts: InitiateOptions): Promise<ErlHandshakeResult> {
  checkOptions(opts)
  if (nameProblem(opts.peerName) !== undefined) throw new BadArgError(`peer node name ${JSON.stringify(opts.peerName)}: ${nameProblem(opts.peerName) ?? ''}`)
  const io = new HandshakeIo(socket, opts.peerName)
  const ours = advertised(opts)
  const required = opts.requiredFlags ?? MANDATORY_DFLAGS_25
  const v6 = (opts.peerVersion ?? 6) >= 6
  return await withDeadline(socket, io, opts, 'initiator', async () => {
    const nameBuf = Buffer.from(opts.name, 'utf8')
    if (v6) {
      const m = Buffer.alloc(1 + 8 + 4 + 2 + nameBuf.length)
      m[0] = TAG_NAME_V6
      m.writeBigUInt64BE(ours, 1)
      m.writeUInt32BE(opts.creation, 9)
      m.writeUInt16BE(nameBuf.length, 13)
      nameBuf.copy(m, 15)
      io.write(m)
    } else {
      const m = Buffer.alloc(1 + 2 + 4 + nameBuf.length)
      m[0] = TAG_NAME_V5
      m.writeUInt16BE(5, 1)
      m.writeUInt32BE(Number(ours & 0xffffffffn), 3)
      nameBuf.copy(m, 7)
      io.write(m)
    }

    let status = await io.read()
    if (status[0] !== TAG_STATUS) throw protocolError(io, `expected the status message ('s'), got tag ${status[0]}`)
    let text = status.subarray(1).toString('latin1')
    let replaces = false
    if (text === 'alive') {
      // It has a link to a node of our name: ours is the live incarnation.
      io.write(statusBody('true'))
      replaces = true
      text = 'ok'
    }
    if (text === 'nok' || text === 'not_allowed') {
      throw new HandshakeError('ERR_HANDSHAKE_REFUSED', `${opts.peerName} refused the connection (status ${text}${text === 'nok' ? ': it is connecting to us at the same time' : ''})`, { status: text })
    }
    if (text !== 'ok' && text !== 'ok_simultaneous') throw protocolError(io, `unknown status ${JSON.stringify(text.slice(0, 40))}`)

    const ch = await io.read()
    let peer: ErlPeer
    let peerChallenge: number
    if (ch[0] === TAG_NAME_V6) {
      need(io, ch, 19, 'the challenge')
      const nlen = ch.readUInt16BE(17)
      if (ch.length !== 19 + nlen) throw protocolError(io, `the challenge is ${ch.length} bytes, its name length says ${19 + nlen}`)
      peer = { flags: ch.readBigUInt64BE(1), creation: ch.readUInt32BE(13), name: peerNameAt(io, ch, 19, 19 + nlen, 'the challenge'), version: 6 }
      peerChallenge = ch.readUInt32BE(9)
    } else if (ch[0] === TAG_NAME_V5) {
      need(io, ch, 11, 'the challenge')
      peer = { flags: BigInt(ch.readUInt32BE(3)), creation: 0, name: peerNameAt(io, ch, 11, ch.length, 'the challenge'), version: 5 }
      peerChallenge = ch.readUInt32BE(7)
    } else {
      throw protocolError(io, `expected the challenge ('N'), got tag ${ch[0]}`)
    }
    if (peer.name !== opts.peerName) throw protocolError(io, `we dialled ${opts.peerName} but the node there is ${peer.name}`)
    checkPeerFlags(io, peer.flags, required)
    if (!v6 && peer.version === 6) {
      const c = Buffer.alloc(9)
      c[0] = TAG_COMPLEMENT
      c.writeUInt32BE(Number(ours >> 32n), 1)
      c.writeUInt32BE(opts.creation, 5)
      io.write(c)
    }

    const ourChallenge = newChallenge()
    const reply = Buffer.alloc(21)
    reply[0] = TAG_REPLY
    reply.writeUInt32BE(ourChallenge, 1)
    challengeDigest(opts.cookie, peerChallenge).copy(reply, 5)
    io.write(reply)

    let ack: Buffer
    try {
      ack = await io.read()
    } catch (err) {
      if (err instanceof HandshakeError && err.code === 'ERR_HANDSHAKE_CLOSED') {
        // erl closes without a word when our reply's digest is wrong.
        throw new HandshakeError('ERR_HANDSHAKE_COOKIE', `${opts.peerName} closed the connection on our challenge reply: it refused our cookie (the cookies differ)`, { cause: err })
      }
      throw err
    }
    if (ack[0] !== TAG_ACK || ack.length !== 17) throw protocolError(io, `expected the challenge ack ('a', 17 bytes), got tag ${ack[0]} of ${ack.length} bytes`)
    if (!timingSafeEqual16(ack.subarray(1), challengeDigest(opts.cookie, ourChallenge))) {
      throw new HandshakeError('ERR_HANDSHAKE_COOKIE', `${opts.peerName} answered our challenge with a wrong digest: its cookie differs from ours`)
    }
    return { peer, flags: ours & peer.flags, name: opts.name, creation: opts.creation, replaces, rest: io.detach() }
  })
}

/** The acceptor's side (B): a peer dialled us; its name comes in its first message. */
export async function acceptHandshake (socket: Socket, opts: AcceptOptions): Promise<ErlHandshakeResult> {
  checkOptions(opts)
  const io = new HandshakeIo(socket, `a node at ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`)
  const ours = advertised(opts)
  const required = opts.requiredFlags ?? MANDATORY_DFLAGS_25
  return await withDeadline(socket, io, opts, 'acceptor', async () => {
    const first = await io.read()
    let name: string
    let flags: bigint
    let creation: number | undefined
    let version: 5 | 6
    if (first[0] === TAG_NAME_V6) {
      need(io, first, 15, 'send_name')
      const nlen = first.readUInt16BE(13)
      if (first.length !== 15 + nlen) throw protocolError(io, `send_name is ${first.length} bytes, its name length says ${15 + nlen}`)
      flags = first.readBigUInt64BE(1)
      creation = first.readUInt32BE(9)
      name = peerNameAt(io, first, 15, 15 + nlen, 'send_name')
      version = 6
    } else if (first[0] === TAG_NAME_V5) {
      need(io, first, 8, 'send_name')
      const v = first.readUInt16BE(1)
      if (v !== 5 && v !== 6) throw new HandshakeError('ERR_HANDSHAKE_VERSION', `handshake with ${io.peer}: it speaks distribution version ${v}, we speak 5 and 6`)
      flags = BigInt(first.readUInt32BE(3))
      name = peerNameAt(io, first, 7, first.length, 'send_name')
      version = 5
    } else {
      throw protocolError(io, `expected send_name ('N' or 'n'), got tag ${first[0]}`)
    }
    io.peer = name
    // A v5 name has only the low 32 bits; HANDSHAKE_23 there says the rest comes in the complement.
    checkPeerFlags(io, version === 5 ? flags | (required & ~0xffffffffn) : flags, required)

    const status = opts.admit?.({ name, flags, creation }) ?? 'ok'
    io.write(statusBody(status))
    let replaces = false
    if (status === 'alive') {
      const answer = await io.read()
      const text = answer[0] === TAG_STATUS ? answer.subarray(1).toString('latin1') : undefined
      if (text === 'false') throw new HandshakeError('ERR_HANDSHAKE_REFUSED', `${name} gave up: it says our link to it is still its live one`, { status: 'alive' })
      if (text !== 'true') throw protocolError(io, `expected 'true' or 'false' after status alive, got ${JSON.stringify(answer.subarray(0, 20).toString('latin1'))}`)
      replaces = true
    } else if (status !== 'ok' && status !== 'ok_simultaneous') {
      throw new HandshakeError('ERR_HANDSHAKE_REFUSED', `we refused ${name} (status ${status})`, { status })
    }

    const ourChallenge = newChallenge()
    const nameBuf = Buffer.from(opts.name, 'utf8')
    const ch = Buffer.alloc(19 + nameBuf.length)
    ch[0] = TAG_NAME_V6
    ch.writeBigUInt64BE(ours, 1)
    ch.writeUInt32BE(ourChallenge, 9)
    ch.writeUInt32BE(opts.creation, 13)
    ch.writeUInt16BE(nameBuf.length, 17)
    nameBuf.copy(ch, 19)
    io.write(ch)

    if (version === 5) {
      const c = await io.read()
      if (c[0] !== TAG_COMPLEMENT || c.length !== 9) throw protocolError(io, `expected the complement ('c', 9 bytes) after a v5 send_name, got tag ${c[0]} of ${c.length} bytes`)
      flags |= BigInt(c.readUInt32BE(1)) << 32n
      creation = c.readUInt32BE(5)
      checkPeerFlags(io, flags, required)
    }

    const reply = await io.read()
    if (reply[0] !== TAG_REPLY || reply.length !== 21) throw protocolError(io, `expected the challenge reply ('r', 21 bytes), got tag ${reply[0]} of ${reply.length} bytes`)
    if (!timingSafeEqual16(reply.subarray(5), challengeDigest(opts.cookie, ourChallenge))) {
      throw new HandshakeError('ERR_HANDSHAKE_COOKIE', `${name} answered our challenge with a wrong digest: its cookie differs from ours (connection refused)`)
    }
    const ack = Buffer.alloc(17)
    ack[0] = TAG_ACK
    challengeDigest(opts.cookie, reply.readUInt32BE(1)).copy(ack, 1)
    io.write(ack)
    const peer: ErlPeer = { name, flags, creation: creation ?? 0, version }
    return { peer, flags: ours & flags, name: opts.name, creation: opts.creation, replaces, rest: io.detach() }
  })
}

export type { HandshakeErrorCode }
