// What the k8s strategy does when the API server, the network or the
// service account is wrong: each failure rejects discover() with a named
// error whose message says what was wrong (and the likely fix), never a
// crash and never a wrong list; items that do not make node names are
// skipped and logged, the rest kept. Against the real HTTPS fake API server.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { memoryLogger, systemClock, type LogRecord } from '@tekka/actors'
import {
  K8sApiError, K8sCredentialsError, K8sRequestError, K8sResponseError, k8sStrategy,
  type K8sInit, type Strategy, type StrategyComponents
} from '../src/index.js'
import { FakeApiServer, ServiceAccountDir, testCerts, type FakeResponse } from '@tekka/testing/k8s-apiserver'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'

const TOKEN = 'tok-faults'
const stop = new AbortController()
let fake: FakeApiServer
let sa: ServiceAccountDir
const dirs: ServiceAccountDir[] = []

function components (signal: AbortSignal = stop.signal): StrategyComponents & { records: LogRecord[] } {
  const logger = memoryLogger('tekka:discovery:k8s')
  return { node: 'tekka@10.0.0.1', cluster: 'tekka', port: undefined, clock: systemClock(), logger, signal, records: logger.records }
}

function strategy (init: K8sInit = {}, c = components()): Strategy {
  return k8sStrategy({ apiserver: fake.url, serviceAccountDir: sa.path, timeout: 3000, ...init })(c)
}

function saDir (files: ConstructorParameters<typeof ServiceAccountDir>[0]): ServiceAccountDir {
  const d = new ServiceAccountDir(files)
  dirs.push(d)
  return d
}

const json = (body: unknown, status = 200): FakeResponse => ({ status, body: JSON.stringify(body) })
const list = (items: unknown[], metadata: Record<string, unknown> = {}): FakeResponse =>
  json({ kind: 'EndpointSliceList', apiVersion: 'discovery.k8s.io/v1', metadata: { resourceVersion: '1', ...metadata }, items })
