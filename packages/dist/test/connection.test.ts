import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Pid, SimulatedClock, silentLogger } from '@tekka/actors'
import {
  Connection, clientHandshake, serverHandshake, createCodec, FrameTooLargeError, type ConnectionOptions
} from '../src/index.js'
import { encodeFrame } from '../src/frame.js'
import { eventually, sleep } from '@tekka/testing/wait'
import { socketPair, opts, once, type SocketPair } from './helpers/wire.js'

const base: ConnectionOptions = { logger: silentLogger(), tickTime: 0 }

async function linked (a: ConnectionOptions = {}, b: ConnectionOptions = {}): Promise<{ pair: SocketPair, left: Connection, right: Connection }> {
  const pair = await socketPair()
  return { pair, left: new Connection(pair.client, { ...base, ...a }), right: new Connection(pair.server, { ...base, ...b }) }
}

function collect (conn: Connection): unknown[] {
  const got: unknown[] = []
  conn.on('message', (m) => { got.push(m) })
  return got
}

test('messages cross in order both ways, with pids intact, and are counted', async () => {
  const { left, right } = await linked()
  const atRight = collect(right)
  const atLeft = collect(left)
  const pid = new Pid('a@127.0.0.1', 3, 4)
  for (let i = 0; i < 100; i++) void left.send({ i, pid })
  void right.send('pong')
  await eventually(() => atRight.length === 100 && atLeft.length === 1)
  assert.equal(atRight.map((m) => (m as { i: number }).i), [...Array(100).keys()])
  assert.ok(((atRight[0] as { pid: Pid }).pid).equals(pid))
  assert.equal(atLeft, ['pong'])
  assert.is(left.stats.messagesOut, 100)
  assert.is(right.stats.messagesIn, 100)
  assert.is(left.stats.bytesOut, right.stats.bytesIn)
  left.close()
  await once(right, 'close')
})

test('many small sends in one turn become one socket write', async () => {
  const { pair, left, right } = await linked()
  const got = collect(right)
  let writes = 0
  const write = pair.client.write.bind(pair.client)
  pair.client.write = ((...args: Parameters<typeof write>) => { writes++; return write(...args) }) as typeof pair.client.write
  for (let i = 0; i < 1000; i++) void left.send(i)
  await eventually(() => got.length === 1000)
  assert.is(writes, 1)
  // And again on a later turn: a second write, not a thousand.
  for (let i = 0; i < 500; i++) void left.send({ n: i })
  await eventually(() => got.length === 1500)
  assert.is(writes, 2)
  left.close()
  right.close()
})

test('send returns a promise over the high-water mark, released after the queue drains', async () => {
  const pair = await socketPair()
  const left = new Connection(pair.client, { ...base, highWater: 256 * 1024 })
  pair.server.pause() // the peer does not read: kernel buffers fill, then our queue
  const chunk = Buffer.alloc(64 * 1024, 1)
  let promise: Promise<void> | undefined
  let sent = 0
  while (promise === undefined) {
    promise = left.send(chunk)
    sent++
  }
  assert.ok(sent >= 4 && sent <= 5, `over the mark after ${sent} sends`)
  assert.ok(left.busy)
  assert.is(left.send(chunk), promise, 'every send while busy gets the same promise')
  // Keep the queue above the mark while the socket is stuck.
  for (let i = 0; i < 400; i++) void left.send(chunk)
  let released = false
  void promise.then(() => { released = true })
  await sleep(200)
  assert.not.ok(released, 'held while the peer does not read')
  // The peer reads now: the queue drains and the promise resolves.
  let received = 0
  pair.server.on('data', (d: Buffer) => { received += d.length })
  pair.server.resume()
  await promise
  assert.ok(left.queuedBytes <= left.lowWater)
  assert.not.ok(left.busy)
  assert.is(left.send('small'), undefined)
  await eventually(() => received > 400 * 64 * 1024, { timeout: 10_000, message: 'all bytes at the peer' })
  left.close()
  pair.close()
})

