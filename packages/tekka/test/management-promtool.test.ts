// /metrics of a node in a cluster with traffic passes Prometheus's own
// checker, `promtool check metrics` (Debian prometheus): it parses, and
// follows the naming rules (counters end in _total, every family has HELP).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { promtoolCheckMetrics } from '@tekka/testing/promtool'
import { eventually } from '@tekka/testing/wait'
import { freePortRange } from '@tekka/testing/ports'
import { request, startManaged, type Managed } from './helpers/managed.js'
import { makeTraffic } from './helpers/traffic.js'

const running: Managed[] = []
test.after(async () => { for (const n of running.splice(0)) await n.t.stop() })

test('promtool check metrics accepts /metrics of both nodes after traffic', async () => {
  const base = await freePortRange(3)
  const seeds = ['z1@127.0.0.1', 'z2@127.0.0.1']
  const a = await startManaged('z1@127.0.0.1', base, seeds)
  running.push(a)
  const b = await startManaged('z2@127.0.0.1', base, seeds)
  running.push(b)
  await eventually(async () => (await request(a.url, '/health/ready')).status === 200, { timeout: 15_000 })
  await makeTraffic(a, b, 50)
  await eventually(async () => (await request(a.url, '/metrics')).text.includes('tekka_dist_rtt_seconds{'), { timeout: 5000 })
  for (const n of [a, b]) {
    const text = (await request(n.url, '/metrics')).text
    const r = await promtoolCheckMetrics(text)
    assert.ok(r.ok, `${n.t.node.name}: promtool says:\n${r.output}`)
  }
})

test('promtool refuses a page that breaks the format (the check is real)', async () => {
  const r = await promtoolCheckMetrics('# TYPE tekka_x counter\ntekka_x{peer="a} 1\n')
  assert.not.ok(r.ok)
})

test.run()
