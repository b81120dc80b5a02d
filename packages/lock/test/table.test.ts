// The lock table on its own: ekka's answers (conflict, re-acquire, release
// of what one does not hold, release by another owner), releases naming an
// acquire (a late release leaves a newer acquire alone), tokens (floor,
// local), dropping an owner, and released entries kept for reuse but
// bounded in number.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Pid } from '@tekka/actors'
import { LockTable, type OwnerRec } from '../src/table.js'

let nextId = 1
function rec (): OwnerRec {
  const pid = new Pid('t@h', nextId++, 1)
  return { pid, key: pid.key, ref: undefined, resources: new Set(), held: 0, orphanGen: 0, holdings: undefined, gone: false }
}

test('acquire, conflict, re-acquire, release (ekka\'s answers)', () => {
  const t = new LockTable()
  const a = rec()
  const b = rec()
  const e1 = t.acquire('r', a, 'local', 0, 0, -1)!
  const first = e1.token
  assert.ok(e1.held)
  assert.is(t.acquire('r', b, 'local', 0, 0, -1), undefined, 'held by a')
  const e2 = t.acquire('r', a, 'local', 0, 5, -1)!
  assert.ok(e2.token > first, 're-acquire: a new token')
  assert.is(e2.createdAt, 0, 're-acquire keeps the creation time (no lease renewal)')
  assert.is(t.release('r', b.key, 0), false, 'another owner cannot release')
  assert.is(t.release('r', a.key, 0), true)
  assert.is(t.release('r', a.key, 0), true, 'not held: ok')
  assert.is(t.get('r'), undefined)
  assert.is(t.size, 0)
  assert.ok(t.acquire('r', b, 'local', 0, 0, -1) !== undefined, 'b gets it now')
  assert.is(a.held, 0)
  assert.is(b.held, 1)
})

test('a release naming an older acquire leaves a newer one alone', () => {
  const t = new LockTable()
  const a = rec()
  t.acquire('q', a, 'quorum', 10, 0, 100)
  t.acquire('q', a, 'quorum', 11, 0, 100)
  assert.is(t.release('q', a.key, 10), true)
  assert.ok(t.get('q') !== undefined, 'still held by acquire 11')
  assert.is(t.release('q', a.key, 11), true)
  assert.is(t.get('q'), undefined)
})

test('tokens: above the floor and above everything seen; settle raises them', () => {
  const t = new LockTable()
  const a = rec()
  const e = t.acquire('x', a, 'quorum', 1, 0, 1000)!
  assert.is(e.token, 1000)
  t.settle('x', a.key, 1, 5000)
  assert.is(e.token, 5000)
  assert.is(t.highWater, 5000)
  const f = t.acquire('y', a, 'quorum', 2, 0, 1200)!
  assert.is(f.token, 5001, 'the floor is lower than what was seen')
  t.raise(9000)
  assert.is(t.acquire('z', a, 'local', 0, 0, -1)!.token, 9001)
})

test('dropOwner frees its locks (and returns them), and forgets its released entries', () => {
  const t = new LockTable()
  const a = rec()
  const b = rec()
  t.acquire('a1', a, 'local', 0, 0, -1)
  t.acquire('a2', a, 'local', 0, 0, -1)
  t.release('a2', a.key, 0)
  t.acquire('b1', b, 'local', 0, 0, -1)
  const dropped = t.dropOwner(a)
  assert.equal(dropped.map((e) => e.resource), ['a1'])
  assert.is(t.size, 1)
  assert.equal([...t.entries()].map((e) => e.resource), ['b1'])
  assert.is(a.resources.size, 0)
  assert.ok(t.acquire('a1', b, 'local', 0, 0, -1) !== undefined)
})

test('released entries are reused, by the same or another owner, and their number is bounded', () => {
  const t = new LockTable()
  const a = rec()
  const b = rec()
  const e = t.acquire('hot', a, 'local', 0, 0, -1)!
  t.release('hot', a.key, 0)
  const again = t.acquire('hot', b, 'local', 0, 7, -1)!
  assert.is(again, e, 'the same entry object, reused')
  assert.is(again.owner, b)
  assert.is(again.createdAt, 7)
  assert.ok(b.resources.has('hot') && !a.resources.has('hot'))
  for (let i = 0; i < 50_000; i++) {
    t.acquire(`u${i}`, a, 'local', 0, 0, -1)
    t.release(`u${i}`, a.key, 0)
  }
  assert.is(t.size, 1)
  assert.ok(a.resources.size <= 4096, `released entries kept: ${a.resources.size}`)
  assert.equal(t.expired(100, 10).map((x) => x.resource), ['hot'], 'only held locks expire')
})

test.run()
