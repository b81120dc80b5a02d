/**
 * examples/k8s, checked as a whole: the manifests parse and agree with each
 * other and with tekka.conf, the Dockerfile and the README (names, labels
 * and selectors, serviceName, RBAC resources and verbs, ports, image tag,
 * Secret); tekka.conf loads through tekka's own config loader, with every
 * plugin's keys, and the environment a pod gets (so an unknown key or a bad
 * value fails here); the image runs the `tekka` command's entry (package
 * `tekka`); and the k8s strategy, built from that configuration as the
 * discovery plugin builds it (only the API server and the service account
 * directory pointed at a stand-in listing three such pods), discovers
 * exactly the node names the pods give themselves.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TekkaError, silentLogger, systemClock } from '@tekka/actors'
import { ConfigError, configValue, nodePort, type Config } from '@tekka/dist'
import { strategyFromConfig } from '@tekka/discovery'
import * as fakeApi from '@tekka/testing/k8s-apiserver'
import { TEKKA_BIN } from '@tekka/testing/procs'
import { loadTekkaConfig } from 'tekka'
import { YamlSubsetError, parseYamlDocuments } from './support/yaml-subset.js'

// Compiled to examples/build/test/: the sources are two levels up, the repository three.
const DIR = fileURLToPath(new URL('../../k8s/', import.meta.url))
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

type Obj = Record<string, any>
const read = (f: string): string => readFileSync(join(DIR, f), 'utf8')

const docs: Obj[] = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()
  .flatMap((f) => parseYamlDocuments(read(f), f) as Obj[])
const one = (kind: string): Obj => {
  const all = docs.filter((d) => d.kind === kind)
  assert.is(all.length, 1, `one ${kind}`)
  return all[0]
}
const sa = one('ServiceAccount')
const role = one('Role')
const binding = one('RoleBinding')
const svc = one('Service')
const sts = one('StatefulSet')
const pod = sts.spec.template.spec as Obj
const container = pod.containers[0] as Obj
const dockerfile = read('Dockerfile')
const readme = read('README.md')

/** The container's environment for a pod, as the kubelet builds it: fieldRefs, secrets, then $(VAR) expansion. */
function podEnv (podName: string, namespace: string, podIP: string, cookie: string): Record<string, string> {
  const fields: Record<string, string> = { 'metadata.name': podName, 'metadata.namespace': namespace, 'status.podIP': podIP }
  const env: Record<string, string> = {}
  for (const e of container.env as Obj[]) {
    let v: string
    if (e.valueFrom?.fieldRef !== undefined) {
      v = fields[e.valueFrom.fieldRef.fieldPath as string]
      assert.type(v, 'string', `fieldRef ${e.valueFrom.fieldRef.fieldPath as string} known`)
    } else if (e.valueFrom?.secretKeyRef !== undefined) {
      v = cookie
    } else {
      // $(VAR) of a variable defined above is replaced; $$ escapes; anything else stays.
      v = String(e.value).replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) =>
        m === '$$' ? '$' : (name !== undefined && env[name] !== undefined ? env[name] : m))
    }
    env[e.name as string] = v
  }
  return env
}

/** tekka.conf as a pod's `tekka` command loads it: every plugin's keys, the pod's environment; `overrides` as `--set`. */
function podConfig (podName: string, namespace = 'default', podIP = '10.0.0.5', overrides: Record<string, string> = {}): Config {
  return loadTekkaConfig({ config: { file: join(DIR, 'tekka.conf'), env: podEnv(podName, namespace, podIP, 'c0ffee'.repeat(8)), overrides, cwd: '/' } })
}

/** A string setting of a loaded configuration. */
const str = (c: Config, key: string): string => {
  const v = configValue(c, key)
  assert.type(v, 'string', key)
  return v as string
}