test('a pending back-pressure promise resolves when the link closes', async () => {
  const pair = await socketPair()
  const left = new Connection(pair.client, { ...base, highWater: 1024 })
  const p = left.send(Buffer.alloc(4096))
  assert.ok(p instanceof Promise)
  left.close()
  await p
  pair.close()
})

test('close emits once with its reason; the peer sees connection_closed; later sends are dropped', async () => {
  const { left, right } = await linked()
  const closes: unknown[][] = []
  left.on('close', (...args) => closes.push(args))
  const peerClosed = once<[string, Error?]>(right, 'close')
  left.close()
  left.close('again')
  assert.equal(closes, [['disconnect', undefined]])
  assert.ok(left.closed)
  assert.is(left.send('late'), undefined)
  assert.is((await peerClosed)[0], 'connection_closed')
})

test('flushAndClose delivers what is queued, then closes', async () => {
  const { left, right } = await linked()
  const got = collect(right)
  const peerClosed = once<[string]>(right, 'close')
  void left.send(Buffer.alloc(4 * 1024 * 1024, 3))
  void left.send('bye', { control: true })
  await left.flushAndClose()
  assert.ok(left.closed)
  assert.is((await peerClosed)[0], 'connection_closed')
  assert.is(got.length, 2)
  assert.is(got[0], 'bye')
  assert.is((got[1] as Buffer).length, 4 * 1024 * 1024)
})

test('close clears every timer', async () => {
  const clock = new SimulatedClock()
  const pair = await socketPair()
  const conn = new Connection(pair.client, { ...base, clock, tickTime: 1000 })
  assert.is(clock.pending, 1)
  conn.close()
  assert.is(clock.pending, 0)
  pair.close()
})

test('bytes the handshake read past its end are delivered first', async () => {
  const pair = await socketPair()
  const codec = createCodec()
  const frame = (v: unknown): Buffer => encodeFrame([Buffer.from([1]), codec.encode(v)])
  // The "rest" holds one whole frame and half of the next; the socket has the other half.
  const second = frame('second')
  const conn = new Connection(pair.server, { ...base, rest: Buffer.concat([frame('first'), second.subarray(0, 3)]) })
  const got = collect(conn)
  pair.client.write(second.subarray(3))
  pair.client.write(frame('third'))
  await eventually(() => got.length === 3)
  assert.equal(got, ['first', 'second', 'third'])
  conn.close()
  pair.close()
})

test('after a real handshake, a message sent at once by the server reaches the client', async () => {
  const pair = await socketPair()
  const [c, s] = await Promise.all([
    clientHandshake(pair.client, opts('a@127.0.0.1')),
    serverHandshake(pair.server, opts('b@127.0.0.1'))
  ])
  const server = new Connection(pair.server, { ...base, peer: s.peer, rest: s.rest })
  void server.send({ welcome: true })
  await sleep(20)
  const client = new Connection(pair.client, { ...base, peer: c.peer, rest: c.rest })
  assert.is(client.peer?.name, 'b@127.0.0.1')
  assert.is(client.peerName, 'b@127.0.0.1')
  const [msg] = await once<[unknown]>(client, 'message')
  assert.equal(msg, { welcome: true })
  client.close()
  server.close()
})

test('a message over maxFrameSize is refused at send', async () => {
  const { left, right } = await linked({ maxFrameSize: 1024 })
  assert.throws(() => left.send(Buffer.alloc(2000)), (e: unknown) => e instanceof FrameTooLargeError && e.code === 'ERR_FRAME_TOO_LARGE')
  assert.not.ok(left.closed)
  left.close()
  right.close()
})

test('a throwing message listener does not take the link down', async () => {
  const { left, right } = await linked()
  const got = collect(right)
  right.on('message', (m) => { if (m === 'bad') throw new Error('listener bug') })
  void left.send('bad')
  void left.send('good')
  await eventually(() => got.length === 2)
  assert.not.ok(right.closed)
  left.close()
  right.close()
})

test.run()
