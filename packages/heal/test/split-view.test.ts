// The split view and the heal decision (pure): symmetric, equal, three-way,
// asymmetric and overlapping partitions; when to wait; and properties over
// random views (every participant is a survivor or a victim, survivors see
// each other, the decision does not depend on the order of the inputs).
// Several cases are mria_autoheal's own, with nodes 1..n oldest first.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decide, formatSplitView, type HealDecision, type NodeView } from '../src/split-view.js'

const N = (i: number): string => `n${i}@h`
/** Members n1..nk, oldest first. */
const members = (k: number): string[] => Array.from({ length: k }, (_, i) => N(i + 1))
/** A view: running and partitioned as node numbers (running gets the node itself). */
function v (node: number, running: number[], partitioned: number[] = [], down: number[] = []): NodeView {
  return { node: N(node), running: [...new Set([node, ...running])].map(N), partitioned: partitioned.map(N), down: down.map(N) }
}
const nums = (xs: string[]): number[] => xs.map((x) => Number(/^n(\d+)@/.exec(x)![1]))

function heal (d: HealDecision): { survivors: number[], victims: number[], tainted: number[], coordinator: number, groups: number[][] } {
  if (d.action !== 'heal') throw new Error(`expected a heal, got ${d.action}${d.action === 'wait' ? `: ${d.reason}` : ''}`)
  return {
    survivors: nums(d.survivors),
    victims: nums(d.victims),
    tainted: nums(d.tainted),
    coordinator: nums([d.coordinator])[0],
    groups: d.splitView.groups.map((g) => nums(g.nodes))
  }
}

test('no partition: nothing to heal', () => {
  const d = decide([v(1, [2, 3]), v(2, [1, 3]), v(3, [1, 2])], members(3))
  assert.is(d.action, 'none')
  if (d.action === 'none') assert.equal(d.splitView.groups.map((g) => nums(g.nodes)), [[1, 2, 3]])
})

test('3|2: the three survive, the two are rebooted, the oldest survivor coordinates', () => {
  const d = heal(decide([
    v(1, [2, 3], [4, 5]), v(2, [1, 3], [4, 5]), v(3, [1, 2], [4, 5]),
    v(4, [5], [1, 2, 3]), v(5, [4], [1, 2, 3])
  ], members(5)))
  assert.equal(d.survivors, [1, 2, 3])
  assert.equal(d.victims, [4, 5])
  assert.equal(d.tainted, [])
  assert.is(d.coordinator, 1)
})

test('3|2 where the oldest member is on the minority side: size wins, the oldest survivor coordinates', () => {
  const d = heal(decide([
    v(1, [2], [3, 4, 5]), v(2, [1], [3, 4, 5]),
    v(3, [4, 5], [1, 2]), v(4, [3, 5], [1, 2]), v(5, [3, 4], [1, 2])
  ], members(5)))
  assert.equal(d.survivors, [3, 4, 5])
  assert.equal(d.victims, [1, 2])
  assert.is(d.coordinator, 3)
})

test('2|2: the half holding the oldest member wins, whichever order the views come in', () => {
  const views = [v(1, [3], [2, 4]), v(3, [1], [2, 4]), v(2, [4], [1, 3]), v(4, [2], [1, 3])]
  for (const order of [views, [...views].reverse(), [views[2], views[0], views[3], views[1]]]) {
    const d = heal(decide(order, members(4)))
    assert.equal(d.survivors, [1, 3])
    assert.equal(d.victims, [2, 4])
  }
  // Ages decide, not names: with n4 the oldest, its half wins.
  const d = heal(decide(views, [N(4), N(1), N(2), N(3)]))
  assert.equal(d.survivors, [4, 2])
  assert.equal(d.victims, [1, 3])
  assert.is(d.coordinator, 4)
})

test('1|1: the older node survives', () => {
  assert.equal(heal(decide([v(1, [], [2]), v(2, [], [1])], members(2))).survivors, [1])
  assert.equal(heal(decide([v(1, [], [2]), v(2, [], [1])], [N(2), N(1)])).survivors, [2])
})

test('2|2|1: of the two largest groups, the one with the older member survives; the rest is rebooted in one heal', () => {
  // n1 (the oldest) is alone: the pairs compete, n2's pair wins.
  const d = heal(decide([
    v(1, [], [2, 3, 4, 5]),
    v(2, [4], [1, 3, 5]), v(4, [2], [1, 3, 5]),
    v(3, [5], [1, 2, 4]), v(5, [3], [1, 2, 4])
  ], members(5)))
  assert.equal(d.survivors, [2, 4])
  assert.equal(d.victims, [1, 3, 5])
  assert.equal(d.groups, [[2, 4], [3, 5], [1]])
})

