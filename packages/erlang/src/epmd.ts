/**
 * Where an Erlang node listens: a client of epmd (Erlang's port mapper
 * daemon, erts' "EPMD protocol"), and ekka's port rule for clusters that run
 * without epmd.
 *
 * - `epmdRegister` (ALIVE2_REQ): tells a running epmd that `name` listens on
 *   `port`; the registration lives while its socket stays open, and epmd's
 *   answer carries the node's creation (ALIVE2_X_RESP, 32 bits).
 * - `epmdPortPlease` (PORT_PLEASE2_REQ): the port, type and version range a
 *   name is registered with.
 * - `epmdNames` (NAMES_REQ): every name epmd holds.
 * - `epmdResolver` / `portRuleResolver`: a node name -> host, port, version
 *   range, the second by ekka_epmd's rule (`base + trailing digits of the
 *   short name rem 60000`, base = kernel's inet_dist_base_port, 4370 by
 *   default; `remsh*` names listen nowhere), which is @tekka/dist's
 *   `nodePort`.
 *
 * ```ts
 * const reg = await epmdRegister({ name: 'tk', port: 4370, epmdPort: 14369 })
 * const peer = await epmdPortPlease('e1', { epmdPort: 14369 })   // { port, highestVersion, ... }
 * await reg.close()
 * ```
 *
 * Every request has a deadline (`timeout`, default 5 s) and an optional
 * AbortSignal; every failure is an EpmdError naming the epmd and the name.
 */
import { connect, type Socket } from 'node:net'
import { BadArgError } from '@tekka/actors'
import { nodePort, parseNodeName } from '@tekka/dist'
import { EpmdError } from './dist/errors.js'

export { EpmdError } from './dist/errors.js'
export type { EpmdErrorCode } from './dist/errors.js'

/** epmd's port when ERL_EPMD_PORT is not set. */
export const EPMD_DEFAULT_PORT = 4369
/** ekka's default dist base port (one above epmd's). */
export const EKKA_BASE_PORT = 4370

const ALIVE2_REQ = 120
const ALIVE2_RESP = 121
const ALIVE2_X_RESP = 118
const PORT_PLEASE2_REQ = 122
const PORT2_RESP = 119
const NAMES_REQ = 110

/** Node types in ALIVE2 / PORT2 (erts: 77 normal, 72 hidden). */
const NODE_TYPE_NORMAL = 77
const NODE_TYPE_HIDDEN = 72

export interface EpmdOptions {
  /** Where epmd runs. Default 127.0.0.1. */
  host?: string
  /** Its port. Default ERL_EPMD_PORT from the environment, else 4369. */
  epmdPort?: number
  /** Deadline of the request in ms. Default 5000. */
  timeout?: number
  signal?: AbortSignal
}

/** What epmd knows of a node (PORT2_RESP). */
export interface EpmdNodeEntry {
  /** The short ("alive") name. */
  readonly name: string
  readonly port: number
  readonly nodeType: 'normal' | 'hidden'
  /** 0: TCP/IPv4. */
  readonly protocol: number
  readonly highestVersion: number
  readonly lowestVersion: number
  readonly extra: Buffer
}

/** The epmd port the options name: `epmdPort`, else ERL_EPMD_PORT, else 4369. */
export function epmdPortOf (opts: EpmdOptions = {}, env: NodeJS.ProcessEnv = process.env): number {
  if (opts.epmdPort !== undefined) return checkPort(opts.epmdPort, 'epmdPort')
  const v = env.ERL_EPMD_PORT
  if (v === undefined || v === '') return EPMD_DEFAULT_PORT
  if (!/^\d+$/.test(v)) throw new BadArgError(`ERL_EPMD_PORT must be a port number, got ${JSON.stringify(v)}`)
  return checkPort(Number(v), 'ERL_EPMD_PORT')
}

function checkPort (port: number, what: string, min = 1): number {
  if (!Number.isInteger(port) || port < min || port > 65535) throw new BadArgError(`${what} must be an integer in ${min}..65535, got ${String(port)}`)
  return port
}

function checkShortName (name: string): Buffer {
  const b = Buffer.from(name, 'utf8')
  if (name === '' || name.includes('@') || b.length > 255) throw new BadArgError(`an epmd name is the part before @ (1..255 bytes), got ${JSON.stringify(name)}`)
  return b
}

