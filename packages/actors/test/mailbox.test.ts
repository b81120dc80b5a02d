// The mailbox's ring buffer (src/mailbox.ts) against a plain array doing the
// same operations: pushes, shifts, selective takes from anywhere (either
// side of the ring moved), removals, growth while the ring has wrapped, and
// the shrink back to a small ring once a burst is drained.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Mailbox, NO_MATCH } from '../src/mailbox.js'

/** A small seeded generator (xorshift32), so a failure replays. */
function rng (seed: number): (n: number) => number {
  let x = seed >>> 0 || 1
  return (n) => {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    return x % n
  }
}

test('10,000 random operations on 20 seeds: the mailbox holds what an array would, in order', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const r = rng(seed)
    const m = new Mailbox()
    const model: number[] = []
    let next = 0
    for (let step = 0; step < 10_000; step++) {
      const op = r(10)
      if (op < 5 && model.length < 3000) {
        // bursts grow the ring past its first size while it has wrapped
        for (let k = r(op === 0 ? 200 : 3) + 1; k > 0; k--) { m.push(next); model.push(next++) }
      } else if (op < 7) { // (a push skipped at 3000 messages shifts instead)
        if (model.length > 0) assert.is(m.shift(), model.shift(), `seed ${seed} step ${step}: shift`)
      } else if (op < 9) {
        const want = model.length > 0 && r(4) > 0 ? model[r(model.length)] : -1
        const got = m.takeMatching((x) => x === want)
        const i = model.indexOf(want)
        if (i < 0) assert.is(got, NO_MATCH, `seed ${seed} step ${step}: no match`)
        else { assert.is(got, want, `seed ${seed} step ${step}: take`); model.splice(i, 1) }
      } else {
        const mod = r(5) + 2
        const removed = m.remove((x) => (x as number) % mod === 0)
        const kept = model.filter((x) => x % mod !== 0)
        assert.is(removed, model.length - kept.length, `seed ${seed} step ${step}: removed`)
        model.splice(0, model.length, ...kept)
      }
      assert.is(m.length, model.length, `seed ${seed} step ${step}: length`)
    }
    assert.equal(m.toArray(), model, `seed ${seed}: contents`)
  }
})

test('a selective take keeps the others in order, from the front, the middle and the end of a wrapped ring', () => {
  for (const at of [0, 1, 7, 8, 14, 15]) {
    const m = new Mailbox()
    for (let i = 0; i < 10; i++) m.push(-1)
    for (let i = 0; i < 10; i++) m.shift() // the head is now 10 places in: the ring wraps below
    for (let i = 0; i < 16; i++) m.push(i)
    assert.is(m.takeMatching((x) => x === at), at)
    assert.equal(m.toArray(), Array.from({ length: 16 }, (_, i) => i).filter((i) => i !== at), `took ${at}`)
    assert.is(m.takeMatching((x) => x === at), NO_MATCH)
  }
})

test('a drained burst gives its memory back; a match function sees each message once, oldest first', () => {
  const m = new Mailbox()
  assert.is(m.capacity, 16)
  for (let i = 0; i < 100_000; i++) m.push(i)
  assert.is(m.capacity, 131_072)
  const seen: unknown[] = []
  assert.is(m.takeMatching((x) => { seen.push(x); return x === 3 }), 3)
  assert.equal(seen, [0, 1, 2, 3])
  while (m.length > 0) m.shift()
  assert.is(m.capacity, 16, 'back to a small ring')
  m.push('a')
  m.push('b')
  assert.equal(m.toArray(), ['a', 'b'])
  assert.equal([...m], ['a', 'b'])
  m.clear()
  assert.is(m.length, 0)
  assert.equal(m.toArray(), [])
})

test.run()
