// The k8s strategy against a real HTTPS server serving the Kubernetes API's
// Endpoints and EndpointSlice schemas (support/fake-apiserver.ts): what it
// reads from each (ready addresses only, every subset, every slice, every
// page), the node names it builds for each address type (as ekka 0.23.5
// builds them), the token read at every request, and the plugin building
// it from cluster.k8s.* with the autocluster actor retrying a failing round.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { memoryLogger, silentLogger, systemClock, type LogRecord } from '@tekka/actors'
import { distConfig, loadConfig, startNode } from '@tekka/dist'
import { k8sStrategy, plugin, type K8sInit, type StrategyComponents } from '../src/index.js'
import { FakeApiServer, ServiceAccountDir, type FakePod } from '@tekka/testing/k8s-apiserver'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'

const TOKEN = 'tok-1'
const stop = new AbortController()
let fake: FakeApiServer
let sa: ServiceAccountDir

const pods: FakePod[] = [
  { ip: '10.0.0.5', hostname: 'tekka-0' },
  { ip: '10.0.0.6', hostname: 'tekka-1', ports: 1 },
  { ip: '10.0.0.7', hostname: 'tekka-2', ready: false },
  { ip: '10.0.0.8', hostname: 'tekka-3', ready: null },
  { ip: '10.0.0.9', hostname: 'tekka-4', terminating: true },
  { ip: '10.0.1.10', hostname: 'tekka-5', ports: 1 }
]
const READY = ['10.0.0.5', '10.0.0.6', '10.0.0.8', '10.0.1.10']

function components (node = 'tekka@10.0.0.5'): StrategyComponents & { records: LogRecord[] } {
  const logger = memoryLogger('tekka:discovery:k8s')
  return { node, cluster: 'tekka', port: undefined, clock: systemClock(), logger, signal: stop.signal, records: logger.records }
}

async function discover (init: K8sInit): Promise<string[]> {
  const st = k8sStrategy({ apiserver: fake.url, serviceAccountDir: sa.path, ...init })(components())
  await st.start?.()
  try {
    return await st.discover()
  } finally {
    await st.stop?.()
  }
}

const sorted = (xs: readonly string[]): string[] => [...xs].sort()

test.before(async () => {
  fake = await new FakeApiServer({ tokens: [TOKEN], sliceSize: 3 }).start()
  sa = new ServiceAccountDir({ token: `${TOKEN}\n` })
  fake.setPods('default', 'tekka', pods)
})

test.after(async () => {
  stop.abort()
  await fake.close()
  sa.remove()
})

