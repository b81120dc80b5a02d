// The Erlang distribution handshake between two tekka sides on real
// loopback sockets: both roles, the cookie refused both ways, flags, the v5
// name with its complement, malformed messages and silence (no erl needed;
// handshake-erl*.test.ts run the same against real erl).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { HandshakeError } from '@tekka/dist'
import { rejects } from '@tekka/testing/wait'
import {
  acceptHandshake, initiateHandshake, challengeDigest, randomCreation, flagNames,
  DFLAG, DEFAULT_DFLAGS, MANDATORY_DFLAGS_25, type AcceptOptions, type InitiateOptions
} from '../src/index.js'
import { closedWithin, hsMessage, sendNameV6, socketPair, type SocketPair } from './helpers/sockets.js'

const A = 'tka@127.0.0.1'
const B = 'tkb@127.0.0.1'

function both (a: Partial<InitiateOptions> = {}, b: Partial<AcceptOptions> = {}): { a: InitiateOptions, b: AcceptOptions } {
  return {
    a: { name: A, cookie: 'sesame', creation: 1111, peerName: B, timeout: 2000, ...a },
    b: { name: B, cookie: 'sesame', creation: 2222, timeout: 2000, ...b }
  }
}

const pairs: SocketPair[] = []
test.after.each(() => { for (const p of pairs.splice(0)) p.close() })

async function run (o: { a: InitiateOptions, b: AcceptOptions }): Promise<{ a: PromiseSettledResult<Awaited<ReturnType<typeof initiateHandshake>>>, b: PromiseSettledResult<Awaited<ReturnType<typeof acceptHandshake>>>, closed: () => Promise<[boolean, boolean]> }> {
  const pair = await socketPair()
  pairs.push(pair)
  const [a, b] = await Promise.allSettled([initiateHandshake(pair.client, o.a), acceptHandshake(pair.server, o.b)])
  return { a, b, closed: async () => await Promise.all([closedWithin(pair.client, 2000), closedWithin(pair.server, 2000)]) }
}

test('the digest is MD5 of the cookie and the challenge as an unsigned decimal (dist_util:gen_digest)', () => {
  assert.equal(challengeDigest('abc', 123), createHash('md5').update('abc123').digest())
  // A challenge with the top bit set is unsigned, never negative.
  assert.equal(challengeDigest('abc', 0xfffffffe), createHash('md5').update('abc4294967294').digest())
  for (let i = 0; i < 50; i++) {
    const c = randomCreation()
    assert.ok(Number.isInteger(c) && c >= 4 && c <= 0xffffffff, String(c))
  }
})

test('both roles: each learns the other\'s name, creation and flags; the link uses the flags both have', async () => {
  const r = await run(both({}, { flags: DEFAULT_DFLAGS & ~DFLAG.UNLINK_ID }))
  assert.is(r.a.status, 'fulfilled'); assert.is(r.b.status, 'fulfilled')
  if (r.a.status !== 'fulfilled' || r.b.status !== 'fulfilled') return
  assert.equal({ name: r.a.value.peer.name, creation: r.a.value.peer.creation, version: r.a.value.peer.version }, { name: B, creation: 2222, version: 6 })
  assert.equal({ name: r.b.value.peer.name, creation: r.b.value.peer.creation, version: r.b.value.peer.version }, { name: A, creation: 1111, version: 6 })
  assert.is(r.a.value.flags, r.b.value.flags)
  assert.is(r.a.value.flags & DFLAG.UNLINK_ID, 0n, 'B did not offer UNLINK_ID')
  assert.is(r.a.value.flags & MANDATORY_DFLAGS_25, MANDATORY_DFLAGS_25)
  assert.ok((r.b.value.peer.flags & DFLAG.V4_NC) !== 0n, 'V4_NC is advertised (a high bit: the 64-bit flags crossed whole)')
  assert.ok((r.b.value.peer.flags & DFLAG.PUBLISHED) !== 0n)
})

test('a hidden node does not advertise PUBLISHED', async () => {
  const r = await run(both({ hidden: true }))
  assert.is(r.b.status, 'fulfilled')
  if (r.b.status === 'fulfilled') assert.is(r.b.value.peer.flags & DFLAG.PUBLISHED, 0n)
})

