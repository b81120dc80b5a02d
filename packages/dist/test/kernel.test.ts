// The net kernel between nodes in one process (real sockets on loopback):
// simultaneous dials, cluster names, hidden nodes, node monitoring,
// disconnect reasons, mutual TLS, and back-pressure on a busy link.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { BadArgError, silentLogger, memoryLogger, isDownMessage, EVENT_CHANNEL, type Pid, type TekkaEvent } from '@tekka/actors'
import { startNode, tcpTransport, type DistNode, type NodeOptions, type Transport } from '../src/index.js'
import { createServer, connect as netConnect, type Socket } from 'node:net'
import * as diagnosticsChannel from 'node:diagnostics_channel'
import { freePortRange } from '@tekka/testing/ports'
import { eventually, rejects, withTimeout, sleep } from '@tekka/testing/wait'
import { makeCerts } from '@tekka/testing/certs'

const started: DistNode[] = []
async function node (name: string, base: number, extra: Partial<NodeOptions> = {}): Promise<DistNode> {
  const n = await startNode({ name, cookie: 'kc', basePort: base, logger: silentLogger(), ...extra })
  started.push(n)
  return n
}

test.after.each(async () => {
  await Promise.all(started.splice(0).map(async (n) => await n.stop()))
})

/** The links `n` sees come and go, from its event stream. */
function events (n: DistNode): Array<{ type: string, node: string, reason?: string }> {
  const out: Array<{ type: string, node: string, reason?: string }> = []
  n.events.on('dist.nodeup', (e) => out.push({ type: 'up', node: e.peer }))
  n.events.on('dist.nodedown', (e) => out.push({ type: 'down', node: e.peer, reason: e.reason }))
  return out
}

test('simultaneous dials leave exactly one connection, every time', async () => {
  for (let round = 0; round < 15; round++) {
    const base = await freePortRange(3)
    const a = await node('a1@127.0.0.1', base)
    const b = await node('b2@127.0.0.1', base)
    const ea = events(a)
    const eb = events(b)
    const [ra, rb] = await Promise.all([a.connect(b.name), b.connect(a.name)])
    assert.ok(ra && rb, `round ${round}: both connects succeed`)
    await sleep(100)
    assert.equal(ea, [{ type: 'up', node: b.name }], `round ${round}: one nodeup on a, no churn`)
    assert.equal(eb, [{ type: 'up', node: a.name }], `round ${round}: one nodeup on b, no churn`)
    const echo = b.spawn(async (ctx) => { const m = await ctx.receive<{ from: Pid }>(); ctx.send(m.from, 'pong') })
    assert.is(await a.run(async (ctx) => { ctx.send(echo, { from: ctx.self }); return await ctx.receive() }), 'pong')
    await Promise.all(started.splice(0).map(async (n) => await n.stop()))
  }
})

test('dist.nodeup and dist.nodedown reach the diagnostics channel tekka:event, with the node that saw them', async () => {
  const seen: TekkaEvent[] = []
  const onEvent = (m: unknown): void => {
    const e = m as TekkaEvent
    if (e.type === 'dist.nodeup' || e.type === 'dist.nodedown') seen.push(e)
  }
  diagnosticsChannel.subscribe(EVENT_CHANNEL, onEvent)
  try {
    const base = await freePortRange(3)
    const a = await node('a1@127.0.0.1', base)
    const b = await node('b2@127.0.0.1', base)
    assert.ok(await a.connect(b.name))
    await eventually(() => seen.length >= 2, { timeout: 5000, message: 'nodeup on both' })
    await b.stop()
    await eventually(() => seen.some((e) => e.type === 'dist.nodedown' && e.node === a.name), { timeout: 5000, message: 'nodedown on a' })
    const up = seen.filter((e): e is TekkaEvent<'dist.nodeup'> => e.type === 'dist.nodeup')
    const down = seen.filter((e): e is TekkaEvent<'dist.nodedown'> => e.type === 'dist.nodedown')
    assert.ok(up.some((e) => e.node === a.name && e.peer === b.name && e.creation === b.creation && !e.hidden))
    assert.ok(up.some((e) => e.node === b.name && e.peer === a.name && e.creation === a.creation))
    assert.ok(down.some((e) => e.node === a.name && e.peer === b.name && e.reason === 'disconnect'))
  } finally {
    diagnosticsChannel.unsubscribe(EVENT_CHANNEL, onEvent)
  }
})

