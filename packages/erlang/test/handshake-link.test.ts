// A link after the handshake, with a raw socket as the peer (no erl):
// 4-byte framing across split chunks, the onFrame seam, ticks sent when
// idle and expected from the peer, and how a link ends.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { BadArgError, memoryLogger } from '@tekka/actors'
import { eventually } from '@tekka/testing/wait'
import { ErlConnection, DEFAULT_DFLAGS, type ErlHandshakeResult } from '../src/index.js'
import { closedWithin, socketPair, type SocketPair } from './helpers/sockets.js'

const pairs: SocketPair[] = []
test.after.each(() => { for (const p of pairs.splice(0)) p.close() })

function hs (rest: Buffer = Buffer.alloc(0)): ErlHandshakeResult {
  return { peer: { name: 'e1@127.0.0.1', flags: DEFAULT_DFLAGS, creation: 5, version: 6 }, flags: DEFAULT_DFLAGS, name: 'tk@127.0.0.1', creation: 6, replaces: false, rest }
}

function framed (p: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(p.length)
  return Buffer.concat([len, p])
}

async function link (opts: ConstructorParameters<typeof ErlConnection>[2] = {}, rest?: Buffer): Promise<{ pair: SocketPair, conn: ErlConnection }> {
  const pair = await socketPair()
  pairs.push(pair)
  const conn = new ErlConnection(pair.client, hs(rest), { tickTime: 60_000, ...opts })
  return { pair, conn }
}

test('packets split across chunks arrive whole at onFrame and as frame events, ticks are counted and not delivered; bytes read with the handshake come first', async () => {
  const got: string[] = []
  const events: string[] = []
  const p1 = Buffer.from([112, 131, 1, 2, 3])
  const { pair, conn } = await link({ onFrame: (p) => { got.push(p.toString('hex')) } }, framed(Buffer.from([112, 131, 0])))
  conn.on('frame', (p: Buffer) => { events.push(p.toString('hex')) })
  const bytes = Buffer.concat([Buffer.alloc(4), framed(p1), Buffer.alloc(4), framed(Buffer.from([131, 68, 9]))])
  for (let i = 0; i < bytes.length; i++) { pair.server.write(bytes.subarray(i, i + 1)); if (i % 3 === 0) await new Promise((resolve) => setImmediate(resolve)) }
  await eventually(() => got.length === 3, { message: 'three packets' })
  assert.equal(got, ['708300', '7083010203', '834409'])
  assert.equal(events, got)
  assert.is(conn.stats.ticksIn, 2)
  assert.is(conn.stats.packetsIn, 3)
})

test('send frames a packet with its 4-byte length; an empty packet is refused (it would be a tick); after close send is false', async () => {
  const { pair, conn } = await link()
  const seen: Buffer[] = []
  pair.server.on('data', (d: Buffer) => { seen.push(d) })
  assert.ok(conn.send(Buffer.from([112, 131, 106])))
  await eventually(() => Buffer.concat(seen).length >= 7)
  assert.equal([...Buffer.concat(seen)], [0, 0, 0, 3, 112, 131, 106])
  assert.throws(() => conn.send(Buffer.alloc(0)), (e: Error) => e instanceof BadArgError && /tick/.test(e.message))
  await conn.close()
  assert.is(conn.send(Buffer.from([1])), false)
  assert.is(conn.reason, 'normal')
  assert.ok(await closedWithin(pair.server, 2000))
})

test('an idle link ticks every tickTime / 4 (empty packets), and a peer that ticks keeps it up', async () => {
  const { pair, conn } = await link({ tickTime: 400 })
  let ticks = 0
  pair.server.on('data', (d: Buffer) => { for (let i = 0; i + 4 <= d.length; i += 4) if (d.readUInt32BE(i) === 0) ticks++ })
  const peerTicks = setInterval(() => { pair.server.write(Buffer.alloc(4)) }, 100)
  try {
    await eventually(() => ticks >= 8, { timeout: 3000, message: '8 ticks from us' })
    assert.ok(conn.open, 'the ticking peer keeps it up well past tickTime')
    assert.ok(conn.stats.ticksOut >= 8)
  } finally {
    clearInterval(peerTicks)
  }
})

test('a busy link sends no ticks: a quarter with a packet written needs none', async () => {
  const { pair, conn } = await link({ tickTime: 400 })
  let ticks = 0
  pair.server.on('data', (d: Buffer) => { if (d.length === 4 && d.readUInt32BE(0) === 0) ticks++ })
  const busy = setInterval(() => { pair.server.write(Buffer.alloc(4)); conn.send(Buffer.from([112])) }, 30)
  try {
    await eventually(() => conn.stats.packetsOut >= 30, { timeout: 3000 })
    assert.is(conn.stats.ticksOut, 0)
    assert.is(ticks, 0)
  } finally {
    clearInterval(busy)
  }
})

test('a silent peer is down with net_tick_timeout after tickTime (not before), logged at warn', async () => {
  const logger = memoryLogger('tekka:erlang:connection')
  const t0 = Date.now()
  const { pair, conn } = await link({ tickTime: 400, logger })
  const reason = await conn.closed
  const took = Date.now() - t0
  assert.is(reason, 'net_tick_timeout')
  assert.ok(took >= 390 && took < 1500, `took ${took} ms`)
  assert.ok(logger.records.some((r) => r.level === 'warn' && r.fields?.reason === 'net_tick_timeout'))
  assert.ok(await closedWithin(pair.server, 2000))
})

test('the peer closing is connection_closed; a packet over maxPacket closes with frame_too_large; a throwing onFrame does not', async () => {
  const a = await link({ onFrame: () => { throw new Error('handler bug') } })
  a.pair.server.write(framed(Buffer.from([112])))
  await eventually(() => a.conn.stats.packetsIn === 1)
  assert.ok(a.conn.open, 'a handler that throws does not end the link')
  a.pair.server.end()
  assert.is(await a.conn.closed, 'connection_closed')
  const b = await link({ maxPacket: 10 })
  const closes: string[] = []
  b.conn.on('close', (r: string) => { closes.push(r) })
  b.pair.server.write(Buffer.from([0, 0, 0, 11]))
  assert.is(await b.conn.closed, 'frame_too_large')
  assert.equal(closes, ['frame_too_large'], 'close fires once')
  await b.conn.close('again')
  assert.is(b.conn.reason, 'frame_too_large')
})

test('bad options are refused', async () => {
  const pair = await socketPair()
  pairs.push(pair)
  assert.throws(() => new ErlConnection(pair.client, hs(), { tickTime: 0 }), /tickTime must be a positive/)
  assert.throws(() => new ErlConnection(pair.client, hs(), { maxPacket: -1 }), /maxPacket must be a positive/)
})

test.run()