/** A request packet: 2-byte length, then the request. */
function packet (req: Buffer): Buffer {
  const len = Buffer.alloc(2)
  len.writeUInt16BE(req.length)
  return Buffer.concat([len, req])
}

interface Exchange<T> {
  /** The answer so far: a result, or undefined while more bytes are needed. */
  parse: (data: Buffer) => T | undefined
  /** epmd closed the socket: the answer from what came (NAMES ends this way), or an error. */
  end: (data: Buffer) => T
  /** Keep the socket open after the answer (ALIVE2: the registration is the open socket). */
  keepOpen?: boolean
}

/** Sends one request to epmd and reads its answer; rejects with an EpmdError on a refused connection, a bad answer or the deadline. */
async function exchange<T> (opts: EpmdOptions, what: string, req: Buffer, ex: Exchange<T>): Promise<{ value: T, socket: Socket }> {
  const host = opts.host ?? '127.0.0.1'
  const port = epmdPortOf(opts)
  const timeout = opts.timeout ?? 5000
  opts.signal?.throwIfAborted()
  return await new Promise((resolve, reject) => {
    const socket = connect({ host, port })
    let data = Buffer.alloc(0)
    let settled = false
    const timer = setTimeout(() => { fail(new EpmdError('ERR_EPMD_PROTOCOL', host, port, `no answer to ${what} within ${timeout} ms`)) }, timeout)
    const onAbort = (): void => { fail(opts.signal?.reason as Error) }
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    const cleanup = (): void => {
      settled = true
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      socket.removeAllListeners('data')
      socket.removeAllListeners('end')
      socket.removeAllListeners('close')
    }
    const fail = (err: Error): void => {
      if (settled) return
      cleanup()
      socket.destroy()
      reject(err)
    }
    const done = (value: T): void => {
      if (settled) return
      cleanup()
      if (ex.keepOpen !== true) socket.destroy()
      resolve({ value, socket })
    }
    const attempt = (f: () => T | undefined): void => {
      try {
        const v = f()
        if (v !== undefined) done(v)
      } catch (err) { fail(err as Error) }
    }
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') {
        fail(new EpmdError('ERR_EPMD_UNREACHABLE', host, port, `not running (connection refused) for ${what}; start one with \`epmd -port ${port} -daemon\`, or set ERL_EPMD_PORT to where it runs`, { cause: err }))
      } else {
        fail(new EpmdError('ERR_EPMD_UNREACHABLE', host, port, `${err.message} during ${what}`, { cause: err }))
      }
    })
    socket.once('connect', () => { socket.write(packet(req)) })
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
      attempt(() => ex.parse(data))
    })
    socket.once('end', () => { attempt(() => ex.end(data)) })
    socket.once('close', () => { attempt(() => ex.end(data)) })
  })
}

// ---- ALIVE2 ---------------------------------------------------------------------

export interface EpmdRegisterOptions extends EpmdOptions {
  /** The short ("alive") name: the part of the node name before `@`. */
  name: string
  /** The port the node listens on for distribution. */
  port: number
  /** Registered as a hidden node (type 72). Default false (normal, 77). */
  hidden?: boolean
  /** Distribution versions spoken. Default 6..6 (OTP 23+; OTP 25 speaks only 6). */
  highestVersion?: number
  lowestVersion?: number
  extra?: Buffer
}

/** A live registration: epmd holds the name until `close()` or until this process dies (its socket closes). */
export interface EpmdRegistration {
  readonly name: string
  readonly port: number
  /** The node's creation, from epmd (32 bits with ALIVE2_X_RESP, 16 with the old ALIVE2_RESP). */
  readonly creation: number
  /** Resolves when epmd dropped the registration (its socket closed, by close() or by epmd). */
  readonly closed: Promise<void>
  readonly open: boolean
  /** Ends the registration (idempotent); resolves once the socket is closed. */
  close: () => Promise<void>
}

