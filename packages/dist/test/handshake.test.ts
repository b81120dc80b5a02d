import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { SimulatedClock, memoryLogger } from '@tekka/actors'
import {
  clientHandshake, serverHandshake, HandshakeError, createCodec, type PeerInfo, type HandshakeOptions
} from '../src/index.js'
import { encodeFrame } from '../src/frame.js'
import { sleep } from '@tekka/testing/wait'
import { codeOf, handshakePair, opts, settled, socketPair } from './helpers/wire.js'

const A = 'a@127.0.0.1'
const B = 'b@127.0.0.1'

test('both sides learn each other and agree on the version', async () => {
  const { pair, client, server } = await handshakePair(
    opts(A, { creation: 11, flags: 5, hidden: true, expectedName: B }),
    opts(B, { creation: 22, flags: 3 }))
  assert.ok(client.ok, String(client.error))
  assert.ok(server.ok, String(server.error))
  assert.equal(client.value!.peer, { name: B, creation: 22, flags: 3, cluster: 'tekka', hidden: false, version: 1 })
  assert.equal(server.value!.peer, { name: A, creation: 11, flags: 5, cluster: 'tekka', hidden: true, version: 1 })
  assert.is(client.value!.rest.length, 0)
  assert.ok(pair.client.isPaused() && pair.server.isPaused())
  pair.close()
})

test('the highest common version is chosen', async () => {
  const { pair, client, server } = await handshakePair(opts(A, { version: 3, minVersion: 1 }), opts(B, { version: 2, minVersion: 2 }))
  assert.is(client.value!.peer.version, 2)
  assert.is(server.value!.peer.version, 2)
  pair.close()
})

test('a wrong cookie is refused on both sides with ERR_HANDSHAKE_COOKIE', async () => {
  let asked = false
  const { pair, client, server } = await handshakePair(
    opts(A, { cookie: 'wrong' }),
    opts(B, { onPeer: () => { asked = true; return 'ok' } }))
  assert.is(codeOf(client), 'ERR_HANDSHAKE_COOKIE')
  assert.is(codeOf(server), 'ERR_HANDSHAKE_COOKIE')
  assert.instance(client.error, HandshakeError)
  assert.match((server.error as Error).message, /a@127\.0\.0\.1 failed to prove the cookie/)
  assert.match((client.error as Error).message, /b@127\.0\.0\.1 refused the handshake: cookie/)
  assert.not.ok(asked, 'onPeer runs only after the cookie proof')
  pair.close()
})

test('a peer with another name than the one dialled is refused', async () => {
  const { pair, client, server } = await handshakePair(opts(A, { expectedName: 'c@127.0.0.1' }), opts(B))
  assert.is(codeOf(client), 'ERR_HANDSHAKE_NAME')
  assert.match((client.error as Error).message, /dialled c@127\.0\.0\.1 but the peer is b@127\.0\.0\.1/)
  assert.is(codeOf(server), 'ERR_HANDSHAKE_NAME')
  pair.close()
})

test('a client claiming the server\'s own name is refused', async () => {
  const { pair, client, server } = await handshakePair(opts(B), opts(B))
  assert.is(codeOf(client), 'ERR_HANDSHAKE_NAME')
  assert.is(codeOf(server), 'ERR_HANDSHAKE_NAME')
  pair.close()
})

test('another cluster is refused on both sides', async () => {
  const { pair, client, server } = await handshakePair(opts(A, { cluster: 'blue' }), opts(B, { cluster: 'green' }))
  assert.is(codeOf(client), 'ERR_HANDSHAKE_CLUSTER')
  assert.is(codeOf(server), 'ERR_HANDSHAKE_CLUSTER')
  assert.match((server.error as Error).message, /"blue".*"green"/)
  pair.close()
})

test('incompatible versions are refused on both sides', async () => {
  const { pair, client, server } = await handshakePair(opts(A, { version: 3, minVersion: 2 }), opts(B, { version: 1, minVersion: 1 }))
  assert.is(codeOf(client), 'ERR_HANDSHAKE_VERSION')
  assert.is(codeOf(server), 'ERR_HANDSHAKE_VERSION')
  assert.match((client.error as Error).message, /versions 1\.\.1/)
  pair.close()
})

