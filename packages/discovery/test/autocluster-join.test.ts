// The autocluster actor joining real nodes (in one process, real sockets,
// short intervals): nodes join the oldest, which joins nobody; `autocluster
// disable` stops joining and `enable` resumes it; a node that leaves
// unregisters and is not pulled back; a cluster does not break up to join
// an older node that is on its own; a failed join is retried at the next
// round, and the round still registers.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { nextEvent, silentLogger } from '@tekka/actors'
import { startNode, type DistNode } from '@tekka/dist'
import { autocluster, staticStrategy, strategyComponents, type Autocluster, type Strategy } from '../src/index.js'
import { fakeStrategy } from './support/fake-strategy.js'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'

const base = await ports.freePortRange(10)
const live: Array<{ node: DistNode, ac: Autocluster }> = []
test.after.each(async () => {
  for (const s of live.splice(0).reverse()) { await s.ac.stop(); await s.node.stop() }
})

const name = (i: number): string => `j${i}@127.0.0.1`
const stopper = new AbortController()

async function start (i: number, make: (node: DistNode) => Strategy, opts: { enabled?: boolean } = {}): Promise<{ node: DistNode, ac: Autocluster }> {
  const node = await startNode({ name: name(i), cookie: 'join', basePort: base, logger: silentLogger(), membership: { antiEntropy: 500, reconnect: 300 } })
  const ac = autocluster({ interval: 200, jitter: 50, probeTimeout: 2000, ...opts })({ ...node.components, strategy: make(node) })
  live.push({ node, ac })
  await ac.start()
  return { node, ac }
}
const seeds = (...ids: number[]) => (node: DistNode): Strategy => staticStrategy({ seeds: ids.map(name) })(strategyComponents(node.components, 'static', stopper.signal))
const members = (n: DistNode): string[] => n.membership.nodelist().sort()
const oneCluster = (nodes: DistNode[]): boolean => nodes.every((n) => JSON.stringify(members(n)) === JSON.stringify(nodes.map((x) => x.name).sort()))

test('three nodes join the oldest; it joins nobody; every autocluster completes', async () => {
  const a = await start(1, seeds(1, 2, 3))
  const joins: Array<{ by: string, target: string, reason: string }> = []
  const b = await start(2, seeds(1, 2, 3))
  b.node.events.on('autocluster.joined', (e) => joins.push({ by: e.node, target: e.target, reason: e.reason }))
  const c = await start(3, seeds(1, 2, 3))
  c.node.events.on('autocluster.joined', (e) => joins.push({ by: e.node, target: e.target, reason: e.reason }))
  await wait.eventually(() => oneCluster([a.node, b.node, c.node]), { timeout: 10_000, message: 'one cluster of three' })
  await wait.eventually(() => [a, b, c].every((x) => x.ac.state === 'complete'), { timeout: 5000, message: 'all complete' })
  assert.is(a.node.membership.leader(), a.node.name)
  assert.ok(joins.length >= 2)
  assert.ok(joins.every((j) => j.target === a.node.name), `everyone joined the oldest: ${JSON.stringify(joins)}`)
  assert.ok(joins.some((j) => j.by === b.node.name) && joins.some((j) => j.by === c.node.name), 'b and c each published their join')
  assert.match(joins[0].reason, /oldest node/)
  assert.not.ok(a.ac.status().last?.joined, 'the oldest joins nobody')
})

