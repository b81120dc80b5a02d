// Partition detection by the node monitor, on the simulated cluster (real
// kernel, membership and heal code, in-memory network, simulated clock):
// a member that comes back with the same incarnation is a partition, on both
// sides, shown by `cluster status` and published on the node's event stream
// (and so on diagnostics channel tekka:event); a restart is not; the
// indirect probe tells a link cut on one side from a dead node.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as diagnosticsChannel from 'node:diagnostics_channel'
import { EVENT_CHANNEL, type TekkaEvent } from '@tekka/actors'
import type { MembershipEvent } from '@tekka/dist'
import { SimCluster, type SimConfig } from './sim/cluster.js'

const base: SimConfig = { seed: 7, nodes: 3, tickTime: 2000, delay: 2000, autoclean: 0, quantum: 20, verbose: process.env.TEKKA_SIM_VERBOSE === '1' }

async function cluster (cfg: Partial<SimConfig> = {}): Promise<SimCluster> {
  const sim = new SimCluster({ ...base, ...cfg })
  await sim.start()
  return sim
}

function both (a: string, b: string): Array<[string, string]> {
  return [[a, b], [b, a]]
}

test('a restarted member is not a partition', async () => {
  const sim = await cluster()
  try {
    const c = sim.nodes[2]
    sim.crash(c)
    await sim.run(6000)
    assert.ok(sim.nodes[0].dist.membership.nodelist('down').includes(c.name), 'seen down')
    await sim.restart(c)
    await sim.runUntil(() => sim.converged(), 20_000, 'back in the cluster')
    await sim.run(5000)
    assert.equal(sim.events.filter((r) => r.e.type === 'heal.partition'), [], 'no partition event')
    assert.equal(sim.events.filter((r) => r.e.type === 'heal.reboot'), [], 'nobody rebooted')
  } finally {
    sim.teardown()
  }
})

test('a partition that ends is recorded on both sides, shown by cluster status, published to subscribers (autoheal off: it stays)', async () => {
  const sim = await cluster({ heal: { autoheal: false } })
  try {
    const [a, b, c] = sim.nodes as [typeof sim.nodes[0], typeof sim.nodes[0], typeof sim.nodes[0]]
    const seen: MembershipEvent[] = []
    a.dist.membership.subscribe((e) => { seen.push(e) })
    const diag: TekkaEvent[] = []
    const onDiag = (m: unknown): void => { diag.push(m as TekkaEvent) }
    diagnosticsChannel.subscribe(EVENT_CHANNEL, onDiag)
    const cut = [...both(a.name, c.name), ...both(b.name, c.name)]
    sim.cut(cut)
    await sim.run(6000)
    assert.equal(a.dist.membership.status().partitions, [], 'no partition while the links are down')
    assert.equal(a.dist.membership.status().stopped, [c.name])
    sim.restore(cut)
    await sim.runUntil(() => a.dist.membership.nodelist('down').length === 0 && c.dist.membership.nodelist('down').length === 0 ? undefined : 'links down', 10_000, 'links back')
    await sim.run(500)
    assert.equal(a.dist.membership.status().partitions, [c.name], 'a records c')
    assert.equal(b.dist.membership.status().partitions, [c.name], 'b records c')
    assert.equal(c.dist.membership.status().partitions, [a.name, b.name], 'c records both')
    assert.equal(a.heal.partitions(), [c.name])
    assert.ok(seen.some((e) => e.type === 'partition' && e.event === 'occurred' && e.node === c.name), 'published to membership subscribers')
    const occurred = sim.events.filter((r) => r.e.type === 'heal.partition' && r.e.event === 'occurred').map((r) => `${r.e.node} ${r.e.type === 'heal.partition' ? r.e.peer : ''} ${r.e.level}`).sort()
    assert.equal(occurred, [`${a.name} ${c.name} warn`, `${b.name} ${c.name} warn`, `${c.name} ${a.name} warn`, `${c.name} ${b.name} warn`], 'heal.partition on each node\'s stream, at warn')
    diagnosticsChannel.unsubscribe(EVENT_CHANNEL, onDiag)
    assert.ok(diag.some((d) => d.node === a.name && d.type === 'heal.partition' && d.event === 'occurred' && d.peer === c.name), 'and on diagnostics channel tekka:event')
    // Autoheal off: nothing is reported, decided or rebooted.
    await sim.run(10_000)
    assert.equal(sim.events.filter((r) => r.e.type === 'heal.report' || r.e.type === 'heal.decision' || r.e.type === 'heal.heal' || r.e.type === 'heal.reboot'), [])
    assert.equal(c.dist.membership.status().partitions, [a.name, b.name], 'still recorded')
    // A restart of c ends the partition with its old incarnation.
    sim.crash(c)
    await sim.run(500)
    await sim.restart(c)
    await sim.runUntil(() => a.dist.membership.status().partitions.length === 0 ? undefined : 'recorded', 10_000, 'partition dropped')
    assert.ok(seen.some((e) => e.type === 'partition' && e.event === 'healed' && e.node === c.name), 'healed published')
  } finally {
    sim.teardown()
  }
})

test('indirect probe: a link cut on one side only is told from a dead node', async () => {
  const sim = await cluster()
  try {
    const [a, b, c] = sim.nodes as [typeof sim.nodes[0], typeof sim.nodes[0], typeof sim.nodes[0]]
    const probes = (): Array<{ node: string, about: string, result: string }> =>
      sim.events.flatMap((r) => r.e.type === 'heal.probe' ? [{ node: r.e.node, about: r.e.peer, result: r.e.result }] : [])
    // Only the a-c link: b still reaches both.
    sim.cut(both(a.name, c.name))
    await sim.runUntil(() => probes().length >= 2 ? undefined : 'no probes yet', 15_000, 'probes')
    assert.equal(probes().filter((p) => p.node === a.name), [{ node: a.name, about: c.name, result: 'unreachable_here' }])
    assert.equal(probes().filter((p) => p.node === c.name), [{ node: c.name, about: a.name, result: 'unreachable_here' }])
    assert.is(a.heal.status().down.find((d) => d.node === c.name)?.probe, 'unreachable_here')
    sim.restore(both(a.name, c.name))
    await sim.runUntil(() => sim.converged(), 30_000, 'healed')
    // c dies: for b and a it is down, and nobody else reaches it.
    const before = probes().length
    sim.crash(c)
    await sim.runUntil(() => probes().length >= before + 2 ? undefined : 'no probes yet', 15_000, 'probes of the dead node')
    for (const n of [a, b]) assert.equal(probes().slice(before).filter((p) => p.node === n.name), [{ node: n.name, about: c.name, result: 'down' }])
  } finally {
    sim.teardown()
  }
})

test.run()
