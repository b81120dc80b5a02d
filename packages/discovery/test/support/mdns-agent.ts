// A stand-in for a node at the strategy level, run by the mdns tests inside
// a network namespace (netns.ts `spawnInNetns`), since the test process
// itself must not open mDNS sockets on the host. It makes mdns strategies
// and drives them on commands read from stdin, one JSON object a line:
//
//   { "id": 1, "op": "register", "args": { "key": "main" } }
//
// and answers on stdout `{"id":1,"ok":true,"value":...}` or
// `{"id":1,"ok":false,"error":{"name","code","message"}}`. Commands run
// concurrently (a discover in flight does not hold up a stop). Every log
// record of a strategy is printed as `{"log":{"key","level","msg","fields"}}`.
//
// The first argument is the JSON spec of the strategy "main" (see Spec).
// Ops: make (another strategy: Spec + key), start, stop, register,
// unregister, discover ({ abortAfter? } ms), raw ({ packets, for, every }:
// sends mDNS responses through a multicast-dns socket of its own, TXT data as
// lists of strings), garbage ({ for, every }: bytes that are no DNS packet),
// listen ({ for }: sends a query for _tekka._tcp.local and returns every
// record of the responses heard for that long, as [name, type, data] with
// data printed), hold ({ port }: binds 0.0.0.0:port without SO_REUSEADDR,
// as a responder that wants the port to itself), release, exit. raw,
// garbage and listen use the family of the main node's address: IPv6 on
// eth0 (ff02::fb) for a node named by an IPv6 address, else IPv4.
import { createSocket, type Socket } from 'node:dgram'
import { isIP } from 'node:net'
import { createInterface } from 'node:readline'
import { Bonjour } from 'bonjour-service'
import { createLogger, systemClock } from '@tekka/actors'
import { mdnsStrategy, type MdnsFamily, type Strategy } from '../../src/index.js'

export interface Spec {
  node: string
  cluster?: string
  service?: string
  browseWindow?: number
  /** Announced dist port. Default 4370. */
  port?: number
  interface?: string
  family?: MdnsFamily
}

interface Cmd { id: number, op: string, args?: Record<string, unknown> }

const out = (v: unknown): void => { process.stdout.write(JSON.stringify(v) + '\n') }
const abort = new AbortController()
const strategies = new Map<string, Strategy>()
const spec0 = JSON.parse(process.argv[2] ?? '{}') as Spec

function make (key: string, spec: Spec): Strategy {
  const logger = createLogger(`tekka:discovery:mdns:${key}`, (r) => { out({ log: { key, level: r.level, msg: r.msg, fields: r.fields } }) })
  const s = mdnsStrategy({
    ...(spec.service !== undefined ? { service: spec.service } : {}),
    ...(spec.browseWindow !== undefined ? { browseWindow: spec.browseWindow } : {}),
    ...(spec.interface !== undefined ? { interface: spec.interface } : {}),
    ...(spec.family !== undefined ? { family: spec.family } : {})
  })({ node: spec.node, cluster: spec.cluster ?? 'tekka', port: spec.port ?? 4370, clock: systemClock(), logger, signal: abort.signal })
  strategies.set(key, s)
  return s
}

interface RawSocket {
  respond(p: unknown, cb: (err: Error | null) => void): void
  query(q: unknown, cb: (err: Error | null) => void): void
  on(event: 'response', f: (p: { answers: unknown[], additionals: unknown[] }) => void): void
  off(event: 'response', f: (p: { answers: unknown[], additionals: unknown[] }) => void): void
}

const host = spec0.node.slice(spec0.node.indexOf('@') + 1)
/** The raw ops' family: the main node's address's. */
const v6 = isIP(host) === 6

/** The multicast-dns socket of the raw sender, on the interface of the main node's address. */
let raw: RawSocket | undefined
let rawBonjour: Bonjour | undefined
const held: Socket[] = []
function rawSocket (): RawSocket {
  if (raw === undefined) {
    const opts = v6
      ? { type: 'udp6', ip: 'ff02::fb', interface: '::%eth0', bind: '::', socket: createSocket({ type: 'udp6', reuseAddr: true, ipv6Only: true }) }
      : { interface: host, bind: '0.0.0.0' }
    rawBonjour = new Bonjour(opts, () => {})
    raw = (rawBonjour as unknown as { server: { mdns: RawSocket } }).server.mdns
  }
  return raw
}

/** A record as [name, type, data printed]. */
const printed = (rr: unknown): [string, string, string] => {
  const r = rr as { name?: unknown, type?: unknown, data?: unknown }
  const d = r.data
  const data = Array.isArray(d) ? d.map((x) => Buffer.isBuffer(x) ? x.toString() : String(x)).join(' ') : typeof d === 'object' && d !== null ? JSON.stringify(d) : String(d)
  return [String(r.name), String(r.type), data]
}

/** TXT data given as strings in JSON becomes Buffers, as dns-packet wants. */
function packetOf (p: { answers?: Array<Record<string, unknown>>, additionals?: Array<Record<string, unknown>> }): unknown {
  const fix = (rr: Record<string, unknown>): Record<string, unknown> =>
    rr.type === 'TXT' && Array.isArray(rr.data) ? { ...rr, data: (rr.data as string[]).map((s) => Buffer.from(s)) } : rr
  return { answers: (p.answers ?? []).map(fix), additionals: (p.additionals ?? []).map(fix) }
}