test('three-way 3|1|1 and a full split', () => {
  const d = heal(decide([v(1, [2, 3], [4, 5]), v(2, [1, 3], [4, 5]), v(3, [1, 2], [4, 5]), v(4, [], [1, 2, 3, 5]), v(5, [], [1, 2, 3, 4])], members(5)))
  assert.equal(d.survivors, [1, 2, 3])
  assert.equal(d.victims, [4, 5])
  const full = heal(decide([v(1, [], [2, 3, 4]), v(2, [], [1, 3, 4]), v(3, [], [1, 2, 4]), v(4, [], [1, 2, 3])], members(4)))
  assert.equal(full.survivors, [1])
  assert.equal(full.victims, [2, 3, 4])
})

test('mria: symmetric partitions', () => {
  assert.equal(heal(decide([v(1, [1], [2, 3]), v(2, [2, 3], [1]), v(3, [2, 3], [1])], members(3))).groups, [[2, 3], [1]])
  assert.equal(heal(decide([v(1, [1, 2], [3, 4]), v(2, [1, 2], [3, 4]), v(3, [3, 4], [1, 2]), v(4, [3, 4], [1, 2])], members(4))).groups, [[1, 2], [3, 4]])
  assert.equal(heal(decide([
    v(1, [1, 2, 3], [4, 5, 6]), v(2, [1, 2, 3], [4, 5, 6]), v(3, [1, 2, 3], [4, 5, 6]),
    v(4, [4, 5], [1, 2, 3, 6]), v(5, [4, 5], [1, 2, 3, 6]), v(6, [4, 5, 6], [1, 2, 3])
  ], members(6))).groups, [[1, 2, 3], [4, 5], [6]])
})

test('mria: overlapping partitions', () => {
  assert.equal(heal(decide([v(1, [1, 4], [2, 3]), v(2, [2, 3], [1, 4]), v(3, [2, 3, 4], [1]), v(4, [1, 3, 4], [2])], members(4))).groups, [[1], [2], [3], [4]])
  assert.equal(heal(decide([v(1, [4, 1, 2], [3]), v(2, [1, 2, 3], [4]), v(3, [2, 3, 4], [1]), v(4, [3, 4, 1], [2])], members(4))).groups, [[1], [2], [3], [4]])
  assert.equal(heal(decide([
    v(1, [1, 2, 3, 4, 5]), v(2, [1, 2, 3, 4, 5]), v(3, [1, 2, 3, 4, 5]), v(4, [1, 2, 3, 4], [5]), v(5, [1, 2, 3, 5], [4])
  ], members(5))).groups, [[1, 2, 3], [4], [5]])
  assert.equal(heal(decide([
    v(1, [1, 2], [3, 4, 5, 6]), v(2, [1, 2], [3, 4, 5, 6]), v(3, [3, 4, 5, 6], [1, 2]), v(4, [3, 4, 5, 6], [1, 2]),
    v(5, [3, 4, 5], [1, 2, 6]), v(6, [3, 4, 6], [1, 2, 5])
  ], members(6))).groups, [[1, 2], [3, 4], [5], [6]])
  assert.equal(heal(decide([
    v(1, [1, 2, 3, 4, 5]), v(2, [1, 2, 3, 4], [5]), v(3, [1, 2, 3, 5], [4]), v(4, [1, 2, 4, 5], [3]), v(5, [1, 3, 4, 5], [2])
  ], members(5))).groups, [[1], [2], [3], [4], [5]])
})

test('mria: asymmetric partition taints the node the partitioned one still sees', () => {
  // n3 is cut off from n1 and n2; n4 lists n3 as partitioned, but n3 still sees n4 running: n4 is tainted.
  const d = heal(decide([v(1, [1, 2, 4], [3]), v(2, [1, 2, 4], [3]), v(3, [3, 4], [1, 2]), v(4, [1, 2, 4], [3])], members(4)))
  assert.equal(d.groups, [[1, 2], [3], [4]])
  assert.equal(d.survivors, [1, 2])
  assert.equal(d.victims, [3, 4])
  assert.equal(d.tainted, [4])
})

test('a bridge node that kept links to both sides is tainted and rebooted with the minority', () => {
  // n1, n2, n3 | n4, n5 apart, but n3 kept its links to n4 and n5 throughout.
  const d = heal(decide([
    v(1, [2, 3], [4, 5]), v(2, [1, 3], [4, 5]), v(3, [1, 2, 4, 5]),
    v(4, [3, 5], [1, 2]), v(5, [3, 4], [1, 2])
  ], members(5)))
  assert.equal(d.survivors, [1, 2])
  assert.equal(d.victims, [3, 4, 5])
  assert.equal(d.tainted, [3])
})

test('a single link that was cut: both of its ends are rebooted, the others survive', () => {
  const d = heal(decide([v(1, [2, 3, 5], [4]), v(2, [1, 3, 4, 5]), v(3, [1, 2, 4, 5]), v(4, [2, 3, 5], [1]), v(5, [1, 2, 3, 4])], members(5)))
  assert.equal(d.survivors, [2, 3, 5])
  assert.equal(d.victims, [1, 4])
})

