// Bad input thrown at a live node: a `tekka` node (the fixture app, as a
// separate OS process) gets a wrong cookie, handshake garbage, stalled
// handshakes, broken frames and bad signals after a real handshake, and
// 10,000+ randomly mutated valid frames (2,000 in the unit tier). Meanwhile a well-behaved peer (this
// process, node t0) keeps one link to it, which must never go down and must
// keep being served (RPC and an echo round trip) after each kind of abuse.
// Every link the node closes must be logged on its stderr with a reason, and
// its memory must stay bounded.
//
// Replay a fuzz run: TEKKA_FUZZ_SEED=<seed printed by the run>; size it with
// TEKKA_FUZZ_FRAMES (default 10000; 2000 in the unit tier). TEKKA_TEST_ECHO=1 mirrors the node's output.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { Pid, Ref, TIMEOUT, memoryLogger } from '@tekka/actors'
import { startNode, createCodec, clientHandshake, dial, type DistNode } from '../src/index.js'
import { encodeFrame } from '../src/frame.js'
import { SEND, REG_SEND, LINK, EXIT, EXIT2, MONITOR, DOWN, RPC_CALL, RPC_REPLY, NODES, BYE } from '../src/protocol.js'
import { KIND_CONTROL, KIND_DATA, KIND_FRAG_FIRST, KIND_FRAG_NEXT, firstFragmentHeader, smallHeader } from '../src/wire.js'
import { spawnNode, type NodeProcess, TEKKA_BIN } from '@tekka/testing/procs'
import { freePortRange } from '@tekka/testing/ports'
import { eventually, sleep, withTimeout } from '@tekka/testing/wait'
import { sized } from '@tekka/testing'
import { fuzzSeed, rngFor } from './helpers/fuzz.js'
import { RawPeer, closedWithin, rawSocket } from './helpers/fuzz-peer.js'
import { mutatedUnit, type FrameContext } from './helpers/fuzz-frames.js'

/** The `tekka` command, which runs the fixture app as a whole node. */
const BIN = TEKKA_BIN
const APP = fileURLToPath(new URL('./fixtures/app.js', import.meta.url))
const HOST = '127.0.0.1'
const COOKIE = `bad-input-${randomBytes(6).toString('hex')}`
const N1 = `n1@${HOST}`
const T0 = `t0@${HOST}`
const MAX_FRAME = 64 * 1024 * 1024
const MiB = 1024 * 1024
const FUZZ_FRAMES = sized(10_000, 2_000, 'TEKKA_FUZZ_FRAMES')
const FUZZ_WORKERS = 16
/** How long a probe may take before the stream counts as stalled (the node waits for bytes that never come). */
const PROBE_MS = 60
const SEED = fuzzSeed()

interface Memory { rss: number, heapTotal: number, heapUsed: number, external: number, arrayBuffers: number }

let base = 0
let port = 0
let n1!: NodeProcess
let t0!: DistNode
let n1Creation = 0
const t0Downs: unknown[] = []
const t0Log = memoryLogger('t0')

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`

/** Names of raw peers: all end in `-2`, so a dial back from the node (rpc replies after the link closed) goes to base + 2, where nothing listens. */
const caseName = (label: string): string => `case-${label}-2@${HOST}`

/** The first line of the node's stderr that matches (already printed or printed within `ms`). */
async function nodeLine (re: RegExp, ms = 5000): Promise<string> {
  return (await n1.waitForLine(re, ms, { stream: 'stderr' })).line.text
}

async function memory (): Promise<Memory> {
  return await t0.call<Memory>(N1, 'test.memory', [], { timeout: 10_000 })
}

let echoSeq = 0
/** t0 is still served: an RPC, an echo round trip through the node's `echo` process, and its link never went down. */
async function assertServed (label: string): Promise<void> {
  assert.ok(n1.running, `${label}: the node is still running`)
  assert.is(await t0.call(N1, 'tekka.ping', [], { timeout: 5000 }), 'pong', `${label}: tekka.ping`)
  const token = `${label}#${++echoSeq}`
  const reply = await t0.run(async (ctx) => {
    ctx.send({ name: 'echo', node: N1 }, { from: ctx.self, msg: token })
    return await ctx.receive((m) => (m as { echo?: unknown } | undefined)?.echo === token, { timeout: 5000 })
  })
  assert.ok(reply !== TIMEOUT, `${label}: echo round trip`)
  assert.equal(t0Downs, [], `${label}: t0 saw no nodedown`)
  assert.ok(t0.nodes().includes(N1), `${label}: t0 is connected to n1`)
}

async function openPeer (name: string, extra: { cookie?: string } = {}): Promise<RawPeer> {
  return await RawPeer.open({ host: HOST, port, name, cookie: extra.cookie ?? COOKIE, expectedName: N1, timeout: 5000 })
}