test('every manifest parses; each object has apiVersion, kind and a name, and no namespace (kubectl apply -n decides)', () => {
  assert.ok(docs.length >= 5)
  for (const d of docs) {
    assert.type(d.apiVersion, 'string')
    assert.type(d.kind, 'string')
    assert.type(d.metadata?.name, 'string', `${String(d.kind)} has a name`)
    assert.is(d.metadata.namespace, undefined, `${String(d.kind)} ${String(d.metadata.name)} has no fixed namespace`)
  }
  assert.is(sts.apiVersion, 'apps/v1')
  assert.is(svc.apiVersion, 'v1')
  assert.is(role.apiVersion, 'rbac.authorization.k8s.io/v1')
})

test('the headless service selects the StatefulSet\'s pods, and the StatefulSet is governed by it', () => {
  assert.is(svc.spec.clusterIP, 'None', 'headless')
  assert.is(svc.spec.publishNotReadyAddresses, true, 'pods listed before they are ready')
  assert.is(sts.spec.serviceName, svc.metadata.name, 'serviceName is the headless service')
  const labels = sts.spec.template.metadata.labels as Obj
  for (const [k, v] of Object.entries(sts.spec.selector.matchLabels as Obj)) assert.is(labels[k], v, `matchLabels ${k} on the pod template`)
  for (const [k, v] of Object.entries(svc.spec.selector as Obj)) assert.is(labels[k], v, `service selector ${k} on the pod template`)
  assert.ok(Number.isInteger(sts.spec.replicas) && sts.spec.replicas >= 3)
})

test('RBAC: the pods\' service account may get and list endpointslices (discovery.k8s.io) and endpoints (core)', () => {
  assert.is(pod.serviceAccountName, sa.metadata.name)
  assert.equal(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name })
  assert.ok((binding.subjects as Obj[]).some((s) => s.kind === 'ServiceAccount' && s.name === sa.metadata.name && s.namespace === undefined))
  const allows = (group: string, resource: string, verb: string): boolean => (role.rules as Obj[]).some((r) =>
    (r.apiGroups as string[]).includes(group) && (r.resources as string[]).includes(resource) && (r.verbs as string[]).includes(verb))
  for (const verb of ['get', 'list']) {
    assert.ok(allows('discovery.k8s.io', 'endpointslices', verb), `${verb} endpointslices`)
    assert.ok(allows('', 'endpoints', verb), `${verb} endpoints`)
  }
  assert.not.ok((role.rules as Obj[]).some((r) => (r.verbs as string[]).some((v) => !['get', 'list', 'watch'].includes(v))), 'read-only')
})

