// Membership between nodes in one process (real sockets): join, leave,
// force-leave, leader and coordinator, events, persistence, and refusals.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@tekka/actors'
import { startNode, JoinError, MembershipStoreError, type DistNode, type NodeOptions, type MembershipEvent } from '../src/index.js'
import { freePortRange } from '@tekka/testing/ports'
import { eventually } from '@tekka/testing/wait'

const started: DistNode[] = []
const fast = { antiEntropy: 500, reconnect: 300 }
async function node (name: string, base: number, extra: Partial<NodeOptions> = {}): Promise<DistNode> {
  const n = await startNode({ name, cookie: 'mc', basePort: base, logger: silentLogger(), membership: fast, ...extra })
  started.push(n)
  return n
}
test.after.each(async () => { await Promise.all(started.splice(0).map(async (n) => await n.stop())) })

const names = (n: DistNode): string[] => n.membership.members().map((m) => m.node).sort()
const view = (n: DistNode): string => JSON.stringify({ m: n.membership.members().map((m) => [m.node, m.guid, m.status]), l: n.membership.leader() })

test('join: both sides list each other; leader is the oldest; ignored cases', async () => {
  const base = await freePortRange(4)
  const a = await node('a1@127.0.0.1', base)
  const b = await node('b2@127.0.0.1', base)
  assert.is(await b.membership.join(a.name), 'joined')
  await eventually(() => names(a).length === 2 && names(b).length === 2, { timeout: 5000 })
  assert.is(a.membership.leader(), a.name, 'a started first, so it is the oldest')
  assert.is(b.membership.leader(), a.name)
  assert.is(await b.membership.join(a.name), 'ignored', 'already a member')
  assert.is(await b.membership.join(b.name), 'ignored', 'itself')
  const c = await node('c3@127.0.0.1', base)
  assert.is(await c.membership.join(b.name), 'joined')
  await eventually(() => [a, b, c].every((n) => names(n).length === 3 && n.membership.nodelist('up').length === 3), { timeout: 5000, message: 'three members up everywhere' })
  await eventually(() => view(a) === view(b) && view(b) === view(c), { timeout: 5000, message: 'same view everywhere' })
})

test('join of another cluster or cookie fails with a clear error; an unreachable seed too', async () => {
  const base = await freePortRange(5)
  const a = await node('a1@127.0.0.1', base)
  const other = await node('b2@127.0.0.1', base, { cluster: 'other' })
  const wrong = await node('c3@127.0.0.1', base, { cookie: 'nope' })
  for (const [n, re] of [[other, /cluster/i], [wrong, /cookie/i]] as const) {
    try {
      await n.membership.join(a.name)
      assert.unreachable()
    } catch (err) {
      assert.instance(err, JoinError)
      assert.is((err as JoinError).code, 'ERR_JOIN_REFUSED')
      assert.match((err as Error).message, re)
    }
  }
  try {
    await a.membership.join('z9@127.0.0.1')
    assert.unreachable()
  } catch (err) {
    assert.is((err as JoinError).code, 'ERR_JOIN_UNREACHABLE')
  }
  assert.equal(names(a), [a.name])
})

test('leave tells every member; the leaver is a cluster of one; events are published', async () => {
  const base = await freePortRange(4)
  const a = await node('a1@127.0.0.1', base)
  const b = await node('b2@127.0.0.1', base)
  const c = await node('c3@127.0.0.1', base)
  const events: MembershipEvent[] = []
  a.membership.subscribe((e) => { events.push(e) })
  await b.membership.join(a.name)
  await c.membership.join(a.name)
  await eventually(() => [a, b, c].every((n) => names(n).length === 3), { timeout: 5000 })
  await c.membership.leave()
  await eventually(() => names(a).length === 2 && names(b).length === 2, { timeout: 5000, message: 'c gone from a and b' })
  assert.equal(names(c), [c.name])
  assert.ok(events.some((e) => e.type === 'membership' && e.event === 'joining' && e.node === c.name))
  assert.ok(events.some((e) => e.type === 'membership' && e.event === 'up' && e.node === c.name))
  assert.ok(events.some((e) => e.type === 'membership' && e.event === 'leaving' && e.node === c.name))
  // c can join again
  assert.is(await c.membership.join(b.name), 'joined')
  await eventually(() => [a, b, c].every((n) => names(n).length === 3), { timeout: 5000 })
})