const slice = (addressType: string, endpoints: unknown[] | null, name = 'tekka-abc12'): Record<string, unknown> =>
  ({ metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': 'tekka' } }, addressType, endpoints, ports: [{ name: 'dist', port: 4370, protocol: 'TCP' }] })

test.before(async () => {
  fake = await new FakeApiServer({ tokens: [TOKEN] }).start()
  sa = saDir({ token: TOKEN })
  fake.setPods('default', 'tekka', [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }])
})

test.after.each(() => {
  fake.respond = undefined
  fake.forbidden.clear()
})

test.after(async () => {
  stop.abort()
  await fake.close()
  for (const d of dirs) d.remove()
})

test('a wrong token: 401 with the Status reason, naming the token file', async () => {
  const d = saDir({ token: 'not-the-token' })
  for (const useEndpointSlices of [true, false]) {
    const err = await wait.rejects(strategy({ serviceAccountDir: d.path, useEndpointSlices }).discover(), K8sApiError,
      '401 Unauthorized: Unauthorized', `the token in ${join(d.path, 'token')} was refused`)
    assert.is((err).status, 401)
    assert.is((err).reason, 'Unauthorized')
  }
})

test('no token file, or an empty one: no Authorization header, and the 401 says so', async () => {
  const none = saDir({})
  const from = fake.requests.length
  await wait.rejects(strategy({ serviceAccountDir: none.path }).discover(), K8sApiError, '401', `no token was sent: ${join(none.path, 'token')} does not exist`)
  assert.is(fake.requests[from].authorization, undefined)
  const empty = saDir({ token: '\n' })
  await wait.rejects(strategy({ serviceAccountDir: empty.path }).discover(), K8sApiError, '401', `${join(empty.path, 'token')} is empty`)
})

test('a wrong CA: a server certificate not signed by ca.crt is refused, naming ca.crt', async () => {
  const c = testCerts()
  const rogue = await new FakeApiServer({ tokens: [TOKEN], tls: { key: c.rogueKey, cert: c.rogueCert } }).start()
  try {
    rogue.setPods('default', 'tekka', [{ ip: '10.0.0.1' }])
    await wait.rejects(strategy({ apiserver: rogue.url }).discover(), K8sRequestError,
      /TLS: the API server's certificate is not accepted \([A-Z_]+: /, `a CA in ${join(sa.path, 'ca.crt')}`)
    assert.is(rogue.requests.length, 0, 'no request (and no token) sent to it')
  } finally {
    await rogue.close()
  }
})

test('no ca.crt: the system CAs are trusted (warned once), so a cluster CA certificate is refused', async () => {
  const d = saDir({ token: TOKEN, ca: undefined })
  const c = components()
  const st = strategy({ serviceAccountDir: d.path }, c)
  for (let i = 0; i < 2; i++) await wait.rejects(st.discover(), K8sRequestError, 'TLS', `a CA the system trusts (there is no ${join(d.path, 'ca.crt')})`)
  assert.is(c.records.filter((r) => r.level === 'warn' && r.msg.includes('does not exist: the API server\'s certificate is checked against the system\'s CAs')).length, 1)
})

test('a ca.crt with no certificate in it, a token or ca.crt that cannot be read: K8sCredentialsError naming the file', async () => {
  const garbage = saDir({ token: TOKEN, ca: 'not a certificate\n' })
  await wait.rejects(strategy({ serviceAccountDir: garbage.path }).discover(), K8sCredentialsError, join(garbage.path, 'ca.crt'), 'no PEM certificate')
  const tokenDir = saDir({ })
  mkdirSync(join(tokenDir.path, 'token'))
  await wait.rejects(strategy({ serviceAccountDir: tokenDir.path }).discover(), K8sCredentialsError, join(tokenDir.path, 'token'), 'cannot read the service account token (EISDIR)')
  const caDir = saDir({ token: TOKEN, ca: undefined })
  mkdirSync(join(caDir.path, 'ca.crt'))
  await wait.rejects(strategy({ serviceAccountDir: caDir.path }).discover(), K8sCredentialsError, join(caDir.path, 'ca.crt'), 'cannot read the API server\'s CA (EISDIR)')
})

test('403 (RBAC): the authorizer\'s message and the verbs and resource the Role needs', async () => {
  fake.forbidden.add('endpointslices')
  const e1 = await wait.rejects(strategy().discover(), K8sApiError,
    '403 Forbidden: endpointslices.discovery.k8s.io is forbidden: User "system:serviceaccount:default:tekka" cannot list resource "endpointslices"',
    'its Role needs verbs get, list on resource endpointslices (apiGroups "discovery.k8s.io")')
  assert.is((e1).status, 403)
  fake.forbidden.add('endpoints')
  await wait.rejects(strategy({ useEndpointSlices: false }).discover(), K8sApiError,
    '403 Forbidden: endpoints "tekka" is forbidden', 'its Role needs verbs get, list on resource endpoints (apiGroups "")')
})

test('404: no such service (Endpoints), no slice for it (EndpointSlices), the discovery API not served', async () => {
  await wait.rejects(strategy({ serviceName: 'nope', useEndpointSlices: false }).discover(), K8sApiError,
    '404 NotFound: endpoints "nope" not found', 'no service "nope" in namespace "default" (cluster.k8s.service_name, cluster.k8s.namespace)')
  await wait.rejects(strategy({ serviceName: 'nope' }).discover(), K8sResponseError,
    'no EndpointSlice is labelled kubernetes.io/service-name=nope in namespace "default"')
  fake.respond = (r) => r.resource === 'endpointslices' ? json({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 }, 404) : undefined
  await wait.rejects(strategy().discover(), K8sApiError, '404 NotFound: the server could not find the requested resource', 'set cluster.k8s.use_endpoint_slices = off')
})

test('5xx: with a Status object, and with a text body from a proxy', async () => {
  fake.respond = () => json({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Internal error occurred: etcdserver: request timed out', reason: 'InternalError', code: 500 }, 500)
  const e = await wait.rejects(strategy().discover(), K8sApiError, '500 InternalError: Internal error occurred: etcdserver: request timed out')
  assert.is((e).status, 500)
  fake.respond = () => ({ status: 503, body: 'upstream connect error or disconnect/reset before headers\n', contentType: 'text/plain' })
  await wait.rejects(strategy({ useEndpointSlices: false }).discover(), K8sApiError, '503 Service Unavailable: "upstream connect error or disconnect/reset before headers"')
})

test('a 200 that is not JSON', async () => {
  fake.respond = () => ({ status: 200, body: '{"kind":"EndpointSliceList","items":[' })
  await wait.rejects(strategy().discover(), K8sResponseError, 'the answer (200) is not JSON', 'it starts with "{\\"kind\\":\\"EndpointSliceList\\",\\"items\\":["')
  fake.respond = () => ({ status: 200, body: '<html><body>Login</body></html>', contentType: 'text/html' })
  await wait.rejects(strategy({ useEndpointSlices: false }).discover(), K8sResponseError, 'is not JSON', '<html>')
})

test('JSON of the wrong shape: the field and what is wrong with it', async () => {
  const endpoints: Array<[unknown, string]> = [
    [[], 'the answer is not a v1 Endpoints object: the answer is [], not an object'],
    [null, 'the answer is null, not an object'],
    [{ kind: 'Status', status: 'Success' }, 'kind is "Status", not "Endpoints"'],
    [{ kind: 'Endpoints', subsets: 'x' }, 'subsets is "x", not a list'],
    [{ kind: 'Endpoints', subsets: [7] }, 'subsets[0] is 7, not an object'],
    [{ kind: 'Endpoints', subsets: [{ addresses: {} }] }, 'subsets[0].addresses is {}, not a list'],
    [{ kind: 'Endpoints', subsets: [{ addresses: [{ hostname: 'a' }] }] }, 'subsets[0].addresses[0].ip is undefined, not a string'],
    [{ kind: 'Endpoints', subsets: [{ addresses: [{ ip: '10.0.0.1', hostname: 3 }] }] }, 'subsets[0].addresses[0].hostname is 3, not a string']
  ]
  for (const [body, message] of endpoints) {
    fake.respond = () => json(body)
    await wait.rejects(strategy({ useEndpointSlices: false }).discover(), K8sResponseError, message)
  }
  const slices: Array<[FakeResponse, string]> = [
    [json({ kind: 'EndpointSliceList', metadata: {} }), 'the answer is not a discovery.k8s.io/v1 EndpointSliceList: items is undefined, not a list'],
    [json({ kind: 'EndpointsList', items: [] }), 'kind is "EndpointsList", not "EndpointSliceList"'],
    [list([slice('IPv4', [{ addresses: ['10.0.0.1'] }])], { continue: 5 }), 'metadata.continue is 5, not a string'],
    [list([{ metadata: { name: 's' }, endpoints: [] }]), 'items[0].addressType is undefined, not a string'],
    [list([slice('IPv4', [{ addresses: ['10.0.0.1'], conditions: { ready: 'yes' } }])]), 'items[0].endpoints[0].conditions.ready is "yes", not true, false or null'],
    [list([slice('IPv4', [{ addresses: [] }])]), 'items[0].endpoints[0].addresses is empty'],
    [list([slice('IPv4', [{ addresses: [10] }])]), 'items[0].endpoints[0].addresses[0] is 10, not a string'],
    [list([slice('IPv4', { 0: 'x' } as unknown as unknown[])]), 'items[0].endpoints is {"0":"x"}, not a list']
  ]
  for (const [answer, message] of slices) {
    fake.respond = () => answer
    await wait.rejects(strategy().discover(), K8sResponseError, message)
  }
})

test('addresses that do not make node names are skipped, with what is wrong, where, and the pod; the others kept; logged again only when it changes', async () => {
  const ep = (address: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
    ({ addresses: [address], conditions: { ready: true }, ...extra })
  fake.respond = () => list([
    slice('IPv4', [ep('10.0.0.1'), ep('999.1.1.1', { targetRef: { kind: 'Pod', name: 'tekka-1' } }), ep('fd00::1'), ep('10.0.0.2', { conditions: { ready: false } })]),
    slice('IPv6', [ep('10.0.0.3')], 'tekka-v6'),
    slice('AppleTalk', [ep('65280.1')], 'tekka-at'),
    slice('FQDN', [ep('tekka-x.example.com'), ep('bad_name.example.com')], 'tekka-fqdn')
  ])
  const c = components()
  const st = strategy({}, c)
  assert.equal(await st.discover(), ['tekka@10.0.0.1', 'tekka@tekka-x.example.com'])
  const warns = c.records.filter((r) => r.level === 'warn')
  assert.is(warns.length, 1, 'one warning for the round')
  const w = warns[0].msg
  assert.match(w, '"999.1.1.1" (EndpointSlice tekka-abc12 (items[0]) endpoints[1], pod tekka-1): not an IPv4 address')
  assert.match(w, '"fd00::1" (EndpointSlice tekka-abc12 (items[0]) endpoints[2]): not an IPv4 address (the slice\'s addressType is IPv4)')
  assert.match(w, '"10.0.0.3" (EndpointSlice tekka-v6 (items[1]) endpoints[0]): not an IPv6 address')
  assert.match(w, 'unknown addressType "AppleTalk" (IPv4, IPv6 or FQDN)')
  assert.match(w, '"bad_name.example.com" (EndpointSlice tekka-fqdn (items[3]) endpoints[1]): makes the node name "tekka@bad_name.example.com": host "bad_name.example.com" is neither a hostname nor an IP address')
  assert.not.match(w, '10.0.0.2', 'a not-ready endpoint is not a skipped one')
  // The same answer again: the same names, the same skips at debug only.
  assert.equal(await st.discover(), ['tekka@10.0.0.1', 'tekka@tekka-x.example.com'])
  assert.is(c.records.filter((r) => r.level === 'warn').length, 1)
  assert.ok(c.records.some((r) => r.level === 'debug' && r.msg === w))

  // dns needs an IP; hostname needs a hostname that makes a name.
  fake.respond = () => list([slice('IPv4', [ep('10.0.0.1', { hostname: 'tekka-0' }), ep('10.0.0.2'), ep('10.0.0.4', { hostname: 'Bad_Host' })]), slice('FQDN', [ep('x.example.com')], 'f')])
  const h = components()
  assert.equal(await strategy({ addressType: 'hostname', suffix: '' }, h).discover(), ['tekka@tekka-0'])
  const hw = h.records.find((r) => r.level === 'warn')?.msg ?? ''
  assert.match(hw, '"10.0.0.2" (EndpointSlice tekka-abc12 (items[0]) endpoints[1]): the endpoint has no hostname: address_type hostname needs pods with spec.hostname and spec.subdomain')
  assert.match(hw, 'makes the node name "tekka@Bad_Host"')
  const d = components()
  assert.equal(await strategy({ addressType: 'dns', suffix: '' }, d).discover(), ['tekka@10-0-0-1', 'tekka@10-0-0-2', 'tekka@10-0-0-4'])
  assert.match(d.records.find((r) => r.level === 'warn')?.msg ?? '', '"x.example.com" (EndpointSlice f (items[1]) endpoints[0]): an FQDN address: address_type dns needs an IP to dash')

  // v1 Endpoints: an ip that is not one.
  fake.respond = () => json({ kind: 'Endpoints', subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: 'not-an-ip', targetRef: { kind: 'Pod', name: 'tekka-9' } }] }] })
  const e = components()
  assert.equal(await strategy({ useEndpointSlices: false }, e).discover(), ['tekka@10.0.0.1'])
  assert.match(e.records.find((r) => r.level === 'warn')?.msg ?? '', '"not-an-ip" (subsets[0].addresses[1], pod tekka-9): not an IP address')
})

test('an answer larger than maxBytes', async () => {
  await wait.rejects(strategy({ maxBytes: 200 }).discover(), K8sResponseError, 'the answer is larger than 200 bytes')
})

test('pages: a continue token that repeats, and pages that never end, are refused', async () => {
  fake.respond = () => list([slice('IPv4', [{ addresses: ['10.0.0.1'] }])], { continue: 'same' })
  await wait.rejects(strategy().discover(), K8sResponseError, 'metadata.continue repeats the token of the page asked for')
  let n = 0
  fake.respond = () => list([slice('IPv4', [{ addresses: [`10.0.0.${++n}`] }])], { continue: `page-${n}` })
  const from = fake.requests.length
  await wait.rejects(strategy({ maxPages: 3 }).discover(), K8sResponseError, 'more than 3 pages of EndpointSlices')
  assert.is(fake.requests.length - from, 3)
})

test('no answer: a server that never answers (timeout), one that closes mid-answer, nothing listening (refused)', async () => {
  fake.respond = () => 'hang'
  await wait.rejects(strategy({ timeout: 300 }).discover(), K8sRequestError, 'no answer within 300 ms')
  fake.respond = () => 'cut'
  await wait.rejects(strategy().discover(), K8sRequestError, 'the connection closed before the whole answer was read')
  const port = await ports.freePort()
  await wait.rejects(strategy({ apiserver: `https://127.0.0.1:${port}` }).discover(), K8sRequestError, `GET https://127.0.0.1:${port}/apis/`, 'cannot reach the API server (ECONNREFUSED')
})

test('a request in flight ends when the caller\'s signal, the node\'s signal, or stop() aborts it; a stopped strategy rejects until started again', async () => {
  fake.respond = () => 'hang'
  const caller = new AbortController()
  const p1 = strategy({ timeout: 60_000 }).discover({ signal: caller.signal })
  setTimeout(() => { caller.abort(new Error('the round gave up')) }, 100)
  await wait.rejects(p1, K8sRequestError, 'aborted (the round gave up)')

  const node = new AbortController()
  const p2 = strategy({ timeout: 60_000 }, components(node.signal)).discover()
  setTimeout(() => { node.abort(new Error('discovery stopped')) }, 100)
  await wait.rejects(p2, K8sRequestError, 'aborted (discovery stopped)')

  const st = strategy({ timeout: 60_000 })
  await st.start?.()
  const p3 = st.discover()
  setTimeout(() => { void st.stop?.() }, 100)
  await wait.rejects(p3, K8sRequestError, 'aborted (k8s strategy stopped)')
  await wait.rejects(st.discover(), K8sRequestError, 'the k8s strategy is stopped')
  fake.respond = undefined
  await st.start?.()
  assert.equal(await st.discover(), ['tekka@10.0.0.1', 'tekka@10.0.0.2'])
  await st.stop?.()
})

test.run()