test('tekka.conf loads with a pod\'s environment through tekka\'s config loader, and agrees with the manifests', () => {
  const c = podConfig('tekka-1', 'prod', '10.0.0.6')
  assert.is(str(c, 'cluster.discovery'), 'k8s')
  assert.is(str(c, 'cluster.k8s.service_name'), svc.metadata.name)
  assert.is(str(c, 'cluster.k8s.namespace'), 'prod', 'from the downward API')
  assert.is(str(c, 'cluster.k8s.address_type'), 'hostname')
  const name = str(c, 'node.name')
  assert.is(name, `${str(c, 'cluster.k8s.app_name')}@tekka-1.${svc.metadata.name as string}.prod.${str(c, 'cluster.k8s.suffix')}`)
  // One port: the node's (by the name rule), the container's, the service's, the image's.
  const port = nodePort(name, configValue(c, 'node.dist_base_port') as number)
  const dist = (container.ports as Obj[]).find((p) => p.name === 'dist') as Obj
  assert.is(dist.containerPort, port)
  const sp = (svc.spec.ports as Obj[]).find((p) => p.name === 'dist') as Obj
  assert.is(sp.port, port)
  assert.ok(sp.targetPort === 'dist' || sp.targetPort === port)
  assert.match(dockerfile, new RegExp(`^EXPOSE ${port}$`, 'm'))
  // Probes on the management endpoint, which listens where the kubelet reaches it; the data dir on the volume.
  const http = (container.ports as Obj[]).find((p) => p.name === 'http') as Obj
  assert.is(http.containerPort, configValue(c, 'management.port'))
  assert.is(configValue(c, 'management.host'), '0.0.0.0', 'reachable on the pod\'s address')
  assert.match(dockerfile, new RegExp(`^EXPOSE ${http.containerPort as number}$`, 'm'))
  assert.equal(container.readinessProbe.httpGet, { path: '/health/ready', port: 'http' })
  assert.equal(container.livenessProbe.httpGet, { path: '/health/alive', port: 'http' })
  const dataDir = str(c, 'node.data_dir')
  assert.ok((container.volumeMounts as Obj[]).some((m) => m.mountPath === dataDir), `a volume at ${dataDir}`)
  // The cookie from the Secret the README creates, never in the file.
  const cookie = (container.env as Obj[]).find((e) => e.name === 'TEKKA_COOKIE') as Obj
  const ref = cookie.valueFrom.secretKeyRef as Obj
  assert.ok(readme.includes(`kubectl create secret generic ${ref.name as string} --from-literal=${ref.key as string}=`), 'the README creates the Secret')
  assert.is(configValue(c, 'node.cookie'), undefined)
  assert.not.match(read('tekka.conf'), /^\s*node\.cookie/m)
  // The management token from the same Secret, under its own key the README creates too.
  const token = (container.env as Obj[]).find((e) => e.name === 'TEKKA_MANAGEMENT__TOKEN') as Obj
  assert.is(token.valueFrom.secretKeyRef.name, ref.name)
  assert.match(readme, `--from-literal=${token.valueFrom.secretKeyRef.key as string}=`)
  assert.is(configValue(c, 'management.token'), 'c0ffee'.repeat(8), 'the secret reaches management.token')
})

test('a pod that goes away leaves gracefully: preStop POSTs /cluster/leave with the token, leave_on_stop backs it, the grace period covers it, a PodDisruptionBudget lets one go at a time', () => {
  const c = podConfig('tekka-0')
  assert.is(configValue(c, 'management.leave_on_stop'), true)
  const cmd = container.lifecycle.preStop.exec.command as string[]
  assert.equal(cmd.slice(0, 2), ['node', '-e'])
  assert.match(cmd[2], `http://127.0.0.1:${configValue(c, 'management.port') as number}/cluster/leave`)
  assert.match(cmd[2], "method: 'POST'")
  assert.match(cmd[2], 'process.env.TEKKA_MANAGEMENT__TOKEN')
  // The leave waits at most 3 s per member (in parallel), the stop a few seconds more; the hook's own timeout fits inside.
  const hookTimeout = Number(/AbortSignal\.timeout\((\d+)\)/.exec(cmd[2])?.[1]) / 1000
  assert.ok(pod.terminationGracePeriodSeconds >= hookTimeout + 5 && pod.terminationGracePeriodSeconds <= 60, `grace ${String(pod.terminationGracePeriodSeconds)} s`)
  const pdb = one('PodDisruptionBudget')
  assert.is(pdb.apiVersion, 'policy/v1')
  assert.is(pdb.spec.maxUnavailable, 1)
  const labels = sts.spec.template.metadata.labels as Obj
  for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels as Obj)) assert.is(labels[k], v, `the budget selects the pods (${k})`)
})

test('a bad key in tekka.conf would fail the loader (so this test guards the file)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tekka-k8s-conf-'))
  try {
    const bad = join(tmp, 'tekka.conf')
    const load = (): Config => loadTekkaConfig({ config: { file: bad, env: {} } })
    writeFileSync(bad, read('tekka.conf'))
    assert.is(configValue(load(), 'cluster.k8s.service_name'), 'tekka-headless', 'the file as it is loads')
    writeFileSync(bad, read('tekka.conf').replace('cluster.k8s.service_name', 'cluster.k8s.servicename'))
    assert.throws(load, (e: unknown) => e instanceof ConfigError && /cluster\.k8s\.servicename/.test((e as Error).message))
    writeFileSync(bad, read('tekka.conf').replace('address_type = hostname', 'address_type = hostnames'))
    assert.throws(load, (e: unknown) => e instanceof ConfigError && (e).key === 'cluster.k8s.address_type')
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
})