test('a wrong cookie is refused on both sides, each error naming the peer; both sockets close', async () => {
  const r = await run(both({ cookie: 'wrong' }))
  assert.is(r.a.status, 'rejected'); assert.is(r.b.status, 'rejected')
  if (r.a.status !== 'rejected' || r.b.status !== 'rejected') return
  assert.instance(r.a.reason, HandshakeError); assert.instance(r.b.reason, HandshakeError)
  assert.is(r.a.reason.code, 'ERR_HANDSHAKE_COOKIE')
  assert.is(r.b.reason.code, 'ERR_HANDSHAKE_COOKIE')
  assert.match(r.a.reason.message, B)
  assert.match(r.b.reason.message, A)
  assert.equal(await r.closed(), [true, true])
})

test('an acceptor that acks with a wrong digest is refused by the initiator (it checks the ack)', async () => {
  const pair = await socketPair()
  const hs = initiateHandshake(pair.client, both().a)
  // A hand-written acceptor that takes any reply and acks with garbage.
  pair.server.once('data', () => {
    pair.server.write(hsMessage(Buffer.from('sok')))
    const n = Buffer.from(B)
    const ch = Buffer.alloc(19 + n.length)
    ch[0] = 0x4e; ch.writeBigUInt64BE(DEFAULT_DFLAGS, 1); ch.writeUInt32BE(42, 9); ch.writeUInt32BE(9, 13); ch.writeUInt16BE(n.length, 17); n.copy(ch, 19)
    pair.server.write(hsMessage(ch))
    pair.server.once('data', () => { pair.server.write(hsMessage(Buffer.concat([Buffer.from('a'), Buffer.alloc(16, 7)]))) })
  })
  await rejects(hs, HandshakeError, B, 'cookie differs')
  assert.ok(await closedWithin(pair.client, 2000))
  pair.close()
})

test('a v5 send_name (\'n\') with HANDSHAKE_23: the acceptor answers v6 and takes the complement\'s high flags and creation', async () => {
  const r = await run(both({ peerVersion: 5 }))
  assert.is(r.a.status, 'fulfilled'); assert.is(r.b.status, 'fulfilled')
  if (r.b.status !== 'fulfilled') return
  assert.is(r.b.value.peer.version, 5)
  assert.is(r.b.value.peer.creation, 1111, 'the creation came in the complement')
  assert.ok((r.b.value.peer.flags & DFLAG.V4_NC) !== 0n, 'the high flags came in the complement')
})

test('a peer without what OTP 25 mandates is refused, naming the missing flags, on either side', async () => {
  const lacking = DEFAULT_DFLAGS & ~DFLAG.MAP_TAG & ~DFLAG.BIG_CREATION
  const r1 = await run(both({ flags: lacking }))
  assert.is(r1.b.status, 'rejected')
  if (r1.b.status === 'rejected') {
    assert.is((r1.b.reason as HandshakeError).code, 'ERR_HANDSHAKE_VERSION')
    assert.match((r1.b.reason as Error).message, /MAP_TAG, BIG_CREATION/)
    assert.match((r1.b.reason as Error).message, A)
  }
  assert.is(r1.a.status, 'rejected')
  const r2 = await run(both({}, { flags: lacking }))
  assert.is(r2.a.status, 'rejected')
  if (r2.a.status === 'rejected') assert.is((r2.a.reason as HandshakeError).code, 'ERR_HANDSHAKE_VERSION')
  assert.equal(flagNames(DFLAG.MAP_TAG | DFLAG.V4_NC), ['MAP_TAG', 'V4_NC'])
})

test('the acceptor\'s refusal status reaches the initiator as ERR_HANDSHAKE_REFUSED with the status', async () => {
  const r = await run(both({}, { admit: () => 'not_allowed' }))
  assert.is(r.a.status, 'rejected')
  if (r.a.status === 'rejected') {
    assert.is((r.a.reason as HandshakeError).code, 'ERR_HANDSHAKE_REFUSED')
    assert.is((r.a.reason as HandshakeError).status, 'not_allowed')
    assert.match((r.a.reason as Error).message, B)
  }
})

test('status alive: the initiator says true and both go on, marked as replacing the old link', async () => {
  const r = await run(both({}, { admit: () => 'alive' }))
  assert.is(r.a.status, 'fulfilled'); assert.is(r.b.status, 'fulfilled')
  if (r.a.status === 'fulfilled' && r.b.status === 'fulfilled') { assert.ok(r.a.value.replaces); assert.ok(r.b.value.replaces) }
})

