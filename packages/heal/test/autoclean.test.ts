// Autoclean on the simulated cluster: a member down for longer than the
// period is removed from every member list; one that only some node cannot
// reach (the others can) is kept; 0 turns it off.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { SimCluster, type SimConfig, type SimNode } from './sim/cluster.js'

const base: SimConfig = { seed: 5, nodes: 4, tickTime: 2000, delay: 2000, autoclean: 10_000, quantum: 20, verbose: process.env.TEKKA_SIM_VERBOSE === '1' }

async function cluster (cfg: Partial<SimConfig> = {}): Promise<SimCluster> {
  const sim = new SimCluster({ ...base, ...cfg })
  await sim.start()
  return sim
}

const names = (n: SimNode): string[] => n.dist.membership.members().map((m) => m.node).sort()

test('a member down for longer than autoclean is removed everywhere (the leader too)', async () => {
  const sim = await cluster()
  try {
    const [n1, n2, n3, n4] = sim.nodes as [SimNode, SimNode, SimNode, SimNode]
    sim.crash(n1)
    const down = sim.now
    await sim.run(8000)
    for (const n of [n2, n3, n4]) assert.ok(names(n).includes(n1.name), 'kept before the period')
    await sim.runUntil(() => [n2, n3, n4].every((n) => !names(n).includes(n1.name)) ? undefined : 'still listed', 20_000, 'removed')
    const after = sim.now - down
    assert.ok(after >= 10_000 && after <= 10_000 * 1.25 + 4000, `removed ${after} ms after it went down`)
    for (const n of [n2, n3, n4]) assert.equal(names(n), [n2.name, n3.name, n4.name])
    const cleaned = sim.events.filter((r) => r.e.type === 'heal.autoclean')
    assert.is(cleaned.length, 1, 'one node acted')
    assert.is(cleaned[0].node, n2.name, 'the coordinator (oldest member up) did')
    const e = cleaned[0].e
    assert.ok(e.type === 'heal.autoclean' && e.member === n1.name && e.downFor > 10_000 && e.level === 'warn', `heal.autoclean names the member removed: ${JSON.stringify(e)}`)
    assert.is(sim.converged(), undefined)
  } finally {
    sim.teardown()
  }
})

test('a member that only one node cannot reach is kept', async () => {
  const sim = await cluster()
  try {
    const [n1, , , n4] = sim.nodes as [SimNode, SimNode, SimNode, SimNode]
    // n1 (the coordinator, which runs autoclean) loses its link to n4 for good; n2 and n3 still reach it.
    sim.cut([[n1.name, n4.name], [n4.name, n1.name]])
    await sim.run(40_000)
    for (const n of sim.nodes) assert.ok(names(n).includes(n4.name), `${n.name} still lists ${n4.name}`)
    assert.equal(sim.events.filter((r) => r.e.type === 'heal.autoclean'), [])
  } finally {
    sim.teardown()
  }
})

test('autoclean 0 keeps a dead member', async () => {
  const sim = await cluster({ autoclean: 0 })
  try {
    const [n1, n2] = sim.nodes as [SimNode, SimNode]
    sim.crash(n2)
    await sim.run(60_000)
    assert.ok(names(n1).includes(n2.name))
    assert.is(n1.dist.membership.status().stopped.join(), n2.name)
  } finally {
    sim.teardown()
  }
})

test.run()