test('node sendTimeout reaches its links: default 4 x tickTime, explicit, or 0 for off', async () => {
  const base = await freePortRange(5)
  const a = await node('a1@127.0.0.1', base, { tickTime: 2000 })
  const b = await node('b2@127.0.0.1', base, { tickTime: 2000, sendTimeout: 12_345 })
  const c = await node('c3@127.0.0.1', base, { tickTime: 2000, sendTimeout: 0 })
  assert.ok(await a.connect(b.name))
  assert.ok(await a.connect(c.name))
  await eventually(() => b.nodes().includes(a.name) && c.nodes().includes(a.name), { timeout: 5000, message: 'links up' })
  assert.is(a.kernel.peerConnection(b.name)?.sendTimeout, 8000)
  assert.is(b.kernel.peerConnection(a.name)?.sendTimeout, 12_345)
  assert.is(c.kernel.peerConnection(a.name)?.sendTimeout, Infinity)
})

test('linkStats counts the messages and bytes of one link, both ways, on both nodes and in components.net', async () => {
  const base = await freePortRange(2)
  const a = await node('a1@127.0.0.1', base)
  const b = await node('b2@127.0.0.1', base)
  assert.is(a.linkStats(b.name), undefined)
  const got: unknown[] = []
  b.spawn(async (ctx) => { for (;;) got.push(await ctx.receive()) }, { name: 'sink' })
  assert.ok(await a.connect(b.name))
  const before = a.linkStats(b.name)
  assert.ok(before !== undefined)
  for (let i = 0; i < 10; i++) a.send({ name: 'sink', node: b.name }, i)
  await eventually(() => got.length === 10, { timeout: 5000, message: 'ten messages arrive' })
  const after = a.linkStats(b.name)
  assert.is(after?.messagesOut, before.messagesOut + 10)
  assert.ok((after?.bytesOut ?? 0) > before.bytesOut)
  assert.ok((b.linkStats(a.name)?.messagesIn ?? 0) >= 10)
  assert.equal(a.components.net.linkStats(b.name), a.linkStats(b.name))
  assert.ok(a.disconnect(b.name))
  await eventually(() => a.linkStats(b.name) === undefined, { timeout: 5000, message: 'no stats once the link is down' })
})

test('bad link options fail startNode at once, naming the option, before the node listens', async () => {
  const base = await freePortRange(2)
  const bad: Array<[Partial<NodeOptions>, string]> = [
    [{ tickTime: -1 }, 'tickTime'], [{ sendTimeout: -5 }, 'sendTimeout'], [{ highWater: 0 }, 'highWater'],
    [{ maxFrameSize: 1.5 }, 'maxFrameSize'], [{ handshakeTimeout: 0 }, 'handshakeTimeout']
  ]
  for (const [opts, name] of bad) {
    const e = await rejects(startNode({ name: 'a1@127.0.0.1', cookie: 'kc', basePort: base, logger: silentLogger(), ...opts }), BadArgError, name)
    assert.is(e.argument, name)
  }
  // Nothing was left listening: the port is free for a node with good options.
  const ok = await node('a1@127.0.0.1', base)
  assert.is(ok.port, base + 1)
})

test('a node of another cluster (or with another cookie) is refused and logged; others are served', async () => {
  const base = await freePortRange(4)
  const log = memoryLogger()
  const a = await node('a1@127.0.0.1', base, { logger: log })
  const other = await node('b2@127.0.0.1', base, { cluster: 'elsewhere' })
  const wrong = await node('c3@127.0.0.1', base, { cookie: 'not-kc' })
  assert.is(await other.connect(a.name), false)
  assert.is(await wrong.connect(a.name), false)
  assert.ok(log.records.some((r) => /cluster/i.test(`${r.msg} ${JSON.stringify(r.fields)}`)), 'cluster mismatch logged')
  assert.ok(log.records.some((r) => /cookie/i.test(`${r.msg} ${JSON.stringify(r.fields)}`)), 'cookie failure logged')
  const good = await node('d0@127.0.0.1', base)
  assert.ok(await good.connect(a.name))
  assert.equal(a.nodes(), [good.name])
})

/** tcpTransport, recording every node it is asked to dial (by port). */
function recordingTransport (dialled: number[]): Transport {
  return { listen: tcpTransport.listen, dial: async (o) => { dialled.push(o.port); return await tcpTransport.dial(o) } }
}

