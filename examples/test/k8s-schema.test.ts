/**
 * examples/k8s against the Kubernetes API's own schemas: each manifest is
 * built as its kind's model from kubernetes-models (JSON schemas generated
 * from the Kubernetes OpenAPI spec) and validated, so a misspelt field
 * type, a probe without a handler or a bad apiVersion fails here rather
 * than at `kubectl apply`. The manifests are read with the examples' YAML
 * subset reader, as k8s-manifests.test.ts reads them.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StatefulSet } from 'kubernetes-models/apps/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1'
import { Service, ServiceAccount } from 'kubernetes-models/v1'
import { parseYamlDocuments } from './support/yaml-subset.js'

const DIR = fileURLToPath(new URL('../../k8s/', import.meta.url))

type Obj = Record<string, any>
interface Model { validate(): void }
const MODELS: Record<string, new (o: any) => Model> = {
  'apps/v1 StatefulSet': StatefulSet,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1 Role': Role,
  'rbac.authorization.k8s.io/v1 RoleBinding': RoleBinding,
  'v1 Service': Service,
  'v1 ServiceAccount': ServiceAccount
}

const docs = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()
  .flatMap((f) => (parseYamlDocuments(readFileSync(join(DIR, f), 'utf8'), f) as Obj[]).map((d) => ({ file: f, d })))

function validate (d: Obj): void {
  const key = `${String(d.apiVersion)} ${String(d.kind)}`
  const M = MODELS[key]
  if (M === undefined) throw new Error(`no schema here for ${key}`)
  new M(d).validate()
}

test('every manifest in examples/k8s validates against its kind\'s Kubernetes schema', () => {
  assert.ok(docs.length >= 6, 'rbac (3), service, statefulset, pdb')
  for (const { file, d } of docs) {
    try {
      validate(d)
    } catch (err) {
      assert.unreachable(`${file}: ${String(d.kind)} ${String(d.metadata?.name)}: ${(err as Error).message}`)
    }
  }
})

test('the schemas are real: wrong field types (replicas, grace period, the preStop command, a container port) and a bad selector are refused', () => {
  const sts = docs.find((x) => x.d.kind === 'StatefulSet')!.d
  const bad = (mutate: (c: Obj) => void): void => {
    const copy = JSON.parse(JSON.stringify(sts)) as Obj
    mutate(copy)
    assert.throws(() => { validate(copy) }, undefined, JSON.stringify(copy.spec.template.spec.containers[0].readinessProbe))
  }
  bad((c) => { c.spec.replicas = 'three' })
  bad((c) => { c.spec.template.spec.terminationGracePeriodSeconds = '20s' })
  bad((c) => { c.spec.template.spec.containers[0].lifecycle.preStop.exec.command = 'node -e leave' })
  bad((c) => { c.spec.template.spec.containers[0].ports[0].containerPort = 'dist' })
  const pdb = docs.find((x) => x.d.kind === 'PodDisruptionBudget')!.d
  assert.throws(() => { validate({ ...pdb, spec: { ...pdb.spec, selector: 'app=tekka' } }) })
})

test.run()
