// A stand-in for the Kubernetes API server, for the k8s strategy's tests: a
// real HTTPS server on 127.0.0.1 (certificates made with openssl, from the
// dist test helpers) answering the two reads the strategy makes, in the
// schemas of the Kubernetes API reference:
//
//   GET /api/v1/namespaces/{ns}/endpoints/{svc}                  -> v1 Endpoints
//   GET /apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices -> EndpointSliceList
//       ?labelSelector=kubernetes.io/service-name={svc}&limit=N&continue=T
//
// as the real server shapes them: Endpoints with several subsets (pods
// grouped by port set), notReadyAddresses, hostname, nodeName and targetRef;
// EndpointSlices of at most `sliceSize` endpoints per address family, with
// conditions ready / serving / terminating, an empty placeholder slice
// (`endpoints: null`) for a service without pods, pages with
// `metadata.continue` when `limit` is given. The bearer token is checked
// (401 and a Status object otherwise), a resource can be forbidden (403
// Status, worded as the RBAC authorizer words it), an unknown service's
// Endpoints are a 404 Status. Tests change the pods at any time, and can
// replace any answer (`respond`) to serve garbage.
//
// Also: a service-account directory (token, ca.crt, namespace) in a temp
// dir, removed at exit whatever happens.
import { createServer as createHttps, type Server as HttpsServer } from 'node:https'
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isIP, type Socket } from 'node:net'
import { createHash } from 'node:crypto'
import * as certs from './certs.js'
import * as exitHooks from './exit-hooks.js'
import type * as Certs from './certs.js'

export { certs, exitHooks }
export type { Certs as CertsModule }

export interface FakePod {
  /** Pod IP (IPv4 or IPv6). */
  ip: string
  /** Pod name (targetRef.name). Default `<service>-<index>`. */
  name?: string
  /** The endpoint's hostname, as for StatefulSet pods. Default none. */
  hostname?: string
  /** Readiness: true, false, or null (unknown: no `ready` condition written). Default true. */
  ready?: boolean | null
  /** Being deleted (conditions.terminating). Default false. */
  terminating?: boolean
  /** Port set of the pod: 0 (dist) or 1 (dist + metrics), which makes a second Endpoints subset. Default 0. */
  ports?: 0 | 1
}

export interface FakeResponse {
  status: number
  body: string
  contentType?: string
}

export interface FakeRequest {
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
  readonly resource: 'endpoints' | 'endpointslices' | 'other'
}

export interface FakeApiServerOptions {
  /** The bearer tokens accepted. */
  tokens: readonly string[]
  /** TLS key and certificate; `false` serves plain http. Default: the test CA's node certificate. */
  tls?: { key: string, cert: string } | false
  /** Endpoints per EndpointSlice (the controller's is 100). Default 3. */
  sliceSize?: number
}

const PORT_SETS = [
  [{ name: 'dist', port: 4370, protocol: 'TCP' }],
  [{ name: 'dist', port: 4370, protocol: 'TCP' }, { name: 'metrics', port: 9100, protocol: 'TCP' }]
]
const USER = (ns: string): string => `system:serviceaccount:${ns}:tekka`
const uid = (s: string): string => {
  const h = createHash('sha256').update(s).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

function status (code: number, reason: string, message: string, details?: Record<string, string>): FakeResponse {
  return {
    status: code,
    body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details !== undefined ? { details } : {}), code })
  }
}

export class FakeApiServer {
  readonly #server: Server | HttpsServer
  readonly #sockets = new Set<Socket>()
  readonly #services = new Map<string, FakePod[]>()
  readonly #sliceSize: number
  readonly #scheme: 'http' | 'https'
  #rv = 1000
  #url = ''
  #unregister: () => void = () => {}
  /** Accepted bearer tokens; change it to rotate. */
  tokens: Set<string>
  /** Resources answered 403 (`endpoints`, `endpointslices`). */
  readonly forbidden = new Set<'endpoints' | 'endpointslices'>()
  /** Every request, in order. */
  readonly requests: FakeRequest[] = []
  /**
   * Replaces the answer to a request (after the token check) when it returns one; `'hang'` never
   * answers; `'cut'` sends the headers and part of the body, then closes the connection.
   */
  respond: ((req: FakeRequest, url: URL) => FakeResponse | 'hang' | 'cut' | undefined) | undefined