test('hidden nodes connect but are not in nodes() nor told to others', async () => {
  const base = await freePortRange(5)
  const a = await node('a1@127.0.0.1', base)
  const c = await node('c4@127.0.0.1', base)
  // Hidden, but listening: were it announced, b could and would connect to it.
  const h = await node('h3@127.0.0.1', base, { hidden: true })
  assert.ok(await h.connect(a.name))
  assert.ok(await c.connect(a.name))
  const dialled: number[] = []
  const b = await node('b2@127.0.0.1', base, { transport: recordingTransport(dialled) })
  assert.ok(await b.connect(a.name))
  // a1 tells b2 whom it knows as the link's first frame, and b2 dials each
  // one as it reads that frame: once a1's answer to a call has come back,
  // every dial the announcement caused has been asked of the transport.
  assert.is(await b.call(a.name, 'tekka.ping'), 'pong')
  assert.equal(dialled, [base + 1, base + 4], 'b2 dialled a1 and the visible c4 it was told of, never the hidden h3')
  await eventually(() => b.nodes().includes(c.name), { timeout: 5000, message: 'b2 meets c4' })
  assert.equal(a.nodes(), [b.name, c.name])
  assert.equal(a.nodes({ hidden: true }), [b.name, c.name, h.name])
  assert.equal(b.nodes({ hidden: true }), [a.name, c.name], 'b2 has no link to the hidden node')
  assert.equal(h.nodes(), [a.name], 'a hidden node lists the visible nodes it is connected to, as in Erlang')
})

test('monitorNode: nodeup / nodedown messages with reasons; disconnect on both sides', async () => {
  const base = await freePortRange(3)
  const a = await node('a1@127.0.0.1', base)
  const b = await node('b2@127.0.0.1', base)
  const got = a.run(async (ctx) => {
    a.monitorNode(ctx.self, b.name)
    const up = await ctx.receive()
    const down = await ctx.receive()
    return [up, down]
  })
  await sleep(50)
  const eb = events(b)
  assert.ok(await a.connect(b.name))
  await sleep(50)
  assert.ok(a.disconnect(b.name))
  const [up, down] = await withTimeout(got, 5000, 'node messages')
  assert.equal(up, { type: 'nodeup', node: b.name })
  assert.equal(down, { type: 'nodedown', node: b.name, reason: 'disconnect' })
  await eventually(() => eb.some((e) => e.type === 'down'), { timeout: 3000 })
  assert.equal(eb.find((e) => e.type === 'down'), { type: 'down', node: a.name, reason: 'disconnect' }, 'the peer sees disconnect too')
})

test('monitorNode of an unreachable node reports nodedown at once', async () => {
  const base = await freePortRange(10)
  const a = await node('a1@127.0.0.1', base)
  const msg = await withTimeout(a.run(async (ctx) => {
    a.monitorNode(ctx.self, 'zz9@127.0.0.1')
    return await ctx.receive()
  }), 10_000, 'nodedown')
  assert.equal((msg as { type: string }).type, 'nodedown')
})

test('links and monitors towards an unreachable node fire noconnection', async () => {
  const base = await freePortRange(10)
  const a = await node('a1@127.0.0.1', base)
  const r = await withTimeout(a.run(async (ctx) => {
    ctx.trapExit(true)
    const ghost = { name: 'x', node: 'zz9@127.0.0.1' }
    const ref = ctx.monitor(ghost)
    const down = await ctx.receive((m) => isDownMessage(m) && m.ref.equals(ref))
    return down
  }), 10_000, 'DOWN')
  assert.is((r as { reason: string }).reason, 'noconnection')
})

test('mutual TLS between nodes: messages flow; a node without the cluster CA is refused', async () => {
  const certs = makeCerts()
  const base = await freePortRange(4)
  const tls = { key: certs.key, cert: certs.cert, ca: certs.ca }
  const a = await node('a1@127.0.0.1', base, { tls })
  const b = await node('b2@127.0.0.1', base, { tls })
  const rogue = await node('r3@127.0.0.1', base, { tls: { key: certs.rogueKey, cert: certs.rogueCert, ca: certs.ca } })
  const plain = await node('p0@127.0.0.1', base)
  const echo = b.spawn(async (ctx) => { const m = await ctx.receive<{ from: Pid }>(); ctx.send(m.from, 'secure pong') })
  assert.is(await withTimeout(a.run(async (ctx) => { ctx.send(echo, { from: ctx.self }); return await ctx.receive() }), 5000, 'tls echo'), 'secure pong')
  assert.is(await rogue.connect(a.name), false, 'certificate from another CA refused')
  assert.is(await plain.connect(a.name), false, 'plain TCP refused by a TLS node')
})

test('a busy link holds its sender back: queued bytes stay bounded', async () => {
  const base = await freePortRange(3)
  const highWater = 1024 * 1024
  const a = await node('a1@127.0.0.1', base, { highWater })
  const b = await node('b2@127.0.0.1', base)
  const chunk = Buffer.alloc(256 * 1024, 7)
  const n = 200
  let received = 0
  const sink = b.spawn(async (ctx) => {
    for (;;) { await ctx.receive(); received++; if (received % 20 === 0) await ctx.sleep(5) }
  })
  assert.ok(await a.connect(b.name))
  let maxQueued = 0
  const sender = a.spawn(async (ctx) => {
    for (let i = 0; i < n; i++) {
      ctx.send(sink, chunk)
      const q = a.kernel.peerConnection(b.name)?.queuedBytes ?? 0
      if (q > maxQueued) maxQueued = q
      await ctx.yield()
    }
  })
  await withTimeout(a.runtime.wait(sender), 60_000, 'sender done')
  await eventually(() => received === n, { timeout: 30_000, message: `received ${received}/${n}` })
  assert.ok(maxQueued <= highWater + chunk.length + 1024, `queued bytes peaked at ${maxQueued}, limit ${highWater}`)
  assert.ok(maxQueued > highWater / 2, `the link did get busy (peak ${maxQueued})`)
})

