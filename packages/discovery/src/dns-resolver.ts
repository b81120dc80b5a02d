/**
 * A small DNS client for the dns strategy, doing no recursion of its own:
 * asks recursive servers one question (A, AAAA or SRV, class IN) and gives
 * back the records of that type for the name, following CNAMEs inside the
 * answer.
 *
 * Why our own client on UDP/TCP rather than node:dns `Resolver` (c-ares
 * 1.34 in Node 20): c-ares takes an answer record whose owner is a name
 * that was never asked (a server answering `x.test` with an A record of
 * `elsewhere.test` gets `elsewhere.test`'s address back as `x.test`'s: a
 * wrong node), and it hides why it ignored a packet (wrong id, wrong
 * question), so the operator only ever sees `ETIMEOUT`. Here every
 * record is checked against the name asked (and its CNAME chain), every
 * packet that is ignored is noted and ends up in the log or the error, and
 * each lookup has its own sockets and timers, so aborting one (an
 * AbortSignal, the strategy stopping) ends exactly it, at once.
 *
 * How one lookup goes:
 *
 * - `tries` rounds over `servers`, in order; each attempt gets at most
 *   `attemptTimeout` ms, and the whole lookup at most `timeout` ms.
 * - An attempt sends the query from a fresh UDP socket connected to the
 *   server (the kernel drops packets from anyone else) with a random id.
 *   Packets with another id, that are not answers, or that answer another
 *   question are ignored (and noted): the attempt keeps waiting for the real
 *   answer. A packet with our id that does not decode fails the attempt.
 * - An answer with the TC bit (too big for UDP) is asked again over TCP, to
 *   the same server, within the same attempt.
 * - NOERROR: the records of the type asked whose owner is the name or a
 *   CNAME of it; any other record is ignored and noted. A CNAME loop (or a
 *   chain longer than 16) ends the chain and is given as `broken`. NXDOMAIN: the name does not exist: an empty
 *   answer. Any other rcode (SERVFAIL, REFUSED, ...) fails the attempt and
 *   the next server is asked.
 * - When every attempt failed: `DnsTimeoutError` if none got an answer,
 *   else `DnsLookupError` listing what each server did.
 *
 * Timers run on the injected clock. Search domains of resolv.conf are not
 * applied: the name is asked as given.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { connect as tcpConnect, isIP, type Socket as TcpSocket } from 'node:net'
import { randomInt } from 'node:crypto'
import type { Clock, Timer } from '@tekka/actors'
import { DnsLookupError, DnsTimeoutError, type DnsFailure } from './errors.js'
import {
  CLASS_IN, RCODE, TYPE, decodeMessage, encodeQuery, rcodeName, typeName,
  type Message, type QueryType, type ResourceRecord
} from './dns-wire.js'

export interface DnsServer {
  /** An IP address. */
  readonly host: string
  readonly port: number
}

