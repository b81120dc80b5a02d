// The replicated member table: last-writer-wins per node, tombstones that a
// stale member cannot undo, merge order does not matter, guids age-order.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { guidTime, ringPosition } from '../src/index.js'
import { MemberTable, parseEntry, byAge, type Entry } from '../src/membership/member-table.js'
import { makeGuid } from '../src/membership/guid.js'

const A = 'a@h'; const B = 'b@h'; const C = 'c@h'

test('guids sort by age and carry their time', () => {
  const g1 = makeGuid(A)
  const g2 = makeGuid(B)
  const g3 = makeGuid(A)
  assert.ok(g1 < g2 && g2 < g3)
  assert.is(g1.length, 32)
  assert.ok(Math.abs(guidTime(g1) - Date.now()) < 5000)
  assert.is(ringPosition(A), ringPosition(A))
  assert.is.not(ringPosition(A), ringPosition(B))
})

test('a removal wins over an older membership and is not undone by a stale member', () => {
  const a = new MemberTable(A); a.set(A, 'member', makeGuid(A))
  const b = new MemberTable(B); b.set(B, 'member', makeGuid(B))
  a.set(B, 'member')
  b.merge(a.entries())
  const c = new MemberTable(C); c.merge(a.entries()) // c has the old view
  a.set(B, 'removed')
  b.merge(a.entries())
  assert.is(b.isMember(B), false)
  // c still says member with an older version: merging it does not bring B back.
  const changes = a.merge(c.entries())
  assert.is(a.isMember(B), false)
  assert.equal(changes.filter((x) => x.node === B), [])
  // and c learns the removal
  c.merge(a.entries())
  assert.is(c.isMember(B), false)
})

test('merge is order-independent (same result whatever order the tables arrive in)', () => {
  const mk = (self: string): MemberTable => { const t = new MemberTable(self); t.set(self, 'member', makeGuid(self)); return t }
  const a = mk(A); const b = mk(B); const c = mk(C)
  a.set(B, 'member'); b.set(C, 'member'); c.set(A, 'removed'); c.set(A, 'member')
  const x = new MemberTable(A); const y = new MemberTable(A)
  for (const t of [a, b, c]) x.merge(t.entries())
  for (const t of [c, a, b]) y.merge(t.entries())
  const key = (t: MemberTable): string => JSON.stringify(t.entries().sort((p, q) => p.node.localeCompare(q.node)).map((e) => [e.node, e.state, e.version, e.by, e.guid]))
  assert.is(key(x), key(y))
})

test('equal versions are decided by the node that made the change, the same way everywhere', () => {
  const a = new MemberTable(A); const b = new MemberTable(B)
  a.set(C, 'member'); b.set(C, 'removed')
  const ab = new MemberTable('x@h'); ab.merge(a.entries()); ab.merge(b.entries())
  const ba = new MemberTable('x@h'); ba.merge(b.entries()); ba.merge(a.entries())
  assert.is(ab.get(C)!.state, ba.get(C)!.state)
  assert.is(ab.get(C)!.by, B, 'the greater name wins a tie')
})

test('the newest guid a node reported is kept; members sort oldest first', () => {
  const t = new MemberTable(A)
  const old = makeGuid(B); const young = makeGuid(C); const restarted = makeGuid(B)
  t.set(B, 'member', old); t.set(C, 'member', young)
  assert.equal(t.members().map((e) => e.node), [B, C])
  t.setGuid(B, restarted)
  assert.equal(t.members().map((e) => e.node), [C, B], 'a restarted node is younger')
  assert.is(t.setGuid(B, old), false, 'an older guid does not replace a newer one')
  assert.equal([{ guid: '', node: 'z@h' }, { guid: old, node: 'y@h' }].sort(byAge).map((e) => e.node), ['y@h', 'z@h'])
})

test('parseEntry refuses malformed entries from peers', () => {
  const good: Entry = { node: A, state: 'member', version: 1, by: A, guid: makeGuid(A), at: 1 }
  assert.ok(parseEntry(good))
  for (const bad of [null, 1, 'x', { ...good, node: 'nope' }, { ...good, state: 'gone' }, { ...good, version: -1 }, { ...good, version: 1.5 },
    { ...good, by: 3 }, { ...good, guid: 'xyz' }, { ...good, at: 'now' }]) {
    assert.is(parseEntry(bad), undefined, JSON.stringify(bad))
  }
})

test.run()
