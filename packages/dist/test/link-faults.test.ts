// The link fault injector (link-faults.ts), between real nodes in one
// process on loopback: a cut link falls silent and dies of its ticks on
// both ends (net_tick_timeout, not a close), dials and handshakes across a
// cut fail, other links are untouched, and after `restore` the nodes
// connect again. Off until used: a fresh node cuts nothing.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { silentLogger, type Pid } from '@tekka/actors'
import { startNode, type DistNode } from '../src/index.js'
import { freePortRange } from '@tekka/testing/ports'
import { eventually, withTimeout } from '@tekka/testing/wait'

const TICK = 400
const started: DistNode[] = []
async function node (name: string, base: number): Promise<DistNode> {
  const n = await startNode({ name, cookie: 'lf', basePort: base, tickTime: TICK, handshakeTimeout: 1000, logger: silentLogger() })
  started.push(n)
  return n
}

test.after.each(async () => {
  await Promise.all(started.splice(0).map(async (n) => await n.stop()))
})

function downs (n: DistNode): Array<{ peer: string, reason: string }> {
  const out: Array<{ peer: string, reason: string }> = []
  n.events.on('dist.nodedown', (e) => out.push({ peer: e.peer, reason: e.reason }))
  return out
}

async function echo (from: DistNode, to: DistNode): Promise<unknown> {
  const pid = to.spawn(async (ctx) => { const m = await ctx.receive<{ from: Pid }>(); ctx.send(m.from, 'pong') })
  return await from.run(async (ctx) => { ctx.send(pid, { from: ctx.self }); return await ctx.receive(undefined, { timeout: 2000 }) })
}

test('nothing is cut until asked', async () => {
  const base = await freePortRange(3)
  const a = await node('a1@127.0.0.1', base)
  const b = await node('b2@127.0.0.1', base)
  assert.equal(a.kernel.faults.cuts(), [])
  assert.ok(await a.connect(b.name))
  assert.is(await echo(a, b), 'pong')
})

test('a cut link dies of its ticks on both ends; dials fail while cut; other links live on; restore lets them reconnect', async () => {
  const base = await freePortRange(4)
  const a = await node('a1@127.0.0.1', base)
  const b = await node('b2@127.0.0.1', base)
  const c = await node('c3@127.0.0.1', base)
  assert.ok(await a.connect(b.name))
  assert.ok(await a.connect(c.name))
  const da = downs(a)
  const db = downs(b)
  // Each end cuts its own side, as the demo does: neither hears the other, nor the other closing its end (no FIN gets through a DROP).
  assert.equal(a.kernel.faults.cut([b.name]), [b.name])
  assert.equal(a.kernel.faults.cut([b.name]), [], 'cut twice: once')
  b.kernel.faults.cut([a.name])
  assert.ok(a.kernel.faults.isCut(b.name))
  await eventually(() => {
    assert.equal(da.filter((d) => d.peer === b.name), [{ peer: b.name, reason: 'net_tick_timeout' }])
    assert.equal(db.filter((d) => d.peer === a.name), [{ peer: a.name, reason: 'net_tick_timeout' }])
  }, { timeout: TICK * 6, message: 'both ends of the cut link tick out' })
  assert.is(await echo(a, c), 'pong', 'the link to c is not cut')
  assert.equal(da.filter((d) => d.peer === c.name), [])
  // Across the cut, from either side.
  assert.not.ok(await a.connect(b.name), 'a dial to a cut peer fails')
  assert.match(String(a.kernel.lastError(b.name)?.message), /the link is cut/)
  assert.equal(b.kernel.faults.restore(), [a.name], 'b lets a in again; a still cuts b')
  assert.not.ok(await withTimeout(b.connect(a.name), 5000, 'b dials a'), 'a handshake from a cut peer is refused')
  assert.not.ok(a.nodes().includes(b.name))

  assert.equal(a.kernel.faults.restore(), [b.name])
  assert.equal(a.kernel.faults.cuts(), [])
  assert.ok(await a.connect(b.name), 'after restore the link comes back')
  assert.is(await echo(a, b), 'pong')
})

test('a cut link does not hear its peer close its end either (no FIN gets through a DROP): it still ends by its ticks', async () => {
  const base = await freePortRange(3)
  const a = await node('a1@127.0.0.1', base)
  const b = await node('b2@127.0.0.1', base)
  assert.ok(await a.connect(b.name))
  const db = downs(b)
  b.kernel.faults.cut([a.name])
  const closedAt = Date.now()
  assert.ok(a.disconnect(b.name), 'a closes its end')
  await eventually(() => { assert.equal(db, [{ peer: a.name, reason: 'net_tick_timeout' }]) }, { timeout: TICK * 6, message: "b's end ticks out" })
  assert.ok(Date.now() - closedAt >= TICK / 2, 'not at once: by its ticks')
})

test('a bad peer name is refused with what was wrong', () => {
  return (async () => {
    const base = await freePortRange(2)
    const a = await node('a1@127.0.0.1', base)
    assert.throws(() => a.kernel.faults.cut(['nohost']), /link faults: "nohost" is not a node name/)
    assert.equal(a.kernel.faults.cuts(), [])
  })()
})

test.run()