test('autocluster disable stops joining; enable resumes it (ctl commands)', async () => {
  const a = await start(1, seeds(2))
  const b = await start(2, seeds(1), { enabled: false })
  assert.not.ok(b.ac.enabled)
  await wait.sleep(1000)
  assert.equal(members(b.node), [b.node.name], 'a disabled autocluster joins nobody')
  assert.equal(members(a.node).length, 1, 'a is the oldest: it waits for b to join it')
  const r = await b.node.ctl.run(['autocluster', 'enable'], { json: true })
  assert.ok(r.ok)
  await wait.eventually(() => oneCluster([a.node, b.node]), { timeout: 5000, message: 'joined after enable' })
  const st = await b.node.ctl.run(['autocluster', 'status'], { json: false })
  assert.match(st.text, /strategy static, enabled/)
  // Disabled in the middle of its rounds: a third node is never joined by c.
  const c = await start(3, seeds(1, 2))
  const d = await c.node.ctl.run(['autocluster', 'disable'], { json: true })
  assert.ok(d.ok)
  assert.equal(d.json, { enabled: false, state: c.ac.state })
  // c may have joined in the round that was already running when disabled; nothing after that one.
  await wait.eventually(() => (c.ac.status().last?.round ?? 0) === c.ac.status().rounds, { timeout: 10_000, message: 'the round in progress is over' })
  const before = members(c.node)
  const rounds = c.ac.status().rounds
  await wait.sleep(1000)
  assert.equal(members(c.node), before)
  assert.is(c.ac.status().rounds, rounds, 'no rounds while disabled')
})

test('a node that leaves unregisters, stops its autocluster and is not pulled back; a cluster does not go to a lone older node', async () => {
  let unregistered = 0
  const registry = (node: DistNode): Strategy => {
    // Static seeds plus a register / unregister that only count: a registry without the server.
    const s = seeds(1, 2, 3, 9)(node)
    return Object.assign(fakeStrategy({ discover: async () => await s.discover(), register: () => undefined, unregister: () => { if (node.name === name(1)) unregistered++ } }), { name: 'counting' })
  }
  // j9 never starts, so nobody's autocluster completes: they keep running rounds.
  const a = await start(1, registry)
  const b = await start(2, registry)
  const c = await start(3, registry)
  await wait.eventually(() => oneCluster([a.node, b.node, c.node]), { timeout: 10_000, message: 'one cluster of three' })
  assert.is(a.node.membership.leader(), a.node.name, 'a is the oldest')
  const seen: string[] = []
  a.node.events.on(['autocluster.left', 'autocluster.unregistered'], (e) => { seen.push(e.type === 'autocluster.unregistered' ? `${e.type}: ${e.why}` : e.type) })
  await a.node.membership.leave()
  await wait.eventually(() => a.ac.state === 'left' && unregistered === 1, { timeout: 3000, message: 'a unregistered' })
  assert.equal(seen, ['autocluster.left', 'autocluster.unregistered: the node left its cluster'])
  await wait.eventually(() => oneCluster([b.node, c.node]), { timeout: 5000, message: 'b and c without a' })
  // b and c keep running rounds (j9 is missing), a older than both is alone: they stay put.
  const rounds = b.ac.status().rounds
  await wait.sleep(1500)
  assert.ok(b.ac.status().rounds > rounds, 'b kept running rounds')
  assert.equal(members(a.node), [a.node.name])
  assert.ok(oneCluster([b.node, c.node]))
  assert.match(b.ac.status().last?.decision?.reason ?? '', /in a cluster/)
  // Enabled again, a goes back: it joins the cluster (not the other way round).
  a.ac.enable()
  await wait.eventually(() => oneCluster([a.node, b.node, c.node]), { timeout: 5000, message: 'a back' })
})

test('a failed join is reported and retried; the round still registers', async () => {
  const a = await start(1, seeds(2))
  let registered = 0
  const node = await startNode({ name: name(2), cookie: 'join', basePort: base, logger: silentLogger() })
  const join = node.membership.join.bind(node.membership)
  let fail = true
  node.membership.join = async (seed: string) => {
    if (fail) { fail = false; throw new Error('the seed said no') }
    return await join(seed)
  }
  const inner = seeds(1)(node)
  const strategy = Object.assign(fakeStrategy({ discover: async () => await inner.discover(), register: () => { registered++ }, unregister: () => undefined }), { name: 'counting' })
  const ac = autocluster({ interval: 200, jitter: 0 })({ ...node.components, strategy })
  live.push({ node, ac })
  const first = nextEvent(node.events, 'autocluster.round')
  await ac.start()
  const r = await first
  assert.match(r.error ?? '', /join j1@127\.0\.0\.1 failed: the seed said no/)
  assert.is(registered, 1, 'registered in the round whose join failed')
  await wait.eventually(() => oneCluster([a.node, node]), { timeout: 5000, message: 'joined at the next round' })
})

test.run()
