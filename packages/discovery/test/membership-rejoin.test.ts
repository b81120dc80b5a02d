// What the autocluster relies on from membership.join: joining a node that
// this node's table lists, but whose own table no longer lists this node
// (it joined another cluster since, and took that cluster's table), is a
// real join, not "already a member". Nodes started together join each other
// in chains, so this happens; without it the dropped node stays out for good
// (the other side ignores gossip from non-members).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { silentLogger } from '@tekka/actors'
import { startNode, type DistNode } from '@tekka/dist'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'

const base = await ports.freePortRange(6)
const nodes: DistNode[] = []
test.after(async () => { for (const n of nodes.splice(0)) await n.stop() })
const start = async (name: string): Promise<DistNode> => {
  const n = await startNode({ name, cookie: 'rejoin', basePort: base, logger: silentLogger(), membership: { antiEntropy: 300, reconnect: 300 } })
  nodes.push(n)
  return n
}
const names = (n: DistNode): string[] => n.membership.nodelist().sort()

test('join of a member that dropped this node joins it again; of one that lists it, is ignored', async () => {
  const o = await start('o1@127.0.0.1')
  const p = await start('p2@127.0.0.1')
  const q = await start('q3@127.0.0.1')
  const n = await start('n4@127.0.0.1')
  assert.is(await q.membership.join(p.name), 'joined')
  assert.is(await n.membership.join(o.name), 'joined')
  // o goes to p's cluster: its table is p's now, without n.
  assert.is(await o.membership.join(p.name), 'joined')
  await wait.eventually(() => names(o).join() === [o, p, q].map((x) => x.name).sort().join(), { timeout: 3000, message: 'o in p\'s cluster' })
  assert.not.ok(o.membership.isMember(n.name), 'o dropped n')
  assert.ok(n.membership.isMember(o.name), 'n still lists o')
  // Gossip alone does not bring n back: o ignores a non-member.
  await wait.sleep(700)
  assert.not.ok(o.membership.isMember(n.name))
  assert.is(await n.membership.join(o.name), 'joined', 'a real join, not "already a member"')
  const all = [o, p, q, n].map((x) => x.name).sort()
  await wait.eventually(() => [o, p, q, n].every((x) => names(x).join() === all.join()), { timeout: 5000, message: 'one cluster of four' })
  assert.is(await n.membership.join(o.name), 'ignored', 'now both sides list each other')
})

test.run()