test('EndpointSlices (default): the ready endpoints of every slice; not ready and terminating ones left out; the request as the API wants it', async () => {
  const from = fake.requests.length
  const names = await discover({})
  assert.equal(sorted(names), sorted(READY.map((ip) => `tekka@${ip}`)))
  const reqs = fake.requests.slice(from)
  assert.is(reqs.length, 1)
  assert.is(reqs[0].path, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dtekka&limit=500')
  assert.is(reqs[0].authorization, `Bearer ${TOKEN}`, 'the token, without its trailing newline')
})

test('v1 Endpoints (use_endpoint_slices off): the addresses of every subset; notReadyAddresses left out', async () => {
  const from = fake.requests.length
  const names = await discover({ useEndpointSlices: false })
  assert.equal(sorted(names), sorted(READY.map((ip) => `tekka@${ip}`)))
  assert.equal(fake.requests.slice(from).map((r) => r.path), ['/api/v1/namespaces/default/endpoints/tekka'])
})

test('node names for address_type ip / dns / hostname, with and without a suffix, as ekka builds them', async () => {
  fake.setPods('prod', 'emqx-headless', [{ ip: '10.1.2.3', hostname: 'emqx-0' }, { ip: '10.1.2.4', hostname: 'emqx-1', ready: false }])
  const at = { namespace: 'prod', serviceName: 'emqx-headless', appName: 'emqx' }
  const cases: Array<[K8sInit, string]> = [
    [{ addressType: 'ip' }, 'emqx@10.1.2.3'],
    [{ addressType: 'ip', suffix: '' }, 'emqx@10.1.2.3'],
    [{ addressType: 'ip', suffix: 'svc.cluster.local' }, 'emqx@10.1.2.3'],
    [{ addressType: 'dns' }, 'emqx@10-1-2-3.prod.pod.cluster.local'],
    [{ addressType: 'dns', suffix: 'pod.k8s.example' }, 'emqx@10-1-2-3.prod.pod.k8s.example'],
    [{ addressType: 'dns', suffix: '' }, 'emqx@10-1-2-3'],
    [{ addressType: 'hostname', suffix: 'svc.cluster.local' }, 'emqx@emqx-0.emqx-headless.prod.svc.cluster.local'],
    [{ addressType: 'hostname', suffix: '' }, 'emqx@emqx-0']
  ]
  for (const useEndpointSlices of [true, false]) {
    for (const [init, want] of cases) {
      const got = await discover({ ...at, ...init, useEndpointSlices })
      assert.equal(got, [want], `${JSON.stringify(init)} slices=${useEndpointSlices}`)
    }
  }
  // The default suffix is pod.cluster.local (cluster.k8s.suffix): for hostname that gives what ekka gives with it.
  assert.equal(await discover({ ...at, addressType: 'hostname' }), ['emqx@emqx-0.emqx-headless.prod.pod.cluster.local'])
})

test('IPv6 endpoints: the address as host (ip), colons dashed (dns)', async () => {
  fake.setPods('default', 'v6', [{ ip: 'fd00::5' }, { ip: '10.9.9.9' }])
  for (const useEndpointSlices of [true, false]) {
    assert.equal(sorted(await discover({ serviceName: 'v6', useEndpointSlices })), ['tekka@10.9.9.9', 'tekka@fd00::5'])
    assert.equal(sorted(await discover({ serviceName: 'v6', useEndpointSlices, addressType: 'dns' })),
      ['tekka@10-9-9-9.default.pod.cluster.local', 'tekka@fd00--5.default.pod.cluster.local'])
  }
})

test('a service without pods: nothing discovered (the placeholder slice has endpoints: null; the Endpoints no subsets)', async () => {
  fake.setPods('default', 'empty', [])
  assert.equal(await discover({ serviceName: 'empty' }), [])
  assert.equal(await discover({ serviceName: 'empty', useEndpointSlices: false }), [])
})

test('changes show at the next call: a pod that becomes ready, a sixth pod; an address listed twice is one node', async () => {
  const st = k8sStrategy({ apiserver: fake.url, serviceAccountDir: sa.path, serviceName: 'grow' })(components())
  const five = [2, 3, 4, 5, 6].map((i) => ({ ip: `127.0.0.${i}` }))
  fake.setPods('default', 'grow', [...five, { ip: '127.0.0.7', ready: false }])
  assert.equal(sorted(await st.discover()), five.map((p) => `tekka@${p.ip}`))
  fake.setPods('default', 'grow', [...five, { ip: '127.0.0.7' }])
  assert.equal(sorted(await st.discover()), [...five, { ip: '127.0.0.7' }].map((p) => `tekka@${p.ip}`))
  // During a rollout one address can be in two slices (or two subsets): one node.
  fake.setPods('default', 'grow', [{ ip: '127.0.0.2' }, { ip: '127.0.0.2', name: 'old', ports: 1 }, { ip: '127.0.0.3' }, { ip: '127.0.0.2', name: 'again' }])
  assert.equal(await st.discover(), ['tekka@127.0.0.2', 'tekka@127.0.0.3'])
  const e = k8sStrategy({ apiserver: fake.url, serviceAccountDir: sa.path, serviceName: 'grow', useEndpointSlices: false })(components())
  assert.equal(sorted(await e.discover()), ['tekka@127.0.0.2', 'tekka@127.0.0.3'])
})

test('pages: metadata.continue is followed until the last page', async () => {
  const many = Array.from({ length: 10 }, (_, i) => ({ ip: `10.2.0.${i + 1}` }))
  fake.setPods('default', 'paged', many)
  const from = fake.requests.length
  const names = await discover({ serviceName: 'paged', pageSize: 1 })
  assert.equal(sorted(names), sorted(many.map((p) => `tekka@${p.ip}`)))
  const reqs = fake.requests.slice(from)
  assert.is(reqs.length, 4, 'ten endpoints in four slices of three, one slice per page')
  assert.not.match(reqs[0].path, 'continue=')
  for (const r of reqs.slice(1)) assert.match(r.path, /&limit=1&continue=[A-Za-z0-9_%-]+$/)
})

test('the token is read at every request: a rotated token is used at once', async () => {
  const st = k8sStrategy({ apiserver: fake.url, serviceAccountDir: sa.path })(components())
  await st.discover()
  sa.write('token', 'tok-2')
  fake.tokens = new Set(['tok-2'])
  try {
    const from = fake.requests.length
    assert.equal(sorted(await st.discover()), sorted(READY.map((ip) => `tekka@${ip}`)))
    assert.is(fake.requests[from].authorization, 'Bearer tok-2')
  } finally {
    sa.write('token', TOKEN)
    fake.tokens = new Set([TOKEN])
  }
})

test('a plain http API server (as behind kubectl proxy): no CA involved', async () => {
  const plain = await new FakeApiServer({ tokens: [TOKEN], tls: false }).start()
  try {
    plain.setPods('default', 'tekka', [{ ip: '10.3.0.1' }])
    assert.ok(plain.url.startsWith('http://'))
    assert.equal(await discover({ apiserver: plain.url }), ['tekka@10.3.0.1'])
  } finally {
    await plain.close()
  }
})

test('the plugin builds it from cluster.k8s.*; a failing round is logged with its cause and retried until the API server answers', async () => {
  const base = await ports.freePortRange(1)
  const node = await startNode({ name: 'tekka@127.0.0.1', cookie: 'k8s-plugin', basePort: base, logger: silentLogger() })
  fake.setPods('prod', 'tekka-headless', [{ ip: '127.0.0.1' }, { ip: '127.0.0.9' }])
  fake.forbidden.add('endpointslices')
  const config = loadConfig({
    sections: [distConfig, plugin.config],
    env: {},
    overrides: {
      'node.name': 'tekka@127.0.0.1',
      'cluster.discovery': 'k8s',
      'cluster.autocluster_interval': '200ms',
      'cluster.k8s.apiserver': fake.url,
      'cluster.k8s.service_account_dir': sa.path,
      'cluster.k8s.service_name': 'tekka-headless',
      'cluster.k8s.namespace': 'prod',
      'cluster.k8s.app_name': 'tekka'
    }
  })
  const inst = await plugin.start(node.components, plugin.config.read(config))
  try {
    const ac = inst.autocluster
    assert.is(ac.strategy.name, 'k8s')
    const pid = ac.pid
    await wait.eventually(() => {
      const last = ac.status().last
      assert.ok(last !== undefined && ac.status().rounds >= 3, 'three rounds')
      assert.match(last.error ?? '', /403 Forbidden: endpointslices\.discovery\.k8s\.io is forbidden.*Role needs verbs get, list on resource endpointslices/)
    }, { timeout: 10_000, message: 'rounds failing with the 403' })
    assert.ok(ac.pid?.equals(pid!), 'the actor did not crash')
    fake.forbidden.delete('endpointslices')
    await wait.eventually(() => {
      const last = ac.status().last
      assert.ok(last !== undefined && last.error === undefined, `no error: ${last?.error ?? ''}`)
      assert.equal(last.discovered, ['tekka@127.0.0.9'], 'this node left out')
    }, { timeout: 10_000, message: 'a round that discovers' })
  } finally {
    fake.forbidden.delete('endpointslices')
    await inst.stop()
    await node.stop()
  }
})

test.run()
