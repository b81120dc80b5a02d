// Waiting in tests: eventually (real time), withTimeout, until (event-loop
// turns only), rejects (a promise that must reject, and how).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { TimeoutError, TekkaError } from '@tekka/actors'
import { EventuallyTimeoutError, ResolvedError, WrongRejectionError, eventually, rejects, sleep, until, withTimeout } from '../src/wait.js'

test('eventually: returns the value once fn stops throwing', async () => {
  let n = 0
  const v = await eventually(() => { if (++n < 3) throw new Error('not yet'); return 'done' }, { interval: 5 })
  assert.is(v, 'done')
  assert.is(n, 3)
})

test('eventually: false means not yet', async () => {
  let n = 0
  await eventually(() => ++n >= 3, { interval: 5 })
  assert.is(n, 3)
})

test('eventually: times out with the last failure as message and cause', async () => {
  const cause = new Error('still 1 node')
  const err = await rejects(eventually(() => { throw cause }, { timeout: 100, interval: 10, message: 'cluster of 3' }), EventuallyTimeoutError, /cluster of 3 not met within 100 ms .*still 1 node/)
  assert.is(err.cause, cause)
  assert.is(err.code, 'ERR_EVENTUALLY_TIMEOUT')
})

test('withTimeout: the value when in time; a TimeoutError naming what did not finish otherwise', async () => {
  assert.is(await withTimeout(Promise.resolve(7), 1000, 'quick'), 7)
  const err = await rejects(withTimeout(sleep(1000), 20, 'the join'), TimeoutError, 'the join did not happen within 20 ms')
  assert.is(err.timeout, 20)
})

test('until: resolves once cond holds, counting event-loop turns, with no real time involved', async () => {
  let turns = 0
  const t = setInterval(() => {}, 1000) // a pending timer must not be waited for
  try {
    const t0 = Date.now()
    await until(() => ++turns === 50, 'fifty turns')
    assert.is(turns, 50)
    assert.ok(Date.now() - t0 < 900, 'no timer ran in between')
    let async = 0
    await until(async () => ++async === 3, 'async cond')
    assert.is(async, 3)
  } finally {
    clearInterval(t)
  }
})

test('until: throws a TimeoutError naming what, after that many turns', async () => {
  let n = 0
  await rejects(until(() => { n++; return false }, 'the peer', 10), TimeoutError, 'the peer (after 10 event loop turns)')
  assert.is(n, 10)
})

test('rejects: returns what the promise rejected with; checks its class and message when asked', async () => {
  const boom = new TypeError('boom: bad input')
  assert.is(await rejects(Promise.reject(boom)), boom)
  assert.is(await rejects(Promise.reject(boom), TypeError, 'bad input', /^boom/), boom)
  const wrongClass = await rejects(rejects(Promise.reject(boom), RangeError), WrongRejectionError, 'rejected with TypeError: boom: bad input, not a RangeError')
  assert.is(wrongClass.cause, boom)
  await rejects(rejects(Promise.reject(boom), TypeError, /nothing like it/), WrongRejectionError, 'does not match /nothing like it/')
  const resolved = await rejects(rejects(Promise.resolve({ ok: 1 })), ResolvedError, 'resolved (with {"ok":1}) where it should have rejected')
  assert.equal(resolved.value, { ok: 1 })
  assert.instance(resolved, TekkaError)
})

test.run()
