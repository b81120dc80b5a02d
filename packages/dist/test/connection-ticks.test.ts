import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { SimulatedClock, memoryLogger, silentLogger, type Clock } from '@tekka/actors'
import { Connection } from '../src/index.js'
import { sleep } from '@tekka/testing/wait'
import { socketPair, once } from './helpers/wire.js'

test('a silent peer is declared down with net_tick_timeout after tickTime', async () => {
  const pair = await socketPair()
  const logger = memoryLogger('tekka:dist:connection')
  const conn = new Connection(pair.client, { logger, tickTime: 400 })
  const started = Date.now()
  const [reason] = await once<[string]>(conn, 'close', 3000)
  const took = Date.now() - started
  assert.is(reason, 'net_tick_timeout')
  assert.ok(took >= 390 && took < 1000, `took ${took} ms`)
  assert.ok(logger.records.some((r) => r.level === 'warn' && r.fields?.reason === 'net_tick_timeout'))
  pair.close()
})

test('a peer that keeps talking but never reads: the stuck write closes the link with send_timeout, and what was queued is dropped', async () => {
  const pair = await socketPair()
  const logger = memoryLogger('tekka:dist:connection')
  const conn = new Connection(pair.client, { logger, tickTime: 400, sendTimeout: 400 })
  // The peer never reads (its receive window fills up) but sends a tick every 50 ms, so it is never silent.
  pair.server.pause()
  const ticking = setInterval(() => { pair.server.write(Buffer.alloc(4)) }, 50)
  try {
    let reason: string | undefined
    conn.on('close', (r: string) => { reason = r })
    const big = 'x'.repeat(64 * 1024)
    // Fill the socket and the peer's window: sends past the high-water mark wait, so keep a few in the queue.
    for (let i = 0; i < 400 && reason === undefined; i++) { void conn.send([i, big]); if (i % 20 === 19) await sleep(5) }
    const [r] = await once<[string]>(conn, 'close', 5000).catch(() => [reason])
    assert.is(r ?? reason, 'send_timeout')
    assert.ok(conn.stats.ticksIn > 0, 'the peer was heard all along')
    const rec = logger.records.find((x) => x.level === 'warn' && x.fields?.reason === 'send_timeout')
    assert.ok(rec !== undefined, 'logged at warn')
    assert.ok((rec.fields?.queued as number) > 0, 'with the bytes still queued')
  } finally {
    clearInterval(ticking)
    pair.close()
  }
})

test('a slow reader that keeps reading is not a stall', async () => {
  const pair = await socketPair()
  const conn = new Connection(pair.client, { logger: silentLogger(), tickTime: 400, sendTimeout: 10_000 })
  let closed: string | undefined
  conn.on('close', (r: string) => { closed = r })
  // Reads what has arrived every 10 ms and ticks: a few MB/s (less on a loaded machine), so a socket
  // write stays stuck behind the kernel's full send buffer for longer than tickTime (a second or so),
  // but completes within the send timeout.
  pair.server.pause()
  const reader = setInterval(() => { while (pair.server.read() !== null) { /* drop it */ } pair.server.write(Buffer.alloc(4)) }, 10)
  try {
    const big = 'x'.repeat(64 * 1024)
    for (let i = 0; i < 100; i++) await conn.send([i, big])
    await sleep(800)
    assert.is(closed, undefined, 'still up')
    assert.ok(conn.stats.messagesOut >= 100)
  } finally {
    clearInterval(reader)
    conn.close()
    pair.close()
  }
})

test('an idle link stays up: both ends tick every tickTime / 4', async () => {
  const pair = await socketPair()
  const left = new Connection(pair.client, { logger: silentLogger(), tickTime: 200 })
  const right = new Connection(pair.server, { logger: silentLogger(), tickTime: 200 })
  let closed = false
  left.on('close', () => { closed = true })
  right.on('close', () => { closed = true })
  await sleep(800)
  assert.not.ok(closed)
  assert.ok(left.stats.ticksOut >= 10, `ticks sent: ${left.stats.ticksOut}`)
  assert.ok(right.stats.ticksIn >= 10, `ticks received: ${right.stats.ticksIn}`)
  assert.is(left.stats.messagesIn + right.stats.messagesIn, 0)
  left.close()
  right.close()
})

test('ticks follow Erlang\'s counting on the injected clock', async () => {
  const clock = new SimulatedClock()
  const pair = await socketPair()
  const conn = new Connection(pair.client, { logger: silentLogger(), tickTime: 1000, clock })
  let reason: string | undefined
  conn.on('close', (r) => { reason = r })
  const peerBytes: number[] = []
  pair.server.on('data', (d: Buffer) => peerBytes.push(d.length))
  // Nothing written: every quarter sends a tick (a 4-byte frame).
  await clock.advance(250)
  await sleep(20)
  assert.equal(peerBytes, [4])
  // Traffic from the peer resets the count.
  await clock.advance(500)
  pair.server.write(Buffer.alloc(4))
  await sleep(20)
  await clock.advance(250)
  await clock.advance(750)
  assert.is(reason, undefined, 'three silent checks since the last traffic')
  await clock.advance(250)
  assert.is(reason, 'net_tick_timeout')
  assert.is(clock.pending, 0)
  pair.close()
})

test('tick checks keep to their grid when timers fire late: detection does not drift', async () => {
  const sim = new SimulatedClock()
  // Every timer fires 10 ms late, as a busy event loop makes them.
  const late: Clock = { now: () => sim.now(), setTimeout: (fn, ms) => sim.setTimeout(fn, ms + 10), clearTimeout: (t) => { sim.clearTimeout(t) } }
  const pair = await socketPair()
  const conn = new Connection(pair.client, { logger: silentLogger(), tickTime: 1000, clock: late })
  let reason: string | undefined
  conn.on('close', (r) => { reason = r })
  // Checks due at 250, 500, 750, 1000 run at 260, 510, 760, 1010: the fourth silent one closes the link.
  // Re-arming from when each ran would have put them at 260, 520, 780, 1040.
  await sim.advance(1015)
  assert.is(reason, 'net_tick_timeout')
  pair.close()
})

test('data written in an interval replaces the tick', async () => {
  const clock = new SimulatedClock()
  const pair = await socketPair()
  const conn = new Connection(pair.client, { logger: silentLogger(), tickTime: 1000, clock })
  void conn.send('x')
  await sleep(20)
  await clock.advance(250)
  assert.is(conn.stats.ticksOut, 0)
  await clock.advance(250)
  assert.is(conn.stats.ticksOut, 1)
  conn.close()
  pair.close()
})

test.run()