test('the image: built as the README says, with tekka.conf where the command reads it', () => {
  const build = /docker build -f examples\/k8s\/Dockerfile -t (\S+) \./.exec(readme)
  assert.ok(build !== null, 'the README builds the image')
  assert.is(container.image, build[1], 'the StatefulSet runs the image the README builds')
  assert.match(dockerfile, /^COPY examples\/k8s\/tekka\.conf \/etc\/tekka\/tekka\.conf$/m)
  const entry = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[]
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[]
  // The image is this repository at /app: its entry is the `tekka` command's (package `tekka`), the one the tests run.
  const bin = 'packages/tekka/build/src/bin.js'
  assert.is(TEKKA_BIN, join(ROOT, bin))
  assert.ok(existsSync(join(ROOT, bin)), `${bin} is built`)
  assert.equal(entry, ['node', `/app/${bin}`])
  assert.equal(cmd, ['--config', '/etc/tekka/tekka.conf'])
  assert.match(readme, 'kubectl apply -f examples/k8s/')
  // The README's `tekka ctl` in a pod runs that same entry.
  assert.match(readme, `kubectl exec tekka-0 -- node /app/${bin} ctl`)
})

test('the k8s strategy configured by tekka.conf discovers exactly the pods\' own node names', async () => {
  const pods = ['tekka-0', 'tekka-1', 'tekka-2']
  const names = pods.map((p, i) => str(podConfig(p, 'default', `10.0.0.${i + 5}`), 'node.name'))
  const fake = await new fakeApi.FakeApiServer({ tokens: ['sa-token'], tls: false }).start()
  const dir = new fakeApi.ServiceAccountDir({ token: 'sa-token', ca: undefined })
  const stop = new AbortController()
  try {
    // StatefulSet pods: their hostname is the pod name (and serviceName their subdomain).
    fake.setPods('default', svc.metadata.name as string, pods.map((p, i) => ({ ip: `10.0.0.${i + 5}`, name: p, hostname: p })))
    // tekka-0's configuration, with only where the API server and its credentials are changed (as `--set` would).
    const c = podConfig('tekka-0', 'default', '10.0.0.5', { 'cluster.k8s.apiserver': fake.url, 'cluster.k8s.service_account_dir': dir.path })
    const strategy = strategyFromConfig(c, {
      node: str(c, 'node.name'), cluster: str(c, 'cluster.name'), port: undefined, clock: systemClock(), logger: silentLogger(), signal: stop.signal
    })
    assert.is(strategy.name, 'k8s')
    const found = await strategy.discover()
    assert.equal([...found].sort(), [...names].sort())
    assert.ok(fake.requests.length > 0 && fake.requests.every((r) => r.resource === 'endpointslices'), 'EndpointSlices, as the Role allows')
  } finally {
    stop.abort()
    await fake.close()
    dir.remove()
  }
})

test('YAML outside the subset the manifests are read with is refused with its file and line, so a manifest cannot drift past the checks', () => {
  const refused = (text: string, line: number, pattern: RegExp): void => {
    assert.throws(() => parseYamlDocuments(text, 'x.yaml'), (e: unknown) =>
      e instanceof YamlSubsetError && e instanceof TekkaError && e.code === 'ERR_YAML_SUBSET' &&
      e.file === 'x.yaml' && e.line === line && e.message.startsWith(`x.yaml:${line}: `) && pattern.test(e.message))
  }
  refused('a: 1\nb: &anchor 2\n', 2, /not read by this subset/)
  refused('a:\n  b: 1\n  b: 2\n', 3, /key b given twice/)
  refused('a: |\n  text\n', 1, /not read by this subset/)
  assert.equal(parseYamlDocuments('a: 1\n---\nb: [1, "x"]\n', 'x.yaml'), [{ a: 1 }, { b: [1, 'x'] }])
})

test.run()
