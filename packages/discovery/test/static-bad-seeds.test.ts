// Seeds that name nodes never started, and seeds that are not node names:
// the node starts anyway, logs each bad seed (naming it and what is wrong),
// reports each node that does not answer (its autocluster.round event, in
// its log), and clusters with the rest.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'
import { ProcCluster, agreed } from './support/cluster.js'

const base = await ports.freePortRange(10)
const c = new ProcCluster(base)
test.after(async () => { await c.stop() })

test('unreachable and malformed seeds are logged and skipped; the rest still cluster', async () => {
  const good = ['b1@127.0.0.1', 'b2@127.0.0.1', 'b3@127.0.0.1']
  const seeds = [...good, 'b9@127.0.0.1', 'b8@127.0.0.1', 'bad seed', 'x@', 'justname', 'a@b@c']
  const nodes = await Promise.all(good.map(async (name) => await c.start({ name, seeds, log: 'info' })))
  await wait.eventually(async () => await agreed(c, good), { timeout: 60_000, interval: 200, message: 'three nodes agree' })
  const b1 = nodes[0]
  await b1.waitForLine(/static seed "bad seed" skipped: no @host part/, 20_000)
  await b1.waitForLine(/static seed "x@" skipped: empty host after @/, 20_000)
  await b1.waitForLine(/static seed "justname" skipped: no @host part/, 20_000)
  await b1.waitForLine(/static seed "a@b@c" skipped: host "b@c" is neither a hostname nor an IP address/, 20_000)
  // The round that saw them, as the operator's log has it: the autocluster.round event with who does not answer, and why.
  await b1.waitForLine(/info tekka:event autocluster\.round .*dead=\[\{"node":"b8@127\.0\.0\.1","why":"[^"]*ECONNREFUSED[^"]*"\},\{"node":"b9@127\.0\.0\.1"/, 20_000)
  // b2 runs its own rounds: its status shows the missing seeds once one of its rounds has probed both.
  // Polled by the command's RPC through the hidden client, then once more by the real command.
  await wait.eventually(async () => {
    const text = (await c.ctlRpc(good[1], ['autocluster', 'status']))?.text ?? ''
    return /not responding: b8@127\.0\.0\.1 .*b9@127\.0\.0\.1/.test(text)
  }, { timeout: 20_000, interval: 300, message: 'b2 reports the seeds that do not answer' })
  const st = await c.ctl(good[1], ['autocluster', 'status'])
  assert.is(st.code, 0)
  assert.match(st.out, /not responding: b8@127\.0\.0\.1 .*b9@127\.0\.0\.1/)
  assert.match(st.out, /strategy static, enabled, running/, 'not complete while seeds do not answer')
  // The operator's switch, through the real command.
  const off = await c.ctl(good[1], ['autocluster', 'disable'])
  assert.is(off.code, 0)
  assert.match(off.out, /autocluster disabled/)
  assert.match((await c.ctl(good[1], ['autocluster', 'status'])).out, /strategy static, disabled/)
  const on = await c.ctl(good[1], ['autocluster', 'enable'])
  assert.is(on.code, 0)
  assert.match(on.out, /autocluster enabled/)
  // The missing seeds start later: they are taken in.
  await c.start({ name: 'b9@127.0.0.1', seeds })
  await wait.eventually(async () => await agreed(c, [...good, 'b9@127.0.0.1']), { timeout: 45_000, interval: 200, message: 'b9 taken in' })
})

test.run()