  constructor (opts: FakeApiServerOptions) {
    this.tokens = new Set(opts.tokens)
    this.#sliceSize = opts.sliceSize ?? 3
    const handler = (req: IncomingMessage, res: ServerResponse): void => { this.#handle(req, res) }
    const tls = opts.tls === undefined ? defaultTls() : opts.tls
    this.#scheme = tls === false ? 'http' : 'https'
    this.#server = tls === false ? createHttp(handler) : createHttps({ key: tls.key, cert: tls.cert }, handler)
    this.#server.on('connection', (s: Socket) => {
      this.#sockets.add(s)
      s.on('close', () => { this.#sockets.delete(s) })
    })
    // A TLS handshake the client refuses is expected in some tests; keep it quiet.
    this.#server.on('tlsClientError', () => {})
  }

  get url (): string { return this.#url }

  async start (): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(0, '127.0.0.1', () => { this.#server.off('error', reject); resolve() })
    })
    const addr = this.#server.address()
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0
    this.#url = `${this.#scheme}://127.0.0.1:${port}`
    this.#unregister = exitHooks.onExit(() => { for (const s of this.#sockets) s.destroy(); this.#server.close() })
    return this
  }

  async close (): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>((resolve) => { this.#server.close(() => { resolve() }) })
    this.#unregister()
  }

  /** Sets the pods behind `service` in `namespace` (a new resourceVersion, as a real change makes). */
  setPods (namespace: string, service: string, pods: readonly FakePod[]): void {
    this.#services.set(`${namespace}/${service}`, pods.map((p) => ({ ...p })))
    this.#rv++
  }

  /** Removes the service. */
  deleteService (namespace: string, service: string): void {
    this.#services.delete(`${namespace}/${service}`)
    this.#rv++
  }

  /** Requests of one resource since `from` (an index into `requests`). */
  requestsOf (resource: FakeRequest['resource'], from = 0): FakeRequest[] {
    return this.requests.slice(from).filter((r) => r.resource === resource)
  }

  #handle (req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x')
    const path = url.pathname
    const resource = /^\/api\/v1\/namespaces\/[^/]+\/endpoints\/[^/]+$/.test(path)
      ? 'endpoints'
      : /^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/[^/]+\/endpointslices$/.test(path) ? 'endpointslices' : 'other'
    const r: FakeRequest = { method: req.method ?? '', path: `${path}${url.search}`, authorization: req.headers.authorization, resource }
    this.requests.push(r)
    const send = (a: FakeResponse): void => {
      res.writeHead(a.status, { 'Content-Type': a.contentType ?? 'application/json', 'Audit-Id': uid(String(this.requests.length)) })
      res.end(a.body)
    }
    const auth = req.headers.authorization ?? ''
    const m = /^Bearer (.+)$/.exec(auth)
    if (m === null || !this.tokens.has(m[1])) { send(status(401, 'Unauthorized', 'Unauthorized')); return }
    const over = this.respond?.(r, url)
    if (over === 'hang') return
    if (over === 'cut') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' })
      res.write('{"kind":"EndpointSliceList","items":[', () => { req.socket.destroy() })
      return
    }
    if (over !== undefined) { send(over); return }
    if (req.method !== 'GET') { send(status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`)); return }
    const parts = path.split('/')
    if (resource === 'endpoints') {
      const ns = decodeURIComponent(parts[4])
      const name = decodeURIComponent(parts[6])
      if (this.forbidden.has('endpoints')) {
        send(status(403, 'Forbidden', `endpoints "${name}" is forbidden: User "${USER(ns)}" cannot get resource "endpoints" in API group "" in the namespace "${ns}"`, { name, kind: 'endpoints' }))
        return
      }
      const pods = this.#services.get(`${ns}/${name}`)
      if (pods === undefined) { send(status(404, 'NotFound', `endpoints "${name}" not found`, { name, kind: 'endpoints' })); return }
      send({ status: 200, body: JSON.stringify(this.#endpoints(ns, name, pods)) })
      return
    }
    if (resource === 'endpointslices') {
      const ns = decodeURIComponent(parts[5])
      if (this.forbidden.has('endpointslices')) {
        send(status(403, 'Forbidden', `endpointslices.discovery.k8s.io is forbidden: User "${USER(ns)}" cannot list resource "endpointslices" in API group "discovery.k8s.io" in the namespace "${ns}"`, { group: 'discovery.k8s.io', kind: 'endpointslices' }))
        return
      }
      send({ status: 200, body: JSON.stringify(this.#sliceList(ns, url.searchParams)) })
      return
    }
    send(status(404, 'NotFound', 'the server could not find the requested resource'))
  }

  #meta (ns: string, name: string): Record<string, unknown> {
    return { name, namespace: ns, uid: uid(`${ns}/${name}`), resourceVersion: String(this.#rv), creationTimestamp: '2025-01-01T00:00:00Z' }
  }

  #podName (service: string, pods: readonly FakePod[], p: FakePod): string {
    return p.name ?? `${service}-${pods.indexOf(p)}`
  }

  #endpoints (ns: string, service: string, pods: readonly FakePod[]): Record<string, unknown> {
    const subsets: Array<Record<string, unknown>> = []
    for (const set of [0, 1] as const) {
      const members = pods.filter((p) => (p.ports ?? 0) === set)
      if (members.length === 0) continue
      const address = (p: FakePod): Record<string, unknown> => {
        const name = this.#podName(service, pods, p)
        return {
          ip: p.ip,
          ...(p.hostname !== undefined ? { hostname: p.hostname } : {}),
          nodeName: `worker-${pods.indexOf(p) % 2}`,
          targetRef: { kind: 'Pod', namespace: ns, name, uid: uid(`${ns}/${name}`) }
        }
      }
      // Endpoints know no "unknown" readiness: the controller lists such a pod as ready; a terminating one as not ready.
      const isReady = (p: FakePod): boolean => p.ready !== false && p.terminating !== true
      const ready = members.filter(isReady).map(address)
      const notReady = members.filter((p) => !isReady(p)).map(address)
      subsets.push({
        ...(ready.length > 0 ? { addresses: ready } : {}),
        ...(notReady.length > 0 ? { notReadyAddresses: notReady } : {}),
        ports: PORT_SETS[set]
      })
    }
    return {
      kind: 'Endpoints',
      apiVersion: 'v1',
      metadata: { ...this.#meta(ns, service), labels: { app: service }, annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2025-01-01T00:00:00Z' } },
      ...(subsets.length > 0 ? { subsets } : {})
    }
  }

  #slices (ns: string, service: string, pods: readonly FakePod[]): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = []
    const slice = (family: string, i: number, eps: FakePod[] | null): Record<string, unknown> => ({
      metadata: {
        ...this.#meta(ns, `${service}-${family.toLowerCase()}${i}x7q`),
        generateName: `${service}-`,
        generation: 1,
        labels: { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', 'kubernetes.io/service-name': service },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: service, uid: uid(`svc/${ns}/${service}`), controller: true, blockOwnerDeletion: true }]
      },
      addressType: family,
      endpoints: eps === null
        ? null
        : eps.map((p) => {
          const name = this.#podName(service, pods, p)
          const ready = p.terminating === true ? false : p.ready
          return {
            addresses: [p.ip],
            conditions: {
              ...(ready === null || ready === undefined ? (p.ready === null ? {} : { ready: true }) : { ready }),
              serving: p.ready !== false,
              terminating: p.terminating === true
            },
            ...(p.hostname !== undefined ? { hostname: p.hostname } : {}),
            targetRef: { kind: 'Pod', namespace: ns, name, uid: uid(`${ns}/${name}`) },
            nodeName: `worker-${pods.indexOf(p) % 2}`,
            zone: `zone-${pods.indexOf(p) % 3}`
          }
        }),
      ports: PORT_SETS[0]
    })
    for (const family of ['IPv4', 'IPv6']) {
      const mine = pods.filter((p) => (isIP(p.ip) === 6 ? 'IPv6' : 'IPv4') === family)
      for (let i = 0; i * this.#sliceSize < mine.length; i++) out.push(slice(family, i, mine.slice(i * this.#sliceSize, (i + 1) * this.#sliceSize)))
    }
    // The controller keeps one empty placeholder slice for a service without endpoints.
    if (out.length === 0) out.push(slice('IPv4', 0, null))
    return out
  }

  #sliceList (ns: string, q: URLSearchParams): Record<string, unknown> {
    const selector = q.get('labelSelector')
    const wanted = selector === null ? undefined : /^kubernetes\.io\/service-name=(.+)$/.exec(selector)?.[1]
    let items: Array<Record<string, unknown>> = []
    for (const [key, pods] of [...this.#services].sort(([a], [b]) => a.localeCompare(b))) {
      const [sns, svc] = key.split('/') as [string, string]
      if (sns !== ns) continue
      if (selector !== null && svc !== wanted) continue
      items.push(...this.#slices(ns, svc, pods))
    }
    const limit = Number(q.get('limit') ?? '0')
    const from = q.get('continue') === null ? 0 : (JSON.parse(Buffer.from(q.get('continue') as string, 'base64url').toString()) as { offset: number }).offset
    const metadata: Record<string, unknown> = { resourceVersion: String(this.#rv) }
    if (limit > 0) {
      const rest = items.length - (from + limit)
      items = items.slice(from, from + limit)
      if (rest > 0) {
        metadata.continue = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: this.#rv, offset: from + limit })).toString('base64url')
        metadata.remainingItemCount = rest
      }
    }
    return { kind: 'EndpointSliceList', apiVersion: 'discovery.k8s.io/v1', metadata, items }
  }
}

let made: Certs.Certs | undefined
/** The test certificates (made once per process). */
export function testCerts (): Certs.Certs {
  made ??= certs.makeCerts()
  return made
}

function defaultTls (): { key: string, cert: string } {
  const c = testCerts()
  return { key: c.key, cert: c.cert }
}

export interface ServiceAccountFiles {
  /** Token file contents; undefined: no token file. */
  token?: string
  /** ca.crt contents; undefined: no ca.crt. Default: the test CA. */
  ca?: string | undefined
  namespace?: string
}

/** A service-account directory as Kubernetes mounts it, in a temp dir removed at exit. */
export class ServiceAccountDir {
  readonly path: string
  readonly #unregister: () => void

  constructor (files: ServiceAccountFiles = {}) {
    this.path = mkdtempSync(join(tmpdir(), 'tekka-k8s-sa-'))
    const path = this.path
    this.#unregister = exitHooks.onExit(() => { rmSync(path, { recursive: true, force: true }) })
    if (files.token !== undefined) this.write('token', files.token)
    const ca = 'ca' in files ? files.ca : testCerts().ca
    if (ca !== undefined) this.write('ca.crt', ca)
    this.write('namespace', files.namespace ?? 'default')
  }

  write (file: 'token' | 'ca.crt' | 'namespace', text: string): void {
    writeFileSync(join(this.path, file), text)
  }

  remove (): void {
    rmSync(this.path, { recursive: true, force: true })
    this.#unregister()
  }
}
