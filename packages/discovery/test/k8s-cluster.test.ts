// k8s discovery across real OS processes, as pods run it: five `tekka`
// processes tekka@127.0.0.2 .. tekka@127.0.0.6, each configured with
// cluster.discovery = k8s and address_type ip against the fake API server
// (HTTPS, the service account's token and CA in a temp dir), find each other
// as the ready endpoints of the service and form one cluster that every node
// reports the same way; a sixth pod, listed as not ready, is not discovered
// until the API server has it ready, and then joins.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rmSync } from 'node:fs'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'
import { ProcCluster, oneCluster, type AutoclusterStatus } from './support/cluster.js'
import { FakeApiServer, ServiceAccountDir, exitHooks, type FakePod } from '@tekka/testing/k8s-apiserver'

const TOKEN = 'k8s-cluster-token'
const ips = [2, 3, 4, 5, 6, 7].map((i) => `127.0.0.${i}`)
const base = await ports.freePortRange(1, ips)
const c = new ProcCluster(base)
const removeDir = exitHooks.onExit(() => { rmSync(c.dir, { recursive: true, force: true }) })
const sa = new ServiceAccountDir({ token: TOKEN })
const fake = await new FakeApiServer({ tokens: [TOKEN], sliceSize: 2 }).start()

const name = (ip: string): string => `tekka@${ip}`
const five = ips.slice(0, 5).map(name)
const sixth = name(ips[5])
const pods = (sixthReady: boolean): FakePod[] =>
  ips.map((ip, i) => ({ ip, name: `tekka-${i}`, hostname: `tekka-${i}`, ready: i < 5 || sixthReady }))

const spec = (node: string): Parameters<ProcCluster['start']>[0] => ({
  name: node,
  discovery: 'k8s',
  interval: '500ms',
  extra: {
    'cluster.k8s.apiserver': fake.url,
    'cluster.k8s.service_account_dir': sa.path,
    'cluster.k8s.service_name': 'tekka',
    'cluster.k8s.namespace': 'default',
    'cluster.k8s.address_type': 'ip',
    'cluster.k8s.app_name': 'tekka'
  }
})

/** `autocluster status` of `node`, by the command's RPC through the hidden client (cheap enough to poll). */
async function acStatus (node: string): Promise<AutoclusterStatus> {
  const s = await c.autoclusterStatus(node)
  if (s === undefined) throw new Error(`autocluster status on ${node} cannot be read`)
  return s
}

test.after(async () => {
  await c.stop()
  await fake.close()
  sa.remove()
  rmSync(c.dir, { recursive: true, force: true })
  removeDir()
})

test('five processes with k8s discovery (address_type ip) form one cluster; every node reports the same status', async () => {
  fake.setPods('default', 'tekka', pods(false))
  await Promise.all(five.map(async (n) => await c.start(spec(n))))
  await oneCluster(c, five, { interval: 250 })
  // The not-ready sixth pod is not discovered.
  const ac = await wait.eventually(async () => {
    const s = await acStatus(five[0])
    assert.is(s.state, 'complete')
    return s
  }, { timeout: 30_000, interval: 300, message: 'autocluster complete' })
  assert.is(ac.strategy, 'k8s')
  assert.equal([...ac.last!.discovered].sort(), five.slice(1).sort())
  // The operator's command prints the same.
  const real = await c.ctl(five[0], ['autocluster', 'status', '--json'])
  assert.is(real.code, 0, real.out + real.err)
  assert.equal((JSON.parse(real.out) as AutoclusterStatus).last?.discovered.slice().sort(), five.slice(1).sort())
  assert.ok(fake.requestsOf('endpointslices').every((r) => r.authorization === `Bearer ${TOKEN}`))
})

test('a sixth pod joins once the API server lists it as ready', async () => {
  fake.setPods('default', 'tekka', pods(true))
  await c.start(spec(sixth))
  const six = [...five, sixth]
  const first = await oneCluster(c, six, { timeout: 45_000, interval: 250 })
  assert.is(first.members.length, 6)
  // A round on an old node now discovers it too.
  const r = await c.ctl(five[0], ['autocluster', 'enable'])
  assert.is(r.code, 0, r.out + r.err)
  await wait.eventually(async () => {
    const s = await acStatus(five[0])
    assert.ok(s.last?.discovered.includes(sixth), `discovered: ${s.last?.discovered.join(', ') ?? '-'}`)
  }, { timeout: 20_000, interval: 300, message: 'the sixth discovered by tekka@127.0.0.2' })
})

test.run()