/**
 * A TCP proxy in front of `port` whose `blackhole()` cuts the link on one
 * side only: the far side sees it close, the near side hears nothing more and
 * is told nothing (a half-open link, as after one-way packet loss).
 */
async function halfOpenProxy (port: number): Promise<{ port: number, blackhole: () => void, close: () => void }> {
  const pairs: Array<[Socket, Socket]> = []
  const server = createServer((near) => {
    const far = netConnect({ host: '127.0.0.1', port })
    near.pipe(far)
    far.pipe(near)
    near.on('error', () => {})
    far.on('error', () => {})
    pairs.push([near, far])
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    blackhole: () => {
      for (const [near, far] of pairs) {
        near.unpipe(far)
        far.unpipe(near)
        near.pause() // read nothing more from the near side, and say nothing to it
        far.destroy()
      }
    },
    close: () => {
      for (const [near, far] of pairs) { near.destroy(); far.destroy() }
      server.close()
    }
  }
}

test('a link the peer lost (half-open on our side) is replaced when the peer dials again, not refused until the tick timeout', async () => {
  const base = await freePortRange(3)
  const proxy = await halfOpenProxy(base + 2)
  try {
    // a1 reaches b2 only through the proxy; tick time a minute, so no tick timeout can be what ends the old link.
    const a = await node('a1@127.0.0.1', base, {
      tickTime: 60_000,
      transport: { listen: tcpTransport.listen, dial: async (o) => await tcpTransport.dial({ ...o, port: proxy.port }) }
    })
    const b = await node('b2@127.0.0.1', base, { tickTime: 60_000 })
    const ea = events(a)
    const eb = events(b)
    assert.ok(await a.connect(b.name))
    await eventually(() => b.nodes().includes(a.name), { timeout: 5000, message: 'b2 sees a1' })
    proxy.blackhole()
    await eventually(() => eb.some((e) => e.type === 'down'), { timeout: 5000, message: 'b2 sees the link close' })
    assert.equal(a.nodes(), [b.name], 'a1 did not notice: its side is half-open')
    // b2 dials a1 directly: a1 still holds a live link, b2 says it has none, so a1 replaces it.
    assert.ok(await b.connect(a.name), 'b2 connects again')
    await eventually(() => ea.length >= 3, { timeout: 5000, message: `a1 replaced the link: ${JSON.stringify(ea)}` })
    assert.equal(ea, [{ type: 'up', node: b.name }, { type: 'down', node: b.name, reason: 'connection_closed' }, { type: 'up', node: b.name }])
    const echo = a.spawn(async (ctx) => { const m = await ctx.receive<{ from: Pid }>(); ctx.send(m.from, 'pong') })
    assert.is(await b.run(async (ctx) => { ctx.send(echo, { from: ctx.self }); return await ctx.receive(undefined, { timeout: 5000 }) }), 'pong')
  } finally {
    proxy.close()
  }
})

test('a dial that meets a live link on both sides is refused and the link stays (the alive race)', async () => {
  const base = await freePortRange(3)
  const a = await node('a1@127.0.0.1', base)
  const b = await node('b2@127.0.0.1', base)
  const ea = events(a)
  assert.ok(await a.connect(b.name))
  await eventually(() => b.nodes().includes(a.name), { timeout: 5000, message: 'b2 sees a1' })
  // A raw second dial from b2's side while both have the link: b2 answers that it has a link, a1 keeps it.
  const { clientHandshake } = await import('../src/handshake.js')
  const socket = await tcpTransport.dial({ host: '127.0.0.1', port: base + 1 })
  try {
    await clientHandshake(socket, { localName: b.name, cookie: 'kc', creation: b.creation, cluster: 'tekka', hasLink: () => true, logger: silentLogger() })
    assert.unreachable('the second dial was accepted')
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_HANDSHAKE_REFUSED')
    assert.is((err as { status?: string }).status, 'alive')
  } finally {
    socket.destroy()
  }
  await sleep(100)
  assert.equal(ea, [{ type: 'up', node: b.name }], 'no churn on a1')
})

test.run()
