// The decisions of a round, as pure functions: whom to join (in a cluster
// first, then oldest; never itself), when the work is done, and what is
// accepted from a peer's status answer.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decide, isComplete, parsePeerStatus, byRank, type PeerView, type SelfView } from '../src/plan.js'

const g = (n: number): string => n.toString(16).padStart(32, '0')
const self = (guid: number, inCluster = false, members: string[] = ['me@h']): SelfView => ({ node: 'me@h', guid: g(guid), inCluster, members: new Set(members) })
const peer = (node: string, guid: number, more: Partial<PeerView> = {}): PeerView => ({ node, guid: g(guid), inCluster: false, listsMe: false, status: 'up', ...more })

test('nodes all alone: join the oldest; the oldest joins nobody', () => {
  const d = decide(self(5), [peer('a@h', 3), peer('b@h', 1), peer('c@h', 9)])
  assert.equal(d, { action: 'join', target: 'b@h', reason: 'the oldest node (none is in a cluster yet) among 4' })
  const w = decide(self(1), [peer('a@h', 3), peer('b@h', 2)])
  assert.is(w.action, 'wait')
  assert.match(w.reason, /this node is the oldest/)
})

test('a node in a cluster beats an older node alone (a node that left is not followed)', () => {
  const d = decide(self(5, true, ['me@h', 'b@h']), [peer('old@h', 1), peer('b@h', 4, { inCluster: true, listsMe: true })])
  assert.is(d.action, 'none', 'already with b, which ranks first')
  const lone = decide(self(0), [peer('a@h', 4, { inCluster: true }), peer('b@h', 2, { inCluster: true })])
  assert.equal(lone, { action: 'join', target: 'b@h', reason: 'the oldest node in a cluster among 3' })
})

test('joined means both sides list each other', () => {
  // b is in this node's table but does not list it: join it (again).
  assert.is(decide(self(5, true, ['me@h', 'b@h']), [peer('b@h', 1, { inCluster: true, listsMe: false })]).action, 'join')
  assert.is(decide(self(5, false, ['me@h']), [peer('b@h', 1, { inCluster: true, listsMe: true })]).action, 'join')
})

test('nodes that are joining or leaving are not joined; nobody ready: wait', () => {
  assert.equal(decide(self(5), [peer('b@h', 1, { status: 'leaving' })]), { action: 'wait', reason: 'no discovered node is ready' })
  assert.is(decide(self(5), []).action, 'wait')
})

test('byRank: in a cluster, then guid, then name', () => {
  const xs = [{ node: 'b', guid: g(1), inCluster: false }, { node: 'a', guid: g(1), inCluster: false }, { node: 'c', guid: g(7), inCluster: true }]
  assert.equal(xs.sort(byRank).map((x) => x.node), ['c', 'a', 'b'])
})

test('complete: registered, and every discovered node answered and is joined both ways', () => {
  const me = self(5, true, ['me@h', 'a@h', 'b@h'])
  const a = peer('a@h', 1, { inCluster: true, listsMe: true })
  const b = peer('b@h', 2, { inCluster: true, listsMe: true })
  assert.ok(isComplete(me, true, ['a@h', 'b@h'], [a, b]))
  assert.not.ok(isComplete(me, false, ['a@h', 'b@h'], [a, b]), 'not registered')
  assert.not.ok(isComplete(me, true, ['a@h', 'b@h', 'c@h'], [a, b]), 'c did not answer')
  assert.not.ok(isComplete(me, true, ['a@h', 'b@h'], [a, { ...b, listsMe: false }]), 'b does not list me')
  assert.not.ok(isComplete(self(5, true, ['me@h', 'a@h']), true, ['a@h', 'b@h'], [a, b]), 'I do not list b')
  assert.ok(isComplete(self(5), true, [], []), 'nothing discovered: registered is enough')
})

test('parsePeerStatus takes a ClusterStatus and refuses anything else', () => {
  const ok = { node: 'a@h', cluster: 't', members: [{ node: 'a@h', guid: g(1), status: 'up' }, { node: 'me@h', guid: g(2), status: 'up' }], running: ['a@h', 'me@h'], stopped: [] }
  assert.equal(parsePeerStatus(ok, 'a@h', 'me@h'), { node: 'a@h', guid: g(1), inCluster: true, listsMe: true, status: 'up' })
  const alone = { ...ok, members: [ok.members[0]], running: ['a@h'] }
  assert.equal(parsePeerStatus(alone, 'a@h', 'me@h'), { node: 'a@h', guid: g(1), inCluster: false, listsMe: false, status: 'up' })
  for (const bad of [null, 'x', 42, [], { ...ok, node: 'b@h' }, { ...ok, members: 'x' }, { ...ok, running: undefined },
    { ...ok, members: [{ node: 'a@h', guid: 'zz', status: 'up' }] }, { ...ok, members: [null, 7] }]) {
    assert.type(parsePeerStatus(bad, 'a@h', 'me@h'), 'string', JSON.stringify(bad))
  }
})

test.run()