test('a down member shows down with the coordinator moving; force-leave removes it everywhere', async () => {
  const base = await freePortRange(4)
  const a = await node('a1@127.0.0.1', base)
  const b = await node('b2@127.0.0.1', base)
  const c = await node('c3@127.0.0.1', base)
  await b.membership.join(a.name)
  await c.membership.join(a.name)
  await eventually(() => [a, b, c].every((n) => n.membership.nodelist('up').length === 3), { timeout: 5000 })
  await a.stop()
  started.splice(started.indexOf(a), 1)
  await eventually(() => b.membership.nodelist('down').includes(a.name) && c.membership.nodelist('down').includes(a.name), { timeout: 5000 })
  assert.is(b.membership.leader(), a.name, 'the leader is the oldest member, up or down')
  assert.is(b.membership.coordinator(), b.name, 'the coordinator is the oldest member that is up')
  assert.equal(b.membership.status().stopped, [a.name])
  assert.ok(await b.membership.forceLeave(a.name))
  await eventually(() => !b.membership.isMember(a.name) && !c.membership.isMember(a.name), { timeout: 5000 })
  assert.is(c.membership.leader(), b.name)
})

test('a restarted member with the same data dir goes back to its cluster by itself', async () => {
  const base = await freePortRange(4)
  const dir = mkdtempSync(join(tmpdir(), 'tekka-mem-'))
  const a = await node('a1@127.0.0.1', base, { dataDir: dir })
  const b = await node('b2@127.0.0.1', base, { dataDir: dir })
  await b.membership.join(a.name)
  await eventually(() => names(a).length === 2, { timeout: 5000 })
  await b.stop(); started.splice(started.indexOf(b), 1)
  await eventually(() => a.membership.nodelist('down').includes(b.name), { timeout: 5000 })
  const stored = JSON.parse(readFileSync(join(dir, b.name, 'membership.json'), 'utf8'))
  assert.equal(stored.entries.filter((e: { state: string }) => e.state === 'member').map((e: { node: string }) => e.node).sort(), [a.name, b.name])
  const b2 = await node('b2@127.0.0.1', base, { dataDir: dir })
  await eventually(() => a.membership.nodelist('up').includes(b2.name) && b2.membership.nodelist('up').length === 2, { timeout: 8000, message: 'b back in the cluster' })
  assert.ok(b2.membership.localMember().guid > b.membership.guid, 'a new incarnation has a younger guid')
})

test('a corrupt or foreign member file stops the start with an error naming the file', async () => {
  const base = await freePortRange(2)
  const dir = mkdtempSync(join(tmpdir(), 'tekka-mem-'))
  mkdirSync(join(dir, 'a1@127.0.0.1'))
  const file = join(dir, 'a1@127.0.0.1', 'membership.json')
  for (const [content, re] of [['{ not json', /not valid JSON/], ['{"format":"tekka-membership/1","node":"x@h","cluster":"tekka","entries":[]}', /belongs to node/],
    ['{"format":"tekka-membership/1","node":"a1@127.0.0.1","cluster":"other","entries":[]}', /cluster/],
    ['{"format":"tekka-membership/1","node":"a1@127.0.0.1","cluster":"tekka","entries":[{"node":1}]}', /entry 0 is malformed/]] as const) {
    writeFileSync(file, content)
    try {
      await node('a1@127.0.0.1', base, { dataDir: dir })
      assert.unreachable(content)
    } catch (err) {
      assert.instance(err, MembershipStoreError)
      assert.match((err as Error).message, re)
      assert.ok((err as Error).message.includes(file))
    }
  }
})

test.run()