test('a partition recorded on one side only still splits the view', () => {
  const d = heal(decide([v(1, [2, 3]), v(2, [1, 3]), v(3, [2], [1])], members(3)))
  assert.equal(d.survivors, [2, 3])
  assert.equal(d.victims, [1])
})

test('wait while links are still down: between participants, or to a member that did not answer', () => {
  let d = decide([v(1, [2], [], [3]), v(2, [1, 3]), v(3, [2], [], [1])], members(3))
  assert.is(d.action, 'wait')
  if (d.action === 'wait') assert.match(d.reason, /n1@h has no link to n3@h/)
  // n3 did not answer, but n2 still has a link to it: the leader is the one cut off.
  d = decide([v(1, [2], [], [3]), v(2, [1, 3])], members(3))
  assert.is(d.action, 'wait')
  if (d.action === 'wait') assert.match(d.reason, /n3@h did not answer but n2@h has a link to it/)
})

test('a member down for everyone is left out; the partition among the rest is healed', () => {
  const d = decide([v(1, [2], [3], [4]), v(2, [1], [3], [4]), v(3, [], [1, 2], [4])], members(4))
  const h = heal(d)
  assert.equal(h.survivors, [1, 2])
  assert.equal(h.victims, [3])
  if (d.action === 'heal') assert.equal(d.splitView.down, [N(4)])
})

test('views of nodes that are not members are ignored; a member with no view and no link is down', () => {
  const d = decide([v(1, [2]), v(2, [1]), { node: 'x9@h', running: ['x9@h'], partitioned: [N(1)], down: [] }], members(3))
  assert.is(d.action, 'none')
  if (d.action === 'none') {
    assert.equal(d.splitView.participants, [N(1), N(2)])
    assert.equal(d.splitView.down, [N(3)])
  }
})

test('formatSplitView names groups and who sees them', () => {
  const d = decide([v(1, [], [2]), v(2, [], [1])], members(2))
  assert.is(formatSplitView(d.splitView!), '[n1@h] seen by [n1@h] | [n2@h] seen by [n2@h]')
})

// ---- properties over random views -----------------------------------------------------

function rng (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), s | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function shuffle<T> (r: () => number, xs: T[]): T[] {
  const out = [...xs]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

/** Random views where every pair has a link (running or partitioned), as when a partition has ended. */
function randomViews (r: () => number, k: number): NodeView[] {
  const part = new Set<string>()
  const sides = 1 + Math.floor(r() * 3)
  const side = Array.from({ length: k }, () => Math.floor(r() * sides))
  for (let a = 1; a <= k; a++) {
    for (let b = 1; b <= k; b++) {
      if (a === b) continue
      const apart = side[a - 1] !== side[b - 1] ? r() < 0.9 : r() < 0.1
      if (apart) part.add(`${a}>${b}`)
    }
  }
  return Array.from({ length: k }, (_, i) => {
    const a = i + 1
    const others = Array.from({ length: k }, (_, j) => j + 1).filter((b) => b !== a)
    return v(a, others.filter((b) => !part.has(`${a}>${b}`)), others.filter((b) => part.has(`${a}>${b}`)))
  })
}

test('properties: survivors and victims split the participants; survivors all see each other; order does not matter', () => {
  const r = rng(42)
  for (let round = 0; round < 2000; round++) {
    const k = 1 + Math.floor(r() * 9)
    const views = randomViews(r, k)
    const age = shuffle(r, members(k))
    const d = decide(views, age)
    assert.not.equal(d.action, 'wait', 'every pair has a link')
    const again = decide(shuffle(r, views).map((x) => ({ ...x, running: shuffle(r, [...x.running]), partitioned: shuffle(r, [...x.partitioned]) })), age)
    assert.equal(again, d, 'the same decision whatever the order of views and lists')
    const viewOf = new Map(views.map((x) => [x.node, x]))
    if (d.action === 'none') {
      // Nothing to heal only when nobody has a partition with anybody.
      assert.ok(views.every((x) => x.partitioned.length === 0), `round ${round}: none, but partitions exist`)
      continue
    }
    if (d.action !== 'heal') continue
    assert.ok(d.survivors.length > 0)
    assert.equal([...d.survivors, ...d.victims].sort(), [...d.splitView.participants].sort())
    assert.ok(d.survivors.every((s) => !d.victims.includes(s)))
    for (const a of d.survivors) {
      for (const b of d.survivors) {
        if (a !== b) assert.ok(viewOf.get(a)!.running.includes(b), `round ${round}: survivor ${a} does not see survivor ${b} running`)
      }
    }
    // No group is larger than the survivors, and an equal one holds no older member.
    const rank = (n: string): number => age.indexOf(n)
    for (const g of d.splitView.groups.slice(1)) {
      assert.ok(g.nodes.length <= d.survivors.length)
      if (g.nodes.length === d.survivors.length) assert.ok(Math.min(...g.nodes.map(rank)) > Math.min(...d.survivors.map(rank)))
    }
    assert.is(d.coordinator, [...d.survivors].sort((a, b) => rank(a) - rank(b))[0])
  }
})

test.run()