/** `127.0.0.1:53`, `[::1]:53`. */
export function formatServer (s: DnsServer): string {
  return isIP(s.host) === 6 ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`
}

/**
 * A server from `ip`, `ip:port`, `[ipv6]:port` or a bare IPv6 address (as
 * node:dns `getServers()` prints them); undefined when it is none of these.
 */
export function parseServer (text: string, defaultPort: number): DnsServer | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text)
  if (bracketed !== null) {
    const port = bracketed[2] === undefined ? defaultPort : Number(bracketed[2])
    return isIP(bracketed[1]) === 6 && port >= 1 && port <= 65535 ? { host: bracketed[1], port } : undefined
  }
  if (isIP(text) !== 0) return { host: text, port: defaultPort }
  const v4 = /^([^:]+):(\d{1,5})$/.exec(text)
  if (v4 !== null && isIP(v4[1]) === 4) {
    const port = Number(v4[2])
    return port >= 1 && port <= 65535 ? { host: v4[1], port } : undefined
  }
  return undefined
}

export interface LookupOptions {
  /** The name to ask, as given (a trailing dot is allowed). */
  readonly name: string
  readonly type: QueryType
  /** Asked in order, `tries` rounds. At least one. */
  readonly servers: readonly DnsServer[]
  /** ms for the whole lookup. */
  readonly timeout: number
  /** ms for one attempt at one server (UDP, and TCP after a truncated answer). */
  readonly attemptTimeout: number
  /** Rounds over the servers. */
  readonly tries: number
  readonly clock: Clock
  readonly signal?: AbortSignal
}

export interface LookupResult {
  /** The server that answered. */
  readonly server: string
  /** NXDOMAIN: the name does not exist. */
  readonly nxdomain: boolean
  /** Records of the type asked, owned by the name or a CNAME of it, in answer order. */
  readonly records: ResourceRecord[]
  /** The name, then the CNAMEs followed (lowercase). */
  readonly chain: string[]
  /** Packets and records ignored, and why. */
  readonly notes: string[]
  /** Why the CNAME chain was cut short (a loop, too long): the answer is broken, not empty. */
  readonly broken?: string
}

type Outcome =
  | { readonly ok: true, readonly msg: Message }
  | { readonly ok: false, readonly problem: string, readonly timedOut: boolean }

const MAX_CNAMES = 16
const MAX_NOTES = 20

/** Looks `name` up; see the file comment. Rejects with the abort reason when `signal` is aborted. */
export async function lookup (opts: LookupOptions): Promise<LookupResult> {
  if (opts.servers.length === 0) throw new DnsLookupError(opts.name, opts.type, [{ server: '(none)', problem: 'no DNS server to ask' }], [])
  const qname = opts.name.replace(/\.$/, '')
  const deadline = opts.clock.now() + opts.timeout
  const notes: string[] = []
  const note = (s: string): void => { if (notes.length < MAX_NOTES && !notes.includes(s)) notes.push(s) }
  const failures: DnsFailure[] = []
  let attempts = 0
  let answered = false
  for (let round = 0; round < opts.tries; round++) {
    for (const server of opts.servers) {
      opts.signal?.throwIfAborted()
      const left = deadline - opts.clock.now()
      if (left <= 0) break
      attempts++
      const id = randomInt(0x10000)
      const query = encodeQuery(id, qname, opts.type)
      const at = formatServer(server)
      const out = await attempt(server, at, query, id, qname, opts.type, Math.min(opts.attemptTimeout, left), opts.clock, note, opts.signal)
      if (!out.ok) {
        if (!out.timedOut) answered = true
        failures.push({ server: at, problem: out.problem })
        continue
      }
      const msg = out.msg
      if (msg.rcode === RCODE.NXDOMAIN) return { server: at, nxdomain: true, records: [], chain: [qname.toLowerCase()], notes }
      if (msg.rcode !== RCODE.NOERROR) {
        answered = true
        failures.push({ server: at, problem: `answered ${rcodeName(msg.rcode)}${RCODE_MEANING[msg.rcode] ?? ''}` })
        continue
      }
      const { records, chain, broken } = pick(msg, qname, opts.type, note)
      return { server: at, nxdomain: false, records, chain, notes, ...(broken !== undefined ? { broken } : {}) }
    }
    if (deadline - opts.clock.now() <= 0) break
  }
  opts.signal?.throwIfAborted()
  const servers = opts.servers.map(formatServer)
  if (!answered) throw new DnsTimeoutError(qname, opts.type, servers, opts.timeout, attempts, notes)
  throw new DnsLookupError(qname, opts.type, failures, notes)
}

const RCODE_MEANING: Record<number, string> = {
  [RCODE.FORMERR]: ' (it could not read the query)',
  [RCODE.SERVFAIL]: ' (server failure: it could not get an answer)',
  [RCODE.NOTIMP]: ' (it does not do this kind of query)',
  [RCODE.REFUSED]: ' (it refuses to answer this name, or this client)'
}

/** The records of the type asked along the CNAME chain of `qname`; everything else is noted. */
function pick (msg: Message, qname: string, type: QueryType, note: (s: string) => void): { records: ResourceRecord[], chain: string[], broken?: string } {
  const want = TYPE[type]
  const chain = [qname.toLowerCase()]
  const used = new Set<ResourceRecord>()
  let broken: string | undefined
  for (;;) {
    const tail = chain[chain.length - 1]
    const cname = msg.answers.find((r) => r.type === TYPE.CNAME && r.class === CLASS_IN && r.name.toLowerCase() === tail)
    if (cname === undefined || cname.data.kind !== 'CNAME') break
    used.add(cname)
    const target = cname.data.target.toLowerCase()
    if (chain.includes(target)) {
      broken = `CNAME loop ${[...chain, target].join(' -> ')}`
      break
    }
    if (chain.length > MAX_CNAMES) {
      broken = `CNAME chain from ${qname} longer than ${MAX_CNAMES}`
      break
    }
    chain.push(target)
  }
  const records: ResourceRecord[] = []
  for (const r of msg.answers) {
    if (used.has(r)) continue
    const owner = r.name.toLowerCase()
    if (r.type === want && r.class === CLASS_IN && chain.includes(owner)) {
      records.push(r)
      continue
    }
    if (r.type === TYPE.CNAME && chain.includes(owner)) continue // a second CNAME for a name already followed
    const why = r.class !== CLASS_IN ? `class ${r.class}, not IN` : chain.includes(owner) ? `${typeName(want)} was asked` : 'a name that was not asked'
    note(`${typeName(r.type)} record of ${r.name || '.'} (${why})`)
  }
  return broken === undefined ? { records, chain } : { records, chain, broken }
}

/** One attempt at one server: UDP, then TCP if the answer was truncated. Rejects only with the abort reason. */
async function attempt (server: DnsServer, at: string, query: Buffer, id: number, qname: string, type: QueryType, ms: number, clock: Clock, note: (s: string) => void, signal: AbortSignal | undefined): Promise<Outcome> {
  const started = clock.now()
  const udp = await overUdp(server, at, query, id, qname, type, ms, clock, note, signal)
  if (!udp.ok || !udp.msg.truncated) return udp
  const left = ms - (clock.now() - started)
  if (left <= 0) return { ok: false, problem: `sent a truncated answer and no time was left to ask over TCP (${ms} ms)`, timedOut: true }
  const tcp = await overTcp(server, query, id, qname, type, left, clock, signal)
  if (!tcp.ok) return { ok: false, problem: `sent a truncated answer; over TCP: ${tcp.problem}`, timedOut: tcp.timedOut }
  if (tcp.msg.truncated) return { ok: false, problem: 'sent a truncated answer over TCP too', timedOut: false }
  return tcp
}

/** Why `msg` is not the answer to our question, or undefined. */
function mismatch (msg: Message, id: number, qname: string, type: QueryType): string | undefined {
  if (msg.id !== id) return `an answer with id ${msg.id} (the query's is ${id})`
  if (!msg.response) return 'a packet that is a query, not an answer'
  if (msg.opcode !== 0) return `an answer with opcode ${msg.opcode}`
  // Error answers may leave the question out; an answer with data may not.
  if (msg.questions.length === 0 && msg.rcode !== RCODE.NOERROR) return undefined
  const q = msg.questions[0]
  if (msg.questions.length !== 1 || q === undefined || q.name.toLowerCase() !== qname.toLowerCase() || q.type !== TYPE[type] || q.class !== CLASS_IN) {
    const asked = msg.questions.map((x) => `${x.name || '.'}/${typeName(x.type)}`).join(', ')
    return `an answer to another question (${asked === '' ? 'none' : asked})`
  }
  return undefined
}

/** Runs `body` with a timer and the abort signal wired to `finish`; `cleanup` runs once, whatever ends it. */
async function settle (ms: number, clock: Clock, signal: AbortSignal | undefined, onTimeout: () => Outcome, body: (finish: (v: Outcome) => void) => () => void): Promise<Outcome> {
  signal?.throwIfAborted()
  return await new Promise<Outcome>((resolve, reject) => {
    let done = false
    let cleanup: (() => void) | undefined
    let timer: Timer | undefined
    const end = (): void => {
      done = true
      if (timer !== undefined) clock.clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      cleanup?.()
    }
    const finish = (v: Outcome): void => { if (!done) { end(); resolve(v) } }
    const onAbort = (): void => { if (!done) { end(); reject(signal?.reason) } }
    timer = clock.setTimeout(() => { finish(onTimeout()) }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      cleanup = body(finish)
    } catch (err) {
      finish({ ok: false, problem: String(err), timedOut: false })
    }
    if (done) cleanup?.()
  })
}

async function overUdp (server: DnsServer, at: string, query: Buffer, id: number, qname: string, type: QueryType, ms: number, clock: Clock, note: (s: string) => void, signal: AbortSignal | undefined): Promise<Outcome> {
  return await settle(ms, clock, signal, () => ({ ok: false, problem: `did not answer within ${ms} ms`, timedOut: true }), (finish) => {
    const sock: UdpSocket = createSocket(isIP(server.host) === 6 ? 'udp6' : 'udp4')
    sock.on('error', (err: NodeJS.ErrnoException) => {
      const what = err.code === 'ECONNREFUSED' ? 'refused the packet: nothing listens on that UDP port (ICMP port unreachable)' : `UDP error: ${err.code ?? err.message}`
      finish({ ok: false, problem: what, timedOut: false })
    })
    sock.on('message', (packet: Buffer) => {
      if (packet.length < 2) { note(`a packet of ${packet.length} bytes from ${at}`); return }
      const pid = packet.readUInt16BE(0)
      if (pid !== id) { note(`an answer from ${at} with id ${pid} (the query's is ${id})`); return }
      let msg: Message
      try {
        msg = decodeMessage(packet)
      } catch (err) {
        finish({ ok: false, problem: `sent a malformed answer (${packet.length} bytes): ${(err as Error).message}`, timedOut: false })
        return
      }
      const wrong = mismatch(msg, id, qname, type)
      if (wrong !== undefined) { note(`${wrong} from ${at}`); return }
      finish({ ok: true, msg })
    })
    sock.connect(server.port, server.host, () => {
      const failed = (err: Error): void => { finish({ ok: false, problem: `cannot send: ${(err as NodeJS.ErrnoException).code ?? err.message}`, timedOut: false }) }
      try {
        sock.send(query, (err) => { if (err !== null && err !== undefined) failed(err) })
      } catch (err) {
        failed(err as Error) // closed meanwhile (the attempt ended)
      }
    })
    return () => { try { sock.close() } catch { /* closed already */ } }
  })
}

const MAX_TCP_ANSWER = 65535 + 2

async function overTcp (server: DnsServer, query: Buffer, id: number, qname: string, type: QueryType, ms: number, clock: Clock, signal: AbortSignal | undefined): Promise<Outcome> {
  return await settle(ms, clock, signal, () => ({ ok: false, problem: `no full answer within ${ms} ms`, timedOut: true }), (finish) => {
    const sock: TcpSocket = tcpConnect({ host: server.host, port: server.port })
    const chunks: Buffer[] = []
    let have = 0
    sock.on('error', (err: NodeJS.ErrnoException) => {
      const what = err.code === 'ECONNREFUSED' ? 'connection refused' : err.code ?? err.message
      finish({ ok: false, problem: what, timedOut: false })
    })
    sock.on('connect', () => {
      const len = Buffer.alloc(2)
      len.writeUInt16BE(query.length)
      sock.write(Buffer.concat([len, query]))
    })
    sock.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      have += chunk.length
      if (have > MAX_TCP_ANSWER) { finish({ ok: false, problem: 'sent more than one answer\'s worth of bytes', timedOut: false }); return }
      if (have < 2) return
      const all = Buffer.concat(chunks)
      const size = all.readUInt16BE(0)
      if (all.length < size + 2) return
      let msg: Message
      try {
        msg = decodeMessage(all.subarray(2, 2 + size))
      } catch (err) {
        finish({ ok: false, problem: `sent a malformed answer (${size} bytes): ${(err as Error).message}`, timedOut: false })
        return
      }
      const wrong = mismatch(msg, id, qname, type)
      if (wrong !== undefined) finish({ ok: false, problem: `sent ${wrong}`, timedOut: false })
      else finish({ ok: true, msg })
    })
    sock.on('close', () => { finish({ ok: false, problem: 'closed the connection before a full answer', timedOut: false }) })
    return () => { sock.destroy() }
  })
}