test('the initiator refuses a node that answers under another name', async () => {
  const r = await run(both({ peerName: 'other@127.0.0.1' }))
  assert.is(r.a.status, 'rejected')
  if (r.a.status === 'rejected') assert.match((r.a.reason as Error).message, /we dialled other@127\.0\.0\.1 but the node there is tkb@127\.0\.0\.1/)
})

const MALFORMED: ReadonlyArray<[string, Buffer, RegExp]> = [
  ['an unknown first tag', hsMessage(Buffer.from('Xhello')), /expected send_name \('N' or 'n'\), got tag 88/],
  ['a send_name shorter than its fixed part', hsMessage(Buffer.from([0x4e, 1, 2, 3])), /shorter than its 15-byte minimum/],
  ['a name length past the message', hsMessage(Buffer.concat([sendNameV6('x@h', DEFAULT_DFLAGS).subarray(0, 13), Buffer.from([0, 200]), Buffer.from('x@h')])), /its name length says 215/],
  ['a name with no @host', hsMessage(sendNameV6('nohost', DEFAULT_DFLAGS)), /node name "nohost": expected name@host/],
  ['an empty message', hsMessage(Buffer.alloc(0)), /got tag undefined|shorter/]
]

for (const [what, bytes, why] of MALFORMED) {
  test(`acceptor: ${what} -> ERR_HANDSHAKE_PROTOCOL naming it, and the socket closed`, async () => {
    const pair = await socketPair()
    const hs = acceptHandshake(pair.server, both().b)
    pair.client.on('error', () => {})
    pair.client.write(bytes)
    const err = await rejects(hs, HandshakeError, why)
    assert.is(err.code, 'ERR_HANDSHAKE_PROTOCOL')
    assert.ok(await closedWithin(pair.client, 2000), 'the peer sees the close')
    pair.close()
  })
}

test('initiator: a garbage status -> ERR_HANDSHAKE_PROTOCOL, socket closed', async () => {
  const pair = await socketPair()
  const hs = initiateHandshake(pair.client, both().a)
  pair.server.once('data', () => { pair.server.write(hsMessage(Buffer.from('sweird'))) })
  await rejects(hs, HandshakeError, /unknown status "weird"/)
  assert.ok(await closedWithin(pair.server, 2000))
  pair.close()
})

test('a silent peer: both roles give up after the timeout with ERR_HANDSHAKE_TIMEOUT, and close', async () => {
  const p1 = await socketPair()
  const t0 = Date.now()
  const e1 = await rejects(acceptHandshake(p1.server, { ...both().b, timeout: 300 }), HandshakeError, /within 300 ms/)
  assert.is(e1.code, 'ERR_HANDSHAKE_TIMEOUT')
  assert.ok(Date.now() - t0 >= 290)
  assert.ok(await closedWithin(p1.client, 2000))
  const p2 = await socketPair()
  const e2 = await rejects(initiateHandshake(p2.client, { ...both().a, timeout: 300 }), HandshakeError, B)
  assert.is(e2.code, 'ERR_HANDSHAKE_TIMEOUT')
  p1.close(); p2.close()
})

test('a peer that closes mid-handshake: ERR_HANDSHAKE_CLOSED', async () => {
  const pair = await socketPair()
  const hs = acceptHandshake(pair.server, both().b)
  pair.client.end(hsMessage(sendNameV6(A, DEFAULT_DFLAGS)).subarray(0, 5))
  const err = await rejects(hs, HandshakeError, /closed the connection mid-handshake/)
  assert.is(err.code, 'ERR_HANDSHAKE_CLOSED')
  pair.close()
})

test('bad options are refused before anything is sent', async () => {
  const pair = await socketPair()
  await rejects(initiateHandshake(pair.client, { ...both().a, cookie: '' }), Error, /cookie must be a non-empty string/)
  await rejects(initiateHandshake(pair.client, { ...both().a, name: 'noat' }), Error, /expected name@host/)
  await rejects(initiateHandshake(pair.client, { ...both().a, creation: -1 }), Error, /creation must be a 32-bit/)
  await rejects(acceptHandshake(pair.server, { ...both().b, cookie: 'snow\u2603' }), Error, /Latin-1/)
  pair.close()
})

test.run()
