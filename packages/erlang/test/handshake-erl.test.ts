// The Erlang distribution handshake against real erl (OTP 25), with the
// test's own epmd: tekka dials erl, erl dials tekka (found through our
// ALIVE2 registration), the cookie refused both ways, and both ways again
// with ekka's port rule and no epmd at all.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { HandshakeError } from '@tekka/dist'
import { eventually, rejects } from '@tekka/testing/wait'
import { freePortRange } from '@tekka/testing/ports'
import { Epmd, ErlNode } from '@tekka/testing/erl-node'
import { startErlDist, epmdPortPlease, type ErlDistNode } from '../src/index.js'

const TK = 'tk@127.0.0.1'
const E1 = 'e1@127.0.0.1'
let epmd: Epmd
const cleanups: Array<() => Promise<void>> = []

async function erl (opts: Partial<Parameters<typeof ErlNode.start>[0]> = {}): Promise<ErlNode> {
  const n = await ErlNode.start({ name: E1, cookie: 'sesame', epmdPort: epmd.port, ...opts })
  cleanups.push(async () => { await n.stop() })
  return n
}

async function tekka (opts: Partial<Parameters<typeof startErlDist>[0]> = {}): Promise<ErlDistNode> {
  const n = await startErlDist({ name: TK, cookie: 'sesame', epmdPort: epmd.port, ...opts })
  cleanups.push(async () => { await n.stop() })
  return n
}

test.before(async () => { epmd = await Epmd.start() })
test.after.each(async () => { for (const c of cleanups.splice(0).reverse()) await c() })
test.after(async () => { await epmd.stop() })

test('tekka dials erl: looked up in epmd, handshake v6, nodeup on both sides', async () => {
  const e1 = await erl()
  const tk = await tekka()
  const up: string[] = []
  tk.on('nodeup', (p) => { up.push(p) })
  const conn = await tk.connect(E1)
  assert.is(conn.peer.name, E1)
  assert.is(conn.peer.version, 6)
  assert.ok(conn.peer.creation > 0, 'erl\'s 32-bit creation')
  assert.equal(up, [E1])
  assert.equal(tk.nodes(), [E1])
  await e1.waitForLine(/^nodeup tk@127\.0\.0\.1$/)
  // erl talks on the link at once (global and rex): raw packets, pass-through (112) since we ask for no atom cache.
  const frames: Buffer[] = []
  conn.on('frame', (p: Buffer) => { frames.push(p) })
  e1.command('nodes')
  await e1.waitForLine(/^nodes \['tk@127\.0\.0\.1'\]$/)
  assert.ok(conn.open)
  assert.is(await tk.connect(E1), conn, 'one link per peer')
})

test('erl dials tekka: net_kernel:connect_node finds our ALIVE2 registration in epmd and the handshake completes', async () => {
  const tk = await tekka()
  const reg = await epmdPortPlease('tk', { epmdPort: epmd.port })
  assert.is(reg.port, tk.port)
  const frames: Buffer[] = []
  const tk2 = tk
  tk2.on('nodeup', (_p, c) => { c.on('frame', (f: Buffer) => { frames.push(f) }) })
  const e1 = await erl()
  assert.is(await e1.connect(TK), true)
  await eventually(() => tk.nodes().includes(E1), { message: 'nodeup on our side' })
  assert.is(tk.connection(E1)?.peer.creation !== 0, true)
  // The seam: erl's first packets (global's and rex's sends) arrive unparsed, starting with pass-through 112.
  await eventually(() => frames.length > 0, { message: 'a packet from erl' })
  assert.is(frames[0][0], 112)
  assert.is(frames[0][1], 131, 'an external-format term follows')
})

test('a wrong cookie, tekka dialling: our connect fails naming erl and the cookie; erl logs the invalid challenge reply', async () => {
  const e1 = await erl()
  const tk = await tekka({ cookie: 'not-sesame' })
  const err = await rejects(tk.connect(E1), HandshakeError, E1, /cookie/)
  assert.is(err.code, 'ERR_HANDSHAKE_COOKIE')
  assert.equal(tk.nodes(), [])
  await e1.waitForLine(/Connection attempt from node 'tk@127\.0\.0\.1' rejected|Invalid challenge reply/)
})

test('a wrong cookie, erl dialling: connect_node is false, and we report the refusal naming erl', async () => {
  const tk = await tekka({ cookie: 'not-sesame' })
  const refused: HandshakeError[] = []
  tk.on('refused', (e) => { refused.push(e) })
  const e1 = await erl()
  assert.is(await e1.connect(TK), false)
  await eventually(() => refused.length > 0, { message: 'the refusal reported' })
  assert.is(refused[0].code, 'ERR_HANDSHAKE_COOKIE')
  assert.match(refused[0].message, E1)
  assert.equal(tk.nodes(), [])
  // We keep serving: the right cookie gets in afterwards.
  await tk.stop()
  const tk2 = await tekka()
  assert.is(await e1.connect(TK), true)
  await eventually(() => tk2.nodes().includes(E1))
})

test('ekka\'s port rule, no epmd: tekka dials erl and erl dials tekka at base + the name\'s digits', async () => {
  const base = await freePortRange(8)
  const e5 = await ErlNode.start({ name: 'e5@127.0.0.1', cookie: 'sesame', portRule: { basePort: base } })
  cleanups.push(async () => { await e5.stop() })
  const tk = await startErlDist({ name: 'tk3@127.0.0.1', cookie: 'sesame', portMapper: 'port_rule', basePort: base })
  cleanups.push(async () => { await tk.stop() })
  assert.is(tk.port, base + 3)
  const conn = await tk.connect('e5@127.0.0.1')
  assert.is(conn.peer.name, 'e5@127.0.0.1')
  await e5.waitForLine(/^nodeup tk3@127\.0\.0\.1$/)
  await conn.close()
  await e5.waitForLine(/^nodedown tk3@127\.0\.0\.1$/)
  assert.is(await e5.connect('tk3@127.0.0.1'), true)
  await eventually(() => tk.nodes().includes('e5@127.0.0.1'), { message: 'erl\'s connection accepted' })
})

test.run()