/** Sends for `forMs`, every `everyMs`; prints `{"sent":id}` after the first time, so the test knows it is under way. */
async function repeat (id: number, forMs: number, everyMs: number, send: () => Promise<void>): Promise<number> {
  const until = Date.now() + forMs
  let n = 0
  do {
    await send()
    if (n === 0) out({ sent: id })
    n++
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  } while (Date.now() < until)
  return n
}

async function run (cmd: Cmd): Promise<unknown> {
  const a = cmd.args ?? {}
  const key = typeof a.key === 'string' ? a.key : 'main'
  if (cmd.op === 'make') { make(key, a as unknown as Spec); return null }
  if (cmd.op === 'raw') {
    const sock = rawSocket()
    const packets = (a.packets as Array<Parameters<typeof packetOf>[0]>).map(packetOf)
    return await repeat(cmd.id, Number(a.for ?? 0), Number(a.every ?? 100), async () => {
      for (const p of packets) await new Promise<void>((resolve, reject) => { sock.respond(p, (err) => { if (err !== null && err !== undefined) reject(err); else resolve() }) })
    })
  }
  if (cmd.op === 'listen') {
    const sock = rawSocket()
    const heard: Array<[string, string, string]> = []
    const on = (p: { answers: unknown[], additionals: unknown[] }): void => { heard.push(...[...p.answers, ...p.additionals].map(printed)) }
    sock.on('response', on)
    await new Promise<void>((resolve, reject) => { sock.query({ questions: [{ name: '_tekka._tcp.local', type: 'PTR' }] }, (err) => { if (err !== null && err !== undefined) reject(err); else resolve() }) })
    await new Promise((resolve) => setTimeout(resolve, Number(a.for ?? 500)))
    sock.off('response', on)
    return heard
  }
  if (cmd.op === 'garbage') {
    const s = createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: true })
    await new Promise<void>((resolve) => { s.bind(0, host, () => { resolve() }) })
    s.setMulticastInterface(v6 ? '::%eth0' : host)
    try {
      return await repeat(cmd.id, Number(a.for ?? 0), Number(a.every ?? 100), async () => {
        // A header claiming 5 answers, then nothing: no DNS decoder can read it.
        const junk = Buffer.from([0, 0, 0x84, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0xff, 0xfe, 0xfd])
        await new Promise<void>((resolve, reject) => { s.send(junk, 5353, v6 ? 'ff02::fb%eth0' : '224.0.0.251', (err) => { if (err !== null) reject(err); else resolve() }) })
      })
    } finally {
      s.close()
    }
  }
  if (cmd.op === 'hold') {
    const s = createSocket({ type: 'udp4', reuseAddr: false })
    await new Promise<void>((resolve, reject) => { s.once('error', reject); s.bind(Number(a.port ?? 5353), '0.0.0.0', () => { s.off('error', reject); resolve() }) })
    held.push(s)
    return null
  }
  if (cmd.op === 'release') {
    for (const s of held.splice(0)) s.close()
    return null
  }
  if (cmd.op === 'exit') {
    for (const s of strategies.values()) await s.stop?.()
    await new Promise<void>((resolve) => { if (rawBonjour === undefined) resolve(); else rawBonjour.destroy(() => { resolve() }) })
    abort.abort()
    setImmediate(() => process.exit(0))
    return null
  }
  const s = strategies.get(key)
  if (s === undefined) throw new Error(`no strategy ${key}`)
  switch (cmd.op) {
    case 'start': return await s.start?.() ?? null
    case 'stop': return await s.stop?.() ?? null
    case 'register': return await s.register?.() ?? null
    case 'unregister': return await s.unregister?.() ?? null
    case 'discover': {
      const ac = new AbortController()
      const t = typeof a.abortAfter === 'number' ? setTimeout(() => { ac.abort(new Error(`test aborted the discover after ${String(a.abortAfter)} ms`)) }, a.abortAfter) : undefined
      try {
        return (await s.discover({ signal: ac.signal })).sort()
      } finally {
        clearTimeout(t)
      }
    }
    default: throw new Error(`unknown op ${cmd.op}`)
  }
}

make('main', spec0)
const rl = createInterface({ input: process.stdin })
rl.on('line', (line) => {
  let cmd: Cmd
  try {
    cmd = JSON.parse(line) as Cmd
  } catch {
    out({ id: -1, ok: false, error: { name: 'SyntaxError', message: `not JSON: ${line}` } })
    return
  }
  run(cmd).then(
    (value) => { out({ id: cmd.id, ok: true, value: value ?? null }) },
    (err: unknown) => {
      const e = err as { name?: string, code?: string, message?: string }
      out({ id: cmd.id, ok: false, error: { name: e.name ?? 'Error', code: e.code, message: e.message ?? String(err) } })
    })
})
// Stdin closed: the test is gone.
rl.on('close', () => { void run({ id: 0, op: 'exit' }) })
out({ ready: true })
