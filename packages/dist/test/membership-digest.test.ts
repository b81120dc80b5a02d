// The membership's periodic round: a member sends a digest of its table
// (MemberTable.digest); a member whose table differs answers with its whole
// table, one whose table is the same answers nothing. Two real nodes over
// TCP; node a's membership process is replaced by a recorder so what b
// sends it can be read.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { silentLogger } from '@tekka/actors'
import { startNode, type DistNode } from '../src/index.js'
import { MemberTable } from '../src/membership/member-table.js'
import { freePortRange } from '@tekka/testing/ports'
import { eventually } from '@tekka/testing/wait'

const started: DistNode[] = []
test.after.each(async () => { await Promise.all(started.splice(0).map(async (n) => await n.stop())) })

test('the digest of a table: the same for the same entries in any order and whatever their times; another after any change', () => {
  const a = new MemberTable('a1@127.0.0.1')
  a.set('a1@127.0.0.1', 'member', '', 1)
  a.set('b2@127.0.0.1', 'member', '', 2)
  const b = new MemberTable('b2@127.0.0.1', [...a.entries()].reverse().map((e) => ({ ...e, at: e.at + 1000 })))
  assert.is(b.digest(), a.digest())
  const before = a.digest()
  a.set('b2@127.0.0.1', 'removed')
  assert.is.not(a.digest(), before, 'a new version')
  b.merge(a.entries())
  assert.is(b.digest(), a.digest(), 'merged: the same again')
  const guid = '0'.repeat(31) + '1'
  assert.ok(b.setGuid('a1@127.0.0.1', guid))
  assert.is.not(b.digest(), a.digest(), 'a newer guid')
})

test('a digest that differs from the table is answered with the table; one that matches, with nothing', async () => {
  const base = await freePortRange(3)
  const opts = { cookie: 'md', basePort: base, logger: silentLogger(), membership: { antiEntropy: 3_600_000, reconnect: 3_600_000 } }
  const a = await startNode({ name: 'a1@127.0.0.1', ...opts })
  started.push(a)
  const b = await startNode({ name: 'b2@127.0.0.1', ...opts })
  started.push(b)
  assert.is(await b.membership.join(a.name), 'joined')
  await eventually(() => a.membership.members().length === 2 && b.membership.members().length === 2, { timeout: 5000 })
  // What b sent a as it joined has arrived (a reply on the same link comes after it).
  await a.call(b.name, 'tekka.ping', [])
  await a.membership.stop()
  const got: Array<{ t?: string, from?: string, entries?: unknown[] }> = []
  a.runtime.spawn(async (ctx) => { for (;;) got.push(await ctx.receive<typeof got[number]>()) }, { name: 'tekka_membership' })

  const same = new MemberTable(b.name, b.membership.entries()).digest()
  b.runtime.send('tekka_membership', { t: 'digest', cluster: b.membership.cluster, from: a.name, digest: same })
  b.runtime.send('tekka_membership', { t: 'digest', cluster: b.membership.cluster, from: a.name, digest: 'not-this-table' })
  await eventually(() => got.length >= 1, { timeout: 5000, message: 'b answers the digest that differs' })
  // b's answers and an RPC reply share the link, in order: after this one comes back, nothing more is on its way.
  await a.call(b.name, 'tekka.ping', [])
  assert.is(got.length, 1, `one answer, to the digest that differs: ${JSON.stringify(got)}`)
  assert.is(got[0].t, 'gossip')
  assert.is(got[0].from, b.name)
  assert.equal((got[0].entries as Array<{ node: string }>).map((e) => e.node).sort(), [a.name, b.name])
})

test.run()
