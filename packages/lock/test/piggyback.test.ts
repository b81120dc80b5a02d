// Piggyback (ekka's {M, F, A}): an RPC function run on each node that grants
// the lock, right after it granted it; its results come back with the nodes.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { ProcessContext } from '@tekka/actors'
import { withLock, type LockType, type PiggybackResult } from '../src/index.js'
import { inProcess, owner, startCluster, stopAll, type TestNode } from './helpers/cluster.js'
import { acquire } from '../src/index.js'

let nodes: TestNode[]

test.before(async () => {
  nodes = await startCluster()
  for (const n of nodes) {
    n.node.register('pb.where', (tag: string) => ({ node: n.name, tag }))
    n.node.register('pb.fail', () => { throw new Error('piggyback failed on purpose') })
  }
})
test.after(async () => { await stopAll() })

const byNode = (rs: readonly PiggybackResult[] | undefined): PiggybackResult[] => [...(rs ?? [])].sort((a, b) => a.node < b.node ? -1 : 1)

test('each granting node runs the piggyback and returns its result', async () => {
  const o = owner(nodes[1])
  for (const type of ['local', 'leader', 'quorum', 'all'] as LockType[]) {
    const r = await inProcess(nodes[1], async (ctx: ProcessContext) => {
      const got = await acquire(ctx, `pb-${type}`, type, { fn: 'pb.where', args: [type] })
      return got
    })
    assert.is(r.ok, true, type)
    const results = byNode(r.results)
    assert.equal(results.map((x) => x.node), [...r.nodes].sort(), `${type}: one result per granting node`)
    for (const x of results) assert.equal(x, { node: x.node, ok: true, value: { node: x.node, tag: type } })
  }
  await o.exit()
})

test('a piggyback that throws is reported; the lock is still granted', async () => {
  const r = await inProcess(nodes[2], async (ctx) => await acquire(ctx, 'pb-fail', 'quorum', { fn: 'pb.fail' }))
  assert.is(r.ok, true)
  for (const x of r.results!) {
    assert.is(x.ok, false)
    assert.match(x.error!, /failed on purpose/)
  }
  const u = await inProcess(nodes[2], async (ctx) => await acquire(ctx, 'pb-undef', 'local', { fn: 'pb.nope' }))
  assert.is(u.ok, true)
  assert.is(u.results![0].ok, false)
})

test('no piggyback on a refused lock; withLock hands the results to its function', async () => {
  const holder = owner(nodes[0])
  assert.is((await holder.acquire('pb-held', 'leader')).ok, true)
  const refused = await inProcess(nodes[1], async (ctx) => await acquire(ctx, 'pb-held', 'leader', { fn: 'pb.where', args: ['x'] }))
  assert.is(refused.ok, false)
  assert.is(refused.results, undefined)
  await holder.release('pb-held', 'leader')
  const seen = await inProcess(nodes[1], async (ctx) => await withLock(ctx, 'pb-with', (l) => l.results, { type: 'all', piggyback: { fn: 'pb.where', args: ['w'] } }))
  assert.is(seen!.length, 3)
  await holder.exit()
})

test.run()
