// Two clusters with different cluster.name on one host, with the same
// cookie and seeds that name nodes of both: each forms on its own and they
// never merge (the handshake refuses the other cluster's nodes).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'
import { ProcCluster, agreed } from './support/cluster.js'

const base = await ports.freePortRange(10)
const c = new ProcCluster(base)
test.after(async () => { await c.stop() })

test('clusters with different names never merge, whatever the seeds say', async () => {
  const alpha = ['a1@127.0.0.1', 'a2@127.0.0.1', 'a3@127.0.0.1']
  const beta = ['b4@127.0.0.1', 'b5@127.0.0.1', 'b6@127.0.0.1']
  const seeds = [alpha[0], beta[0], alpha[1], beta[1], alpha[2], beta[2]]
  await Promise.all([
    ...alpha.map(async (name) => await c.start({ name, seeds, cluster: 'alpha' })),
    ...beta.map(async (name) => await c.start({ name, seeds, cluster: 'beta' }))
  ])
  await wait.eventually(async () => { await agreed(c, alpha, { cluster: 'alpha' }); await agreed(c, beta, { cluster: 'beta' }) },
    { timeout: 60_000, interval: 200, message: 'alpha and beta each formed' })
  // Several autocluster rounds later, still apart.
  await wait.sleep(3000)
  const a = await agreed(c, alpha, { cluster: 'alpha' })
  const b = await agreed(c, beta, { cluster: 'beta' })
  assert.equal(a.members.map((m) => m.node).sort(), alpha)
  assert.equal(b.members.map((m) => m.node).sort(), beta)
  const st = await c.ctl(alpha[0], ['autocluster', 'status'], 'alpha')
  assert.match(st.out, /not responding: b4@127\.0\.0\.1 \(.*cluster/i, 'the other cluster\'s nodes are refused, and the status says why')
})

test.run()
