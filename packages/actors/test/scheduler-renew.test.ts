// The scheduler's budget is renewed once the event loop has turned, even
// when nothing was queued: a process woken from outside after an idle turn
// resumes on the microtask queue, not in a deferred batch.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createRuntime, silentLogger } from '../src/index.js'

const turn = (): Promise<void> => new Promise((resolve) => { setImmediate(resolve) })

test('a spent budget is renewed after an idle turn of the event loop', async () => {
  const rt = createRuntime({ node: 'renew@h', logger: silentLogger(), scheduler: { budget: 10 } })
  let woke = 0
  const pids = Array.from({ length: 30 }, () => rt.spawn(async (ctx) => { await ctx.receive(); woke++ }))
  // 30 starts and 30 receives spend the budget of 10 many times over.
  while (rt.scheduler.queued > 0) await turn()
  await turn()
  assert.is(rt.scheduler.spent, false, 'renewed after the loop turned')
  for (const pid of pids.slice(0, 5)) rt.send(pid, 'go')
  assert.is(rt.scheduler.queued, 0, 'woken without a deferred batch')
  await Promise.resolve()
  await Promise.resolve()
  assert.is(woke, 5, 'resumed on the microtask queue')
  for (const pid of pids.slice(5)) rt.send(pid, 'go')
  while (woke < 30) await turn()
})

test.run()