/**
 * One abusive authenticated link: opens it as `case-<label>-2`, writes what
 * `build` returns (then half-closes if `end`), and checks that the node closes
 * it and logs a nodedown with `reason` and an error matching `error`.
 */
async function abuseLink (label: string, build: (p: RawPeer) => Buffer | Buffer[], reason: string, error: RegExp, opts: { end?: boolean } = {}): Promise<string> {
  const name = caseName(label)
  const peer = await openPeer(name)
  for (const b of [build(peer)].flat()) peer.write(b)
  if (opts.end === true) peer.end()
  assert.is(await peer.waitClosed(3000), 'closed', `${label}: the node closes the link`)
  const line = await nodeLine(new RegExp(`nodedown peer=${esc(name)} reason=\\S+`))
  assert.match(line, new RegExp(`reason=${reason}\\b`), `${label}: ${line}`)
  assert.match(line, error, `${label}: ${line}`)
  return line
}

/** A protocol error closes the link: nodedown with reason protocol_error, and the error logged where it was found. */
async function protocolError (label: string, build: (p: RawPeer) => Buffer | Buffer[], error: RegExp): Promise<void> {
  await abuseLink(label, build, 'protocol_error', error)
  await nodeLine(new RegExp(`protocol error, closing (the )?link peer=${esc(caseName(label))}`))
}

/** An unauthenticated connection that writes `bytes`: the node must close it and log why, with `code`. */
async function badHandshake (label: string, chunks: Buffer[], code: string, within = 3000): Promise<number> {
  const raw = await rawSocket(HOST, port)
  const started = Date.now()
  for (const c of chunks) raw.socket.write(c)
  assert.is(await closedWithin(raw.closedAt, within), 'closed', `${label}: the node closes the socket within ${within} ms`)
  const line = await nodeLine(new RegExp(`incoming connection refused remote=${esc(HOST)}:${raw.localPort} code=\\S+`))
  assert.match(line, new RegExp(`code=${code}\\b`), `${label}: ${line}`)
  return (await raw.closedAt) - started
}

test.before(async () => {
  console.log(`fuzz seed: ${SEED} (replay with TEKKA_FUZZ_SEED=${SEED})`)
  // base: t0, base + 1: n1, base + 2: where raw peers' names point (nothing listens).
  base = await freePortRange(3, [HOST])
  port = base + 1
  n1 = spawnNode({
    entry: BIN,
    nodeArgs: ['--expose-gc'],
    args: ['--name', N1, '--cookie', COOKIE, '--set', `node.dist_base_port=${base}`, '--set', 'node.handshake_timeout=1s', '--set', 'log.rate_limit=0', APP],
    env: { TEKKA_LOG: 'info' },
    name: 'n1',
    maxLines: 1_000_000
  })
  await n1.waitForLine(new RegExp(`tekka: node ${esc(N1)} listening on ${esc(HOST)}:${port}`), 15_000)
  await n1.waitForLine(/tekka: app .* started/, 15_000)
  t0 = await startNode({ name: T0, cookie: COOKIE, basePort: base, logger: t0Log, handshakeTimeout: 3000 })
  t0.events.on('dist.nodedown', (e) => { t0Downs.push(e) })
  assert.ok(await t0.connect(N1), 't0 connects to n1')
  n1Creation = t0.kernel.peerInfo(N1)!.creation
  await assertServed('start')
})

test.after(async () => {
  await t0?.stop()
  if (n1?.running === true) await n1.stop('SIGKILL', 2000)
})

// ---------------------------------------------------------------- handshake

test('a wrong cookie is refused: ERR_HANDSHAKE_COOKIE for the client, a logged cookie failure on the node', async () => {
  const name = caseName('cookie')
  const socket = await dial({ host: HOST, port, timeout: 3000 })
  const localPort = socket.localPort
  let error: unknown
  try {
    await clientHandshake(socket, { localName: name, expectedName: N1, cookie: `not-${COOKIE}`, creation: 7, cluster: 'tekka', timeout: 3000, logger: t0Log.child('cookie') })
  } catch (err) {
    error = err
  }
  socket.destroy()
  assert.is((error as { code?: string } | undefined)?.code, 'ERR_HANDSHAKE_COOKIE', String(error))
  await nodeLine(new RegExp(`${esc(name)} failed to prove the cookie`))
  const line = await nodeLine(new RegExp(`incoming connection refused remote=${esc(HOST)}:${localPort ?? 0} `))
  assert.match(line, /code=ERR_HANDSHAKE_COOKIE/)
  await assertServed('wrong cookie')
})