/** ALIVE2_REQ: registers `name` on `port` with a running epmd. Rejects with ERR_EPMD_NAME_TAKEN when another node holds it. */
export async function epmdRegister (opts: EpmdRegisterOptions): Promise<EpmdRegistration> {
  const nameBuf = checkShortName(opts.name)
  const port = checkPort(opts.port, 'port')
  const extra = opts.extra ?? Buffer.alloc(0)
  const hi = opts.highestVersion ?? 6
  const lo = opts.lowestVersion ?? 6
  const req = Buffer.alloc(1 + 2 + 1 + 1 + 2 + 2 + 2 + nameBuf.length + 2 + extra.length)
  let o = req.writeUInt8(ALIVE2_REQ, 0)
  o = req.writeUInt16BE(port, o)
  o = req.writeUInt8(opts.hidden === true ? NODE_TYPE_HIDDEN : NODE_TYPE_NORMAL, o)
  o = req.writeUInt8(0, o)
  o = req.writeUInt16BE(hi, o)
  o = req.writeUInt16BE(lo, o)
  o = req.writeUInt16BE(nameBuf.length, o)
  o += nameBuf.copy(req, o)
  o = req.writeUInt16BE(extra.length, o)
  extra.copy(req, o)
  const host = opts.host ?? '127.0.0.1'
  const epmdPort = epmdPortOf(opts)
  const what = `ALIVE2 of ${JSON.stringify(opts.name)} on port ${port}`
  const result = (code: number): void => {
    if (code !== 0) throw new EpmdError('ERR_EPMD_NAME_TAKEN', host, epmdPort, `the name ${JSON.stringify(opts.name)} is taken (ALIVE2 result ${code}): another node with that name is registered`)
  }
  const { value: creation, socket } = await exchange<number>(opts, what, req, {
    keepOpen: true,
    parse: (d) => {
      if (d.length < 2) return undefined
      if (d[0] === ALIVE2_X_RESP) {
        result(d[1])
        return d.length < 6 ? undefined : d.readUInt32BE(2)
      }
      if (d[0] === ALIVE2_RESP) {
        result(d[1])
        return d.length < 4 ? undefined : d.readUInt16BE(2)
      }
      throw new EpmdError('ERR_EPMD_PROTOCOL', host, epmdPort, `answered ${what} with tag ${d[0]}, not ALIVE2_X_RESP (118) or ALIVE2_RESP (121)`)
    },
    end: (d) => {
      if (d.length >= 2 && (d[0] === ALIVE2_X_RESP || d[0] === ALIVE2_RESP)) result(d[1])
      throw new EpmdError('ERR_EPMD_PROTOCOL', host, epmdPort, `closed the connection before answering ${what} (${d.length} bytes came)`)
    }
  })
  let open = true
  const closed = new Promise<void>((resolve) => {
    socket.once('close', () => { open = false; resolve() })
  })
  // epmd sends nothing more; a read error only means the registration is gone.
  socket.on('error', () => {})
  socket.on('data', () => {})
  return {
    name: opts.name,
    port,
    creation,
    closed,
    get open () { return open },
    close: async () => {
      socket.destroy()
      await closed
    }
  }
}

// ---- PORT_PLEASE2 ---------------------------------------------------------------

/** PORT_PLEASE2_REQ: what epmd knows of `name` (a short name). Rejects with ERR_EPMD_NOT_FOUND when it knows none. */
export async function epmdPortPlease (name: string, opts: EpmdOptions = {}): Promise<EpmdNodeEntry> {
  const nameBuf = checkShortName(name)
  const host = opts.host ?? '127.0.0.1'
  const epmdPort = epmdPortOf(opts)
  const what = `PORT_PLEASE2 of ${JSON.stringify(name)}`
  const parse = (d: Buffer, ended: boolean): EpmdNodeEntry | undefined => {
    if (d.length < 2) return undefined
    if (d[0] !== PORT2_RESP) throw new EpmdError('ERR_EPMD_PROTOCOL', host, epmdPort, `answered ${what} with tag ${d[0]}, not PORT2_RESP (119)`)
    if (d[1] !== 0) throw new EpmdError('ERR_EPMD_NOT_FOUND', host, epmdPort, `no node named ${JSON.stringify(name)} is registered (PORT2_RESP result ${d[1]})`)
    // Result, then PortNo(2) NodeType(1) Protocol(1) Highest(2) Lowest(2) Nlen(2) Name Elen(2) Extra.
    if (d.length < 12) return undefined
    const nlen = d.readUInt16BE(10)
    if (d.length < 12 + nlen + 2) return undefined
    const elen = d.readUInt16BE(12 + nlen)
    if (d.length < 14 + nlen + elen) return undefined
    void ended
    return {
      port: d.readUInt16BE(2),
      nodeType: d[4] === NODE_TYPE_HIDDEN ? 'hidden' : 'normal',
      protocol: d[5],
      highestVersion: d.readUInt16BE(6),
      lowestVersion: d.readUInt16BE(8),
      name: d.subarray(12, 12 + nlen).toString('utf8'),
      extra: Buffer.from(d.subarray(14 + nlen, 14 + nlen + elen))
    }
  }
  const { value } = await exchange<EpmdNodeEntry>(opts, what, Buffer.concat([Buffer.from([PORT_PLEASE2_REQ]), nameBuf]), {
    parse: (d) => parse(d, false),
    end: (d) => {
      const v = parse(d, true)
      if (v === undefined) throw new EpmdError('ERR_EPMD_PROTOCOL', host, epmdPort, `closed the connection in the middle of its answer to ${what} (${d.length} bytes came)`)
      return v
    }
  })
  return value
}