test('onPeer sees the authenticated peer; nok refuses, and alive refuses when the client has a link too', async () => {
  for (const verdict of ['nok', 'alive'] as const) {
    let seen: PeerInfo | undefined
    const { pair, client, server } = await handshakePair(opts(A, { creation: 9, hasLink: () => true }), opts(B, {
      onPeer: async (peer) => { seen = peer; await sleep(5); return verdict }
    }))
    assert.equal(seen, { name: A, creation: 9, flags: 0, cluster: 'tekka', hidden: false, version: 1 })
    assert.is(codeOf(client), 'ERR_HANDSHAKE_REFUSED')
    assert.is((client.error as HandshakeError).status, verdict)
    assert.is(codeOf(server), 'ERR_HANDSHAKE_REFUSED')
    assert.is((server.error as HandshakeError).status, verdict)
    pair.close()
  }
})

test('alive, and the client has no link: the server\'s link is stale, this one replaces it (Erlang\'s alive/true)', async () => {
  let asked: PeerInfo | undefined
  const { pair, client, server } = await handshakePair(
    opts(A, { creation: 9, hasLink: (peer) => { asked = peer; return false } }),
    opts(B, { onPeer: () => 'alive' }))
  assert.is(asked?.name, B, 'the client was asked about the server')
  assert.ok(client.value !== undefined && server.value !== undefined, `both succeed: ${String(client.error)} ${String(server.error)}`)
  assert.is(server.value.replaces, true)
  assert.is(client.value.replaces, false)
  // Without a hasLink answer the client has no link to keep.
  const again = await handshakePair(opts(A), opts(B, { onPeer: () => 'alive' }))
  assert.is(again.server.value?.replaces, true)
  again.pair.close()
  pair.close()
})

test('a client that sends alive_reply unasked, or answers alive with something else, fails the handshake', async () => {
  const pair = await socketPair()
  const server = settled(serverHandshake(pair.server, opts(B, { onPeer: () => 'alive', timeout: 1000 })))
  const client = settled(clientHandshake(pair.client, opts(A, {
    // Stands for a confused client: answers the alive question with a second ack.
    hasLink: () => { pair.client.write(encodeFrame(createCodec().encode({ t: 'ack', digest: Buffer.alloc(32) }))); return true }
  })))
  const r = await server
  assert.is(codeOf(r), 'ERR_HANDSHAKE_PROTOCOL')
  await client
  pair.close()
})

test('garbage bytes end the handshake at once with ERR_HANDSHAKE_PROTOCOL', async () => {
  for (const garbage of [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0xc1, 0xc1, 0xc1, 0xc1]), encodeFrame(Buffer.alloc(0))]) {
    const pair = await socketPair()
    const started = Date.now()
    const server = settled(serverHandshake(pair.server, opts(B, { timeout: 4000 })))
    pair.client.write(garbage)
    const r = await server
    assert.is(codeOf(r), 'ERR_HANDSHAKE_PROTOCOL', garbage.toString('hex'))
    assert.ok(Date.now() - started < 1000)
    assert.ok(pair.server.destroyed)
    pair.close()
  }
  // And towards a client: a well-framed message of the wrong type.
  const pair = await socketPair()
  const client = settled(clientHandshake(pair.client, opts(A)))
  pair.server.write(encodeFrame(createCodec().encode({ t: 'ok', digest: Buffer.alloc(32) })))
  assert.is(codeOf(await client), 'ERR_HANDSHAKE_PROTOCOL')
  pair.close()
})

test('a malformed hello is refused', async () => {
  const pair = await socketPair()
  const server = settled(serverHandshake(pair.server, opts(B)))
  pair.client.write(encodeFrame(createCodec().encode({
    t: 'hello', name: A, version: 1, minVersion: 1, flags: 0, creation: 1, cluster: 'tekka', hidden: false, challenge: Buffer.alloc(5)
  })))
  const r = await server
  assert.is(codeOf(r), 'ERR_HANDSHAKE_PROTOCOL')
  assert.match((r.error as Error).message, /challenge/)
  pair.close()
})

test('a silent peer hits the deadline (real clock)', async () => {
  const pair = await socketPair()
  const started = Date.now()
  const r = await settled(serverHandshake(pair.server, opts(B, { timeout: 150 })))
  assert.is(codeOf(r), 'ERR_HANDSHAKE_TIMEOUT')
  assert.match((r.error as Error).message, /no hello message .* within 150 ms/)
  assert.ok(Date.now() - started >= 140)
  assert.ok(pair.server.destroyed)
  pair.close()
})