test('handshake garbage: random bytes, a non-msgpack body, other non-hello frames, an HTTP request line, a TLS hello', async () => {
  const rng = rngFor(SEED, 0xbad0)
  const random = rng.bytes(64 + rng.int(448))
  random[0] = random[0] | 0x01 // a prefix above the 8 KiB handshake frame limit (else it may just wait for its body)
  const codec = createCodec()
  const cases: Array<[string, Buffer[]]> = [
    ['random bytes', [random]],
    ['a valid length prefix with a non-msgpack body', [Buffer.from([0, 0, 0, 6, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1])]],
    ['a msgpack body that is not a message', [encodeFrame(codec.encode([1, 2, 3]))]],
    ['a message other than hello', [encodeFrame(codec.encode({ t: 'ack', digest: Buffer.alloc(32) }))]],
    ['a hello with bad fields', [encodeFrame(codec.encode({ t: 'hello', name: 'no name', version: 1, minVersion: 1, flags: 0, creation: -1, cluster: 'tekka', hidden: false, challenge: Buffer.alloc(32) }))]],
    ['a zero-length frame', [Buffer.alloc(4)]],
    ['an HTTP request line', [Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')]],
    ['a TLS client hello', [Buffer.from('16030100a5010000a10303', 'hex'), randomBytes(160)]]
  ]
  await Promise.all(cases.map(async ([label, chunks]) => { await badHandshake(label, chunks, 'ERR_HANDSHAKE_PROTOCOL') }))
  await nodeLine(/sent an invalid handshake frame/)
  await assertServed('handshake garbage')
})

test('stalled handshakes are closed by the handshake deadline (1 s)', async () => {
  const codec = createCodec()
  const hello = encodeFrame(codec.encode({
    t: 'hello', name: caseName('stall-hello'), version: 1, minVersion: 1, flags: 0, creation: 9, cluster: 'tekka', hidden: false, challenge: randomBytes(32)
  }))
  const trickle = async (label: string): Promise<number> => {
    const raw = await rawSocket(HOST, port)
    const started = Date.now()
    // One byte of a hello every 200 ms: data keeps coming, but the step's deadline does not move.
    let at = 0
    const timer = setInterval(() => { if (!raw.isClosed() && at < hello.length) raw.socket.write(hello.subarray(at, ++at)) }, 200)
    try {
      assert.is(await closedWithin(raw.closedAt, 4000), 'closed', `${label}: closed`)
    } finally {
      clearInterval(timer)
    }
    const line = await nodeLine(new RegExp(`incoming connection refused remote=${esc(HOST)}:${raw.localPort} code=\\S+`))
    assert.match(line, /code=ERR_HANDSHAKE_TIMEOUT/, line)
    return (await raw.closedAt) - started
  }
  const [silent, afterHello, trickled] = await Promise.all([
    badHandshake('connect, send nothing', [], 'ERR_HANDSHAKE_TIMEOUT', 4000),
    badHandshake('a hello, then nothing', [hello], 'ERR_HANDSHAKE_TIMEOUT', 4000),
    trickle('a byte at a time')
  ])
  for (const [what, ms] of [['silent', silent], ['after hello', afterHello], ['trickle', trickled]] as const) {
    assert.ok(ms >= 900 && ms < 3500, `${what}: closed after ${ms} ms, expected about 1000`)
  }
  await assertServed('stalled handshakes')
})

// ---------------------------------------------------------------- after a handshake

test('truncated frames: a prefix promising more than is sent, then a half-close', async () => {
  await Promise.all([
    abuseLink('truncated-body', (p) => {
      const f = p.frame([SEND, p.pid(1), new Pid(N1, 1, n1Creation), 'x'.repeat(100)], KIND_DATA)
      return f.subarray(0, 30)
    }, 'connection_closed', /ended inside a frame \(26 bytes of it received\)/, { end: true }),
    abuseLink('truncated-prefix', () => Buffer.from([0, 0]), 'connection_closed', /ended inside a frame \(2 bytes/, { end: true }),
    abuseLink('truncated-fragments', (p) => {
      const body = p.codec.encode([SEND, p.pid(1), new Pid(N1, 1, n1Creation), Buffer.alloc(1000)])
      return Buffer.concat([firstFragmentHeader(100, body.length), body.subarray(0, 100), smallHeader(KIND_FRAG_NEXT, 100), body.subarray(100, 200)])
    }, 'connection_closed', /a fragmented message incomplete/, { end: true })
  ])
  await nodeLine(new RegExp(`link closed mid-frame peer=${esc(caseName('truncated-body'))}`))
  await assertServed('truncated frames')
})

test('an oversized length prefix closes the link before anything is allocated; a large announced frame costs only what was sent', async () => {
  const before = await memory()
  await protocolError('oversized', () => Buffer.from([0xff, 0xff, 0xff, 0xf0, KIND_DATA, 1, 2, 3]),
    /frame of 4294967280 bytes exceeds the maximum of 67108864 bytes/)
  await protocolError('oversized-max-plus-1', () => { const h = Buffer.alloc(5); h.writeUInt32BE(MAX_FRAME + 1); h[4] = KIND_DATA; return h },
    /frame of 67108865 bytes exceeds the maximum/)
  await protocolError('oversized-fragmented', () => Buffer.concat([firstFragmentHeader(4, 0xffff_fff0), Buffer.from([1, 2, 3, 4])]),
    /fragmented message of 4294967280 bytes exceeds the maximum/)
  const after = await memory()
  assert.ok(after.rss - before.rss < 32 * MiB, `rss ${mib(before.rss)} -> ${mib(after.rss)}`)
  assert.ok(after.arrayBuffers - before.arrayBuffers < 8 * MiB, `arrayBuffers ${mib(before.arrayBuffers)} -> ${mib(after.arrayBuffers)}`)

  // Just under the limit: the node waits for the body, holding only the bytes that came.
  const name = caseName('announced-64mib')
  const peer = await openPeer(name)
  const head = Buffer.alloc(5)
  head.writeUInt32BE(MAX_FRAME - 1)
  head[4] = KIND_DATA
  peer.write(head)
  peer.write(Buffer.alloc(256 * 1024, 0x61))
  // Wait for the node to have read it: a control frame cannot pass, so give it time, then look.
  await sleep(300)
  const waiting = await memory()
  assert.not.ok(peer.isClosed, 'a frame under the limit is waited for')
  assert.ok(waiting.arrayBuffers - before.arrayBuffers < 16 * MiB, `arrayBuffers while waiting ${mib(before.arrayBuffers)} -> ${mib(waiting.arrayBuffers)}`)
  assert.ok(waiting.rss - before.rss < 48 * MiB, `rss while waiting ${mib(before.rss)} -> ${mib(waiting.rss)}`)
  peer.end()
  assert.is(await peer.waitClosed(3000), 'closed')
  const line = await nodeLine(new RegExp(`nodedown peer=${esc(name)} reason=\\S+`))
  assert.match(line, /reason=connection_closed .*ended inside a frame/)
  console.log(`memory around oversized prefixes: rss ${mib(before.rss)} -> ${mib(after.rss)} (${mib(waiting.rss)} while a 64 MiB frame was announced), arrayBuffers ${mib(before.arrayBuffers)} -> ${mib(after.arrayBuffers)}`)
  await assertServed('oversized prefixes')
})

test('a message in a million 1-byte fragments holds about its own bytes on the node, not a Buffer per fragment', async () => {
  const name = caseName('tiny-fragments')
  const peer = await openPeer(name)
  try {
    await tinyFragments(peer, name)
  } finally {
    peer.destroy()
  }
  await assertServed('tiny fragments')
})

async function tinyFragments (peer: RawPeer, name: string): Promise<void> {
  const before = await memory()
  const count = 1_000_000
  peer.write(Buffer.concat([firstFragmentHeader(1, 8 * MiB), Buffer.from([0x61])]))
  const one = Buffer.concat([smallHeader(KIND_FRAG_NEXT, 1), Buffer.from([0x61])])
  const batch = Buffer.concat(Array.from({ length: 10_000 }, () => one))
  for (let i = 0; i < count / 10_000 && !peer.isClosed; i++) {
    if (!peer.socket.write(batch)) {
      await withTimeout(new Promise((resolve) => { peer.socket.once('drain', resolve); peer.socket.once('close', resolve) }), 10_000, 'the node reading the fragments')
    }
  }
  // A control frame may come between fragments: its answer means the node has read every fragment before it.
  const answered = peer.waitFor((v) => Array.isArray(v) && v[0] === DOWN && v[2] instanceof Ref && v[2].id === 4242, 20_000)
  peer.write(peer.frame([MONITOR, peer.pid(1), new Pid(N1, 0x7fff_fff0, n1Creation), peer.ref(4242)], KIND_CONTROL))
  assert.is((await answered).kind, 'message', 'the node read the fragments and answers between them')
  const holding = await memory()
  console.log(`${count} one-byte fragments (${mib(count * one.length)} on the wire): heapUsed ${mib(before.heapUsed)} -> ${mib(holding.heapUsed)}, rss ${mib(before.rss)} -> ${mib(holding.rss)}`)
  assert.ok(holding.heapUsed - before.heapUsed < 24 * MiB, `heapUsed ${mib(before.heapUsed)} -> ${mib(holding.heapUsed)} for ${mib(count)} of fragments`)
  peer.end()
  assert.is(await peer.waitClosed(3000), 'closed')
  const line = await nodeLine(new RegExp(`nodedown peer=${esc(name)} reason=\\S+`))
  assert.match(line, /reason=connection_closed .*a fragmented message incomplete/)
}

test('unknown frame kinds, undecodable bodies and fragments out of place', async () => {
  const raw = (kind: number, body: number[]): Buffer => Buffer.concat([smallHeader(kind, body.length), Buffer.from(body)])
  await Promise.all([
    ...[0, 5, 0x7f, 0xff].map(async (k) => { await protocolError(`kind-${k}`, () => raw(k, [0x90]), new RegExp(`unknown frame kind ${k}\\b`)) }),
    protocolError('short-msgpack', () => raw(KIND_DATA, [0x94, 0x01]), /FrameDecodeError: cannot decode frame body of 2 bytes/),
    protocolError('trailing-bytes', () => raw(KIND_CONTROL, [0x91, BYE, 0x00]), /FrameDecodeError: .*end of buffer not reached/),
    // 0xc1 is "never used" in msgpack; msgpackr reads it as a marker object, which is no signal either.
    protocolError('never-used-byte', () => raw(KIND_DATA, [0xc1]), /FrameDecodeError|a signal must be a non-empty array/),
    protocolError('empty-body', () => raw(KIND_DATA, []), /FrameDecodeError|bad range/),
    protocolError('frag-next-alone', () => raw(KIND_FRAG_NEXT, [1, 2, 3]), /outside a fragmented message/),
    protocolError('frag-first-short', () => raw(KIND_FRAG_FIRST, [0, 0]), /shorter than its header/),
    protocolError('frag-zero-total', () => raw(KIND_FRAG_FIRST, [0, 0, 0, 0, 1]), /announced 0 bytes/),
    protocolError('frag-overrun', () => raw(KIND_FRAG_FIRST, [0, 0, 0, 2, 1, 2, 3]), /exceed the announced 2 bytes/),
    protocolError('frag-then-data', (p) => Buffer.concat([raw(KIND_FRAG_FIRST, [0, 0, 0, 10, 0x92]), p.frame([BYE], KIND_DATA)]), /data frame arrived inside a fragmented message/),
    protocolError('frag-empty', () => Buffer.concat([raw(KIND_FRAG_FIRST, [0, 0, 0, 10, 0x92]), raw(KIND_FRAG_NEXT, [])]), /an empty fragment/)
  ])
  await assertServed('bad frames')
})

test('frames with unknown signal tags', async () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['tag-99', [99, 1, 2], /unknown signal tag 99\b/],
    ['tag-0', [0], /unknown signal tag 0\b/],
    ['tag-negative', [-1, 'x'], /unknown signal tag -1\b/],
    ['tag-float', [1.5, null], /unknown signal tag 1\.5\b/],
    ['tag-string', ['SEND', null, null, null], /unknown signal tag \\"SEND\\"/],
    ['tag-null', [null], /unknown signal tag null/],
    ['tag-bigint', [2n ** 70n, 1], /ProtocolError: unknown signal tag 1180591620717411303424n/],
    ['tag-long-string', ['x'.repeat(100_000)], /ProtocolError: unknown signal tag \\"x{39}\.\.\."/],
    ['not-an-array', { tag: SEND }, /a signal must be a non-empty array/],
    ['empty-array', [], /a signal must be a non-empty array/],
    ['a-string', 'hello', /a signal must be a non-empty array/]
  ]
  await Promise.all(cases.map(async ([label, value, error]) => { await protocolError(label, (p) => p.frame(value), error) }))
  // What a peer sends is not copied whole into the log.
  const long = n1.lines.filter((l) => l.text.includes(caseName('tag-long-string')))
  assert.ok(long.length > 0 && long.every((l) => l.text.length < 1000), `log lines about a 100 kB tag stay short (${long.map((l) => l.text.length).join(', ')} chars)`)
  await assertServed('unknown tags')
})

test('well-formed frames with wrong field types', async () => {
  const local = new Pid(N1, 0x7fff_0000, n1Creation)
  const cases: Array<[string, (p: RawPeer) => unknown, RegExp]> = [
    ['send-from-string', () => [SEND, 'pid', local, 'x'], /malformed SEND signal \(4 fields\)/],
    ['send-to-number', (p) => [SEND, p.pid(1), 42, 'x'], /malformed SEND signal/],
    ['send-short', (p) => [SEND, p.pid(1), local], /malformed SEND signal \(3 fields\)/],
    ['reg-send-to-number', (p) => [REG_SEND, p.pid(1), 42, 'x'], /malformed REG_SEND signal/],
    ['link-one-field', (p) => [LINK, p.pid(1)], /malformed LINK signal \(2 fields\)/],
    ['link-numbers', () => [LINK, 1, 2], /malformed LINK signal/],
    ['link-ref', (p) => [LINK, p.pid(1), p.ref(1)], /malformed LINK signal/],
    ['exit-no-reason', (p) => [EXIT, p.pid(1), local], /malformed EXIT signal \(3 fields\)/],
    ['exit2-extra', (p) => [EXIT2, p.pid(1), local, 'r', 'extra'], /malformed EXIT2 signal \(5 fields\)/],
    ['monitor-number-target', (p) => [MONITOR, p.pid(1), 42, p.ref(1)], /malformed MONITOR signal/],
    ['monitor-empty-name', (p) => [MONITOR, p.pid(1), '', p.ref(1)], /malformed MONITOR signal/],
    ['monitor-pid-as-ref', (p) => [MONITOR, p.pid(1), local, p.pid(2)], /malformed MONITOR signal/],
    ['down-string-watcher', (p) => [DOWN, 'x', p.ref(1), p.pid(1), 'r'], /malformed DOWN signal/],
    ['rpc-string-id', () => [RPC_CALL, '1', 'tekka.ping', []], /malformed RPC_CALL signal/],
    ['rpc-float-id', () => [RPC_CALL, 1.5, 'tekka.ping', []], /malformed RPC_CALL signal/],
    ['rpc-args-object', () => [RPC_CALL, 1, 'tekka.ping', { 0: 1 }], /malformed RPC_CALL signal/],
    ['rpc-reply-ok-string', () => [RPC_REPLY, 1, 'yes', 2], /malformed RPC_REPLY signal/],
    ['nodes-string', () => [NODES, 'a@b'], /malformed NODES signal/],
    ['nodes-numbers', () => [NODES, [1, 2]], /malformed NODES signal/],
    ['bye-extra', () => [BYE, 1], /malformed BYE signal \(2 fields\)/]
  ]
  await Promise.all(cases.map(async ([label, value, error]) => { await protocolError(label, (p) => p.frame(value(p)), error) }))
  await assertServed('wrong field types')
})

test('signals that claim to come from (or go to) a process of a third node', async () => {
  // The waiter traps exits and would report anything that reached it; it must hear nothing.
  const victim = await t0.call<Pid>(N1, 'test.spawn_waiter', [{ trap: true }])
  const t0Pid = new Pid(T0, 1, t0.creation)
  const third = new Pid(`third@${HOST}`, 5, 77)
  const cases: Array<[string, (p: RawPeer) => unknown, RegExp]> = [
    ['send-from-third', () => [SEND, third, victim, 'spoofed'], /SEND signal from <third@127\.0\.0\.1\.5\.77>, which is not a process of case-send-from-third-2@/],
    ['reg-send-from-t0', () => [REG_SEND, t0Pid, 'echo', { from: t0Pid, msg: 'spoofed' }], /REG_SEND signal from <t0@127\.0\.0\.1\.1\.\d+>, which is not a process of/],
    ['link-from-t0', () => [LINK, t0Pid, victim], /LINK signal from <t0@/],
    ['exit2-kill-from-third', () => [EXIT2, third, victim, 'kill'], /EXIT2 signal from <third@/],
    ['exit-from-t0', () => [EXIT, t0Pid, victim, 'boom'], /EXIT signal from <t0@/],
    ['monitor-from-third', (p) => [MONITOR, third, victim, p.ref(1)], /MONITOR signal from <third@/],
    ['monitor-third-ref', (p) => [MONITOR, p.pid(1), victim, new Ref(`third@${HOST}`, 1, 77)], /MONITOR with reference .* not made by/],
    ['down-from-third', (p) => [DOWN, victim, p.ref(1), third, 'x'], /DOWN signal from <third@/],
    ['send-to-third', (p) => [SEND, p.pid(1), third, 'relay me'], /SEND signal addressed to <third@127\.0\.0\.1\.5\.77>, which is not a process of n1@/],
    ['link-to-t0', (p) => [LINK, p.pid(1), t0Pid], /LINK signal addressed to <t0@/],
    ['down-to-third', (p) => [DOWN, third, p.ref(1), p.pid(1), 'x'], /DOWN signal addressed to <third@/]
  ]
  await Promise.all(cases.map(async ([label, value, error]) => { await protocolError(label, (p) => p.frame(value(p)), error) }))
  assert.is(await t0.call(N1, 'test.alive', [victim]), true, 'the spoofed kill did not land')
  await assertServed('third-node pids')
})

// ---------------------------------------------------------------- fuzz

/** Pids with an id of at least 256 whose low byte is at least 32: no single mutated byte turns them into the small ids of the fixture's own processes (echo, node_events). */
function farFromFixture (pid: Pid): boolean {
  return pid.id >= 256 && (pid.id & 0xff) >= 32
}

/**
 * Spawns with `fn` until the pid is far from the fixture's processes (each
 * rpc spawns a process, so ids move on). A waiter that is not far is stopped,
 * which frees its name for the next try.
 */
async function spawnFar (fn: string, args: unknown[]): Promise<Pid> {
  for (let i = 0; i < 40; i++) {
    const pid = await t0.call<Pid>(N1, fn, args)
    if (farFromFixture(pid)) return pid
    if (fn === 'test.spawn_waiter') {
      t0.send(pid, 'stop')
      await eventually(async () => await t0.call(N1, 'test.alive', [pid]) === false, { timeout: 5000, message: `${pid.toString()} stopped` })
    }
    // Move the ids on to a low byte of about 40 (each ping takes one id).
    const skip = pid.id < 256 ? 296 - pid.id : 40 - (pid.id & 0xff)
    await Promise.all(Array.from({ length: Math.min(skip, 300) }, async () => await t0.call(N1, 'tekka.ping')))
  }
  throw new Error(`no pid far from the fixture's own after 40 tries (${fn})`)
}

interface FuzzLink { name: string, frames: number, end: 'node' | 'stall' | 'open' }

test(`fuzz: ${FUZZ_FRAMES} randomly mutated valid frames over authenticated links (seed ${SEED})`, async () => {
  const trapping = [
    await spawnFar('test.spawn_waiter', [{ trap: true, name: 'fuzz_named' }]),
    await spawnFar('test.spawn_waiter', [{ trap: true }]),
    await spawnFar('test.spawn_waiter', [{ trap: true }])
  ]
  const sinkReport = new Pid(T0, 0x7fff_0001, t0.creation)
  const sinks = [await spawnFar('test.spawn_sink', [1e9, sinkReport]), await spawnFar('test.spawn_sink', [1e9, sinkReport])]
  // The probe: a monitor of a pid that never existed, answered at once with DOWN noproc.
  const nobody = new Pid(N1, 0x7fff_fff0, n1Creation)
  const PROBE_REF = 2_000_000_000

  const before = await memory()
  const started = Date.now()
  const links: FuzzLink[] = []
  const stats = { frames: 0, accepted: 0, closedByNode: 0, stalled: 0, byWhat: {} as Record<string, number>, byOp: {} as Record<string, number> }
  const recent: string[] = []
  let nextFrame = 0
  let nextLink = 0
  let probeSeq = 0
  let failure: Error | undefined
  /** What to show when the run fails: the node's state, its last lines, the last frames written. */
  const diagnose = (what: string): Error => new Error(`${what}\nnode: ${n1.running ? 'running' : `exited ${JSON.stringify(n1.exitInfo)}`}, seed ${SEED}\nlast node lines:\n${n1.lines.slice(-12).map((l) => `  ${l.text.slice(0, 300)}`).join('\n')}\nlast frames written:\n${recent.join('\n')}`)

  const worker = async (): Promise<void> => {
    let peer: RawPeer | undefined
    let link: FuzzLink | undefined
    while (failure === undefined && nextFrame < FUZZ_FRAMES) {
      if (!n1.running) { failure = diagnose('the node exited'); break }
      if (peer === undefined) {
        const name = `fuzz${String(++nextLink).padStart(6, '0')}-2@${HOST}`
        try {
          peer = await openPeer(name)
        } catch (err) {
          failure = diagnose(`cannot open fuzz link ${name}: ${(err as Error).message}`)
          break
        }
        link = { name, frames: 0, end: 'open' }
        links.push(link)
      }
      const index = nextFrame++
      const rng = rngFor(SEED, index)
      const ctx: FrameContext = { codec: peer.codec, peer: peer.name, creation: peer.creation, local: N1, localCreation: n1Creation, trapping, sinks, regName: 'fuzz_named' }
      const unit = mutatedUnit(ctx, rng)
      const { bytes, ops } = unit
      stats.frames++
      link!.frames++
      stats.byWhat[unit.what] = (stats.byWhat[unit.what] ?? 0) + 1
      for (const op of ops) { const k = op.replace(/[@=,][\s\S]*$/, ''); stats.byOp[k] = (stats.byOp[k] ?? 0) + 1 }
      recent.push(`#${index} ${peer.name} ${unit.what} [${ops.join(' ')}] ${bytes.subarray(0, 64).toString('hex')}${bytes.length > 64 ? '…' : ''}`)
      if (recent.length > 16) recent.shift()
      const id = PROBE_REF + ++probeSeq
      const answered = peer.waitFor((v) => Array.isArray(v) && v[0] === DOWN && v[2] instanceof Ref && v[2].id === id, PROBE_MS)
      peer.write(Buffer.concat([bytes, peer.frame([MONITOR, peer.pid(1), nobody, peer.ref(id)])]))
      const r = await answered
      if (r.kind === 'message') { stats.accepted++; continue }
      if (r.kind === 'closed') {
        stats.closedByNode++
        link!.end = 'node'
      } else {
        // The node waits for bytes that will not come (a longer prefix, a cut frame): end the stream.
        stats.stalled++
        link!.end = 'stall'
        peer.end()
        if (await peer.waitClosed(3000) !== 'closed') {
          failure = diagnose(`the node did not close ${peer.name} within 3 s of the end of its stream`)
        }
      }
      peer = undefined
    }
    peer?.destroy()
  }
  await Promise.all(Array.from({ length: FUZZ_WORKERS }, worker))
  const fuzzMs = Date.now() - started
  if (failure !== undefined) throw failure

  assert.ok(n1.running, 'the node is still running')
  // Every fuzz link is gone from the node (its peer table does not keep them).
  await eventually(async () => { assert.equal(await t0.call(N1, 'test.nodes'), [T0]) }, { timeout: 10_000, message: 'the node is back to one link (t0)' })
  const after = await memory()

  // Every link the node had with a fuzz peer ended with a logged nodedown and a reason.
  const downs = new Map<string, string>()
  const reasons: Record<string, number> = {}
  const errors: Record<string, number> = {}
  const fuzzDown = /nodedown peer=(fuzz\d+-2@\S+) reason=(\S+)(?: error="(\w+): ([^"]*))?/
  await eventually(() => {
    for (const l of n1.lines) {
      if (downs.size === links.length) break
      if (l.stream !== 'stderr') continue
      const m = fuzzDown.exec(l.text)
      if (m === null || downs.has(m[1])) continue
      downs.set(m[1], l.text)
      reasons[m[2]] = (reasons[m[2]] ?? 0) + 1
      if (m[3] !== undefined) {
        const key = `${m[3]}: ${m[4].replace(/\d+/g, 'N').replace(/<[^>]*>/g, '<pid>').slice(0, 80)}`
        errors[key] = (errors[key] ?? 0) + 1
      }
    }
    const missing = links.filter((l) => !downs.has(l.name))
    assert.is(missing.length, 0, `links closed without a logged nodedown: ${missing.slice(0, 5).map((l) => `${l.name} (${l.end})`).join(', ')}`)
  }, { timeout: 10_000, interval: 200, message: 'a nodedown line for every fuzz link' })
  for (const [name, line] of downs) {
    if (/reason=protocol_error/.test(line)) assert.match(line, /error="(ProtocolError|FrameDecodeError|FrameTooLargeError): /, `${name}: a protocol error names what was wrong`)
  }
  const problems = n1.lines.filter((l) => /uncaught exception|unhandled rejection|listener threw/.test(l.text)).map((l) => l.text)
  assert.equal(problems, [], 'no error escaped into the event loop')

  const summary = {
    seed: SEED,
    frames: stats.frames,
    ms: fuzzMs,
    links: links.length,
    linksClosedByNode: stats.closedByNode,
    linksStalledThenEnded: stats.stalled,
    framesAccepted: stats.accepted,
    nodedownReasons: reasons,
    byWhat: stats.byWhat,
    byOp: stats.byOp,
    memory: {
      heapUsed: `${mib(before.heapUsed)} -> ${mib(after.heapUsed)}`,
      rss: `${mib(before.rss)} -> ${mib(after.rss)}`,
      arrayBuffers: `${mib(before.arrayBuffers)} -> ${mib(after.arrayBuffers)}`
    }
  }
  console.log(`fuzz summary: ${JSON.stringify(summary)}`)
  console.log(`node-side errors (normalized): ${JSON.stringify(Object.entries(errors).sort((a, b) => b[1] - a[1]).slice(0, 25))}`)

  assert.ok(stats.frames >= FUZZ_FRAMES, `${stats.frames} mutated frames written`)
  assert.ok(stats.closedByNode > 0 && stats.accepted > 0, 'the mutations both broke links and passed (a sanity check of the fuzzer)')
  assert.ok(after.heapUsed - before.heapUsed < 64 * MiB, `heapUsed ${mib(before.heapUsed)} -> ${mib(after.heapUsed)}`)
  assert.ok(after.rss - before.rss < 256 * MiB, `rss ${mib(before.rss)} -> ${mib(after.rss)}`)
  await assertServed('fuzz')
})

test('afterwards: t0 never went down on either side', async () => {
  const events = await t0.call<Array<{ type: string, node: string, reason?: string }>>(N1, 'test.node_events')
  assert.equal(events.filter((e) => e.node === T0).map((e) => e.type), ['nodeup'], 'the node saw t0 come up once and never go down')
  assert.equal(t0Downs, [])
  assert.ok(n1.running, 'the node is still running')
})

test.run()
