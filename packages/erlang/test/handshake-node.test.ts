// Two tekka nodes on Erlang's distribution with ekka's port rule (no epmd,
// no erl): connect, nodeup / nodedown on both sides, both dialling at once
// (one link survives, by erl's rule), a wrong cookie, and the failure paths
// of start and connect.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { BadArgError } from '@tekka/actors'
import { DialError, HandshakeError, PortInUseError } from '@tekka/dist'
import { eventually, rejects } from '@tekka/testing/wait'
import { freePortRange } from '@tekka/testing/ports'
import { startErlDist, type ErlDistNode, type ErlDistNodeOptions } from '../src/index.js'

const nodes: ErlDistNode[] = []
test.after.each(async () => { for (const n of nodes.splice(0)) await n.stop() })

async function start (name: string, base: number, extra: Partial<ErlDistNodeOptions> = {}): Promise<ErlDistNode> {
  const n = await startErlDist({ name, cookie: 'sesame', portMapper: 'port_rule', basePort: base, tickTime: 2000, ...extra })
  nodes.push(n)
  return n
}

test('connect: nodeup on both sides; stop: nodedown on the other with the reason; start and stop are safe twice', async () => {
  const base = await freePortRange(3)
  const n1 = await start('n1@127.0.0.1', base)
  const n2 = await start('n2@127.0.0.1', base)
  assert.is(n1.port, base + 1)
  assert.is(n2.port, base + 2)
  const ups: string[] = []
  n2.on('nodeup', (p) => { ups.push(p) })
  const conn = await n1.connect('n2@127.0.0.1')
  assert.is(conn.peer.name, 'n2@127.0.0.1')
  assert.is(conn.peer.creation, n2.creation)
  await eventually(() => ups.length === 1)
  assert.equal(ups, ['n1@127.0.0.1'])
  await n1.start()
  const downs: string[] = []
  n2.on('nodedown', (p, r) => { downs.push(`${p} ${r}`) })
  await n1.stop()
  await n1.stop()
  await eventually(() => downs.length === 1)
  assert.equal(downs, ['n1@127.0.0.1 connection_closed'])
  assert.equal(n2.nodes(), [])
})

test('both dialling at once: each connect resolves, and each side ends with one link to the other', async () => {
  const base = await freePortRange(3)
  const n1 = await start('n1@127.0.0.1', base)
  const n2 = await start('n2@127.0.0.1', base)
  for (let i = 0; i < 5; i++) {
    const [c1, c2] = await Promise.all([n1.connect('n2@127.0.0.1'), n2.connect('n1@127.0.0.1')])
    assert.ok(c1.open && c2.open, `round ${i}`)
    assert.equal(n1.nodes(), ['n2@127.0.0.1'])
    assert.equal(n2.nodes(), ['n1@127.0.0.1'])
    assert.is(n1.connection('n2@127.0.0.1'), c1)
    assert.is(n2.connection('n1@127.0.0.1'), c2)
    await c1.close()
    await eventually(() => n2.nodes().length === 0)
  }
})

test('a wrong cookie: connect rejects naming the peer, the peer reports the refusal, neither has a link', async () => {
  const base = await freePortRange(3)
  const n1 = await start('n1@127.0.0.1', base, { cookie: 'other' })
  const n2 = await start('n2@127.0.0.1', base)
  const refused: HandshakeError[] = []
  n2.on('refused', (e) => { refused.push(e) })
  const err = await rejects(n1.connect('n2@127.0.0.1'), HandshakeError, 'n2@127.0.0.1')
  assert.is(err.code, 'ERR_HANDSHAKE_COOKIE')
  await eventually(() => refused.length === 1)
  assert.match(refused[0].message, 'n1@127.0.0.1')
  assert.equal([n1.nodes(), n2.nodes()], [[], []])
})

test('failure paths: a taken port, nobody listening, bad options, connect after stop', async () => {
  const base = await freePortRange(3)
  await start('n1@127.0.0.1', base)
  await rejects(startErlDist({ name: 'm1@127.0.0.1', cookie: 'c', portMapper: 'port_rule', basePort: base }), PortInUseError, `port ${base + 1}`)
  const n2 = await start('n2@127.0.0.1', base)
  const e = await rejects(n2.connect('x0@127.0.0.1'), DialError, 'x0@127.0.0.1')
  assert.is(e.port, base)
  await rejects(startErlDist({ name: 'a@h', cookie: 'c', portMapper: 'dns' as 'epmd' }), BadArgError, "portMapper must be 'epmd' or 'port_rule'")
  await rejects(startErlDist({ name: 'a@h', cookie: '' }), BadArgError, 'cookie')
  await rejects(startErlDist({ name: 'nohost', cookie: 'c' }), Error, 'no @host')
  await n2.stop()
  await rejects(n2.connect('n1@127.0.0.1'), BadArgError, 'not running')
})

test.run()