test('a silent peer hits the deadline (simulated clock), and no timer is left', async () => {
  const clock = new SimulatedClock()
  const pair = await socketPair()
  let done: unknown
  const p = clientHandshake(pair.client, opts(A, { clock })).catch((err: unknown) => { done = err })
  await clock.advance(1999)
  assert.is(done, undefined)
  await clock.advance(1)
  await p
  assert.is((done as HandshakeError).code, 'ERR_HANDSHAKE_TIMEOUT')
  assert.is(clock.pending, 0)
  pair.close()
})

test('a peer that hangs up mid-handshake gives ERR_HANDSHAKE_CLOSED', async () => {
  const pair = await socketPair()
  const client = settled(clientHandshake(pair.client, opts(A)))
  await sleep(10)
  pair.server.end()
  assert.is(codeOf(await client), 'ERR_HANDSHAKE_CLOSED')
  pair.close()
})

test('the cookie never crosses the wire', async () => {
  const cookie = 'Sup3r-Secret-Cookie-Value'
  const pair = await socketPair()
  const seen: Buffer[] = []
  pair.client.on('data', (d: Buffer) => seen.push(d))
  pair.server.on('data', (d: Buffer) => seen.push(d))
  const [c, s] = await Promise.all([
    settled(clientHandshake(pair.client, opts(A, { cookie }))),
    settled(serverHandshake(pair.server, opts(B, { cookie })))
  ])
  assert.ok(c.ok && s.ok)
  const traffic = Buffer.concat(seen)
  assert.ok(traffic.length > 100)
  for (const form of [Buffer.from(cookie), Buffer.from(cookie, 'utf16le'), Buffer.from(Buffer.from(cookie).toString('base64')), Buffer.from(Buffer.from(cookie).toString('hex'))]) {
    assert.is(traffic.indexOf(form), -1)
  }
  pair.close()
})

test('replaying a recorded client handshake fails: the proof is bound to fresh challenges', async () => {
  // Record what an honest client sends.
  const first = await socketPair()
  const recorded: Buffer[] = []
  first.server.on('data', (d: Buffer) => recorded.push(d))
  const [c1, s1] = await Promise.all([settled(clientHandshake(first.client, opts(A))), settled(serverHandshake(first.server, opts(B)))])
  assert.ok(c1.ok && s1.ok)
  first.close()
  // Replay it, byte for byte, to a server.
  const second = await socketPair()
  const server = settled(serverHandshake(second.server, opts(B)))
  second.client.write(Buffer.concat(recorded))
  const r = await server
  assert.is(codeOf(r), 'ERR_HANDSHAKE_COOKIE')
  second.close()
})

test('bytes sent right after the handshake come back as rest or stay in the paused socket', async () => {
  const pair = await socketPair()
  const server = serverHandshake(pair.server, opts(B)).then((r) => { pair.server.write('after'); return r })
  const client = await clientHandshake(pair.client, opts(A))
  await server
  await sleep(20)
  const chunks = [client.rest]
  pair.client.on('data', (d: Buffer) => chunks.push(d))
  pair.client.resume()
  await sleep(20)
  assert.is(Buffer.concat(chunks).toString(), 'after')
  pair.close()
})

test('bad options are refused before anything is sent', async () => {
  for (const bad of [{ cookie: '' }, { localName: 'nohost' }, { creation: -1 }] as Array<Partial<HandshakeOptions>>) {
    const pair = await socketPair()
    const r = await settled(clientHandshake(pair.client, opts(A, bad)))
    assert.is(codeOf(r), 'ERR_BAD_ARG')
    assert.ok(pair.client.destroyed)
    pair.close()
  }
})

test('refusals are logged on the handshake logger: warn for the client, debug for the server (the net kernel logs an incoming refusal once); one message, the why in the fields', async () => {
  const client = memoryLogger('tekka:dist:handshake')
  const server = memoryLogger('tekka:dist:handshake')
  const { pair } = await handshakePair(opts(A, { cookie: 'x', logger: client }), opts(B, { logger: server }))
  const c = client.records.find((r) => r.msg === 'handshake failed')
  assert.is(c?.level, 'warn')
  assert.is(c?.fields?.code, 'ERR_HANDSHAKE_COOKIE')
  const s = server.records.find((r) => r.msg === 'handshake failed')
  assert.is(s?.level, 'debug')
  assert.is(s?.fields?.code, 'ERR_HANDSHAKE_COOKIE')
  assert.match(String(s?.fields?.error), /failed to prove the cookie/)
  pair.close()
})

test.run()