// ---- NAMES ----------------------------------------------------------------------

export interface EpmdNames {
  /** The port epmd says it listens on. */
  readonly epmdPort: number
  readonly names: ReadonlyArray<{ readonly name: string, readonly port: number }>
}

/** NAMES_REQ: every name epmd holds, with its port. */
export async function epmdNames (opts: EpmdOptions = {}): Promise<EpmdNames> {
  const host = opts.host ?? '127.0.0.1'
  const epmdPort = epmdPortOf(opts)
  const { value } = await exchange<EpmdNames>(opts, 'NAMES', Buffer.from([NAMES_REQ]), {
    parse: () => undefined,
    end: (d) => {
      if (d.length < 4) throw new EpmdError('ERR_EPMD_PROTOCOL', host, epmdPort, `answered NAMES with ${d.length} bytes, fewer than its 4-byte port`)
      const names: Array<{ name: string, port: number }> = []
      for (const line of d.subarray(4).toString('utf8').split('\n')) {
        if (line === '') continue
        const m = /^name (.+) at port (\d+)$/.exec(line)
        if (m === null) throw new EpmdError('ERR_EPMD_PROTOCOL', host, epmdPort, `NAMES line ${JSON.stringify(line)} is not "name N at port P"`)
        names.push({ name: m[1], port: Number(m[2]) })
      }
      return { epmdPort: d.readUInt32BE(0), names }
    }
  })
  return value
}

// ---- resolvers ------------------------------------------------------------------

/** Where to dial a node, and the distribution versions it speaks. */
export interface DistAddress {
  readonly host: string
  readonly port: number
  readonly highestVersion: number
  readonly lowestVersion: number
}

/** A node name (`name@host`) -> where it listens. */
export type PortResolver = (nodeName: string, opts?: { signal?: AbortSignal }) => Promise<DistAddress>

/** Asks the epmd on the node's host (at `epmdPort`, or ERL_EPMD_PORT, or 4369), as erl does. */
export function epmdResolver (opts: Omit<EpmdOptions, 'host' | 'signal'> = {}): PortResolver {
  return async (nodeName, o = {}) => {
    const { short, host } = parseNodeName(nodeName)
    const e = await epmdPortPlease(short, { ...opts, host, signal: o.signal })
    return { host, port: e.port, highestVersion: e.highestVersion, lowestVersion: e.lowestVersion }
  }
}

export interface PortRuleOptions {
  /** ekka's base port (kernel's inet_dist_base_port). Default 4370. */
  basePort?: number
}

/**
 * ekka_epmd's rule, no epmd: `basePort + (trailing digits of the short name)
 * rem 60000`. A `remsh*` name listens nowhere: rejects with BadArgError.
 * ekka_epmd answers version 5; OTP 23+ handshakes at 6 whatever it says, so
 * this says 6.
 */
export function portRuleResolver (opts: PortRuleOptions = {}): PortResolver {
  const base = opts.basePort ?? EKKA_BASE_PORT
  checkPort(base, 'basePort')
  return async (nodeName) => {
    const { host } = parseNodeName(nodeName)
    const port = nodePort(nodeName, base)
    if (port === 0) throw new BadArgError(`node ${nodeName} listens on no port by ekka's rule (remsh* names only dial out)`)
    return { host, port, highestVersion: 6, lowestVersion: 6 }
  }
}
