/**
 * The k8s strategy (ekka_cluster_k8s, as in ekka 0.23.5, emqx/ekka commit
 * 4346f35): the nodes to cluster with are the ready endpoints of a
 * Kubernetes service, read from the API server with the pod's service
 * account. The API server is the registry, so there is no lock and no
 * register (ekka's `ignore`): a pod is listed once Kubernetes has it ready.
 *
 * What is read (`useEndpointSlices`, `cluster.k8s.use_endpoint_slices`):
 *
 * - on (default): the discovery.k8s.io/v1 EndpointSlices labelled
 *   `kubernetes.io/service-name=<service>` in the namespace, every page
 *   (`metadata.continue`); endpoints whose `conditions.ready` is true or
 *   unset. No slice at all means no such service (the EndpointSlice
 *   controller keeps an empty placeholder slice for a service without
 *   endpoints): that is an error, as the 404 of Endpoints is.
 * - off: the v1 Endpoints object of the service, as ekka does (deprecated
 *   since Kubernetes 1.33); the `addresses` of every subset, never the
 *   `notReadyAddresses`.
 *
 * Node names are `<appName>@<host>`, the host built from each address as
 * ekka builds it (`addressType`, `cluster.k8s.address_type`):
 *
 * | address type | suffix set                                   | suffix empty    |
 * |--------------|----------------------------------------------|-----------------|
 * | `ip`         | `10.0.0.5` (the suffix is not used)          | `10.0.0.5`      |
 * | `dns`        | `10-0-0-5.<namespace>.<suffix>`              | `10-0-0-5`      |
 * | `hostname`   | `<hostname>.<service>.<namespace>.<suffix>`  | `<hostname>`    |
 *
 * So `dns` wants a suffix like `pod.cluster.local` (a pod's A record) and
 * `hostname` one like `svc.cluster.local` (a StatefulSet pod behind a
 * headless service: `tekka-0.tekka-headless.default.svc.cluster.local`);
 * ekka inserts no `pod.` or `svc.` itself. Where ekka would crash or make a
 * name that cannot be dialled, this logs and skips the address: `dns`
 * dashes the colons of an IPv6 address too (CoreDNS reads them back), and
 * skips FQDN-type slices (there is no IP to dash); `hostname` skips an
 * endpoint without a hostname; any address that does not make a valid node
 * name (an `ip` that is not an IP, a hostname with a `_`) is skipped with
 * what is wrong with it, where it was in the answer and its pod. The skipped
 * list is logged (warn) when it changes, at debug while it stays the same.
 *
 * The namespace is `cluster.k8s.namespace` (default `default`); the
 * service account's `namespace` file is not read (ekka 0.23.5 does not
 * either): set the key to the pod's namespace, e.g. from the downward API
 * (`TEKKA_CLUSTER__K8S__NAMESPACE`). Token and CA: k8s-api.ts.
 *
 * Any failure (no answer, TLS refused, 401 / 403 / 404 / 5xx, not JSON,
 * JSON of the wrong shape) rejects discover() with a named error
 * (errors.ts) that says what was wrong; the autocluster actor logs it
 * and asks again at its next round. `stop()` aborts a request in flight;
 * discover() on a stopped strategy rejects until `start()`.
 */
import { isIP } from 'node:net'
import { BadArgError } from '@tekka/actors'
import { configValue } from '@tekka/dist'
import { DNS_LABEL, HOSTNAME, NAME_PART } from './config-patterns.js'
import { K8sClient, type ExplainStatus } from './k8s-api.js'
import { readyFromEndpoints, readyFromSlicePage, type ReadyAddress } from './k8s-endpoints.js'
import { K8sRequestError, K8sResponseError } from './errors.js'
import { describe, nameProblem, shortNameProblem } from './names.js'
import { anySignal } from './signals.js'
import type { Strategy, StrategyCallOptions, StrategyComponents, StrategyDefinition, StrategyFactory } from './strategy.js'

/** How node hosts are built from endpoints (`cluster.k8s.address_type`), as ekka builds them. */
export type K8sAddressType = 'ip' | 'dns' | 'hostname'

export interface K8sInit {
  /** API server base URL (`cluster.k8s.apiserver`). Default `https://kubernetes.default.svc`. */
  apiserver?: string
  /** The service whose endpoints are the nodes (`cluster.k8s.service_name`). Default `tekka`. */
  serviceName?: string
  /** Its namespace (`cluster.k8s.namespace`). Default `default`. */
  namespace?: string
  /** How hosts are built from endpoints (`cluster.k8s.address_type`). Default `ip`. */
  addressType?: K8sAddressType
  /** Short name of the discovered nodes (`cluster.k8s.app_name`). Default `tekka`. */
  appName?: string
  /** DNS suffix for `dns` and `hostname` (`cluster.k8s.suffix`); empty: none. Default `pod.cluster.local`. */
  suffix?: string
  /** Where the pod's token and ca.crt are (`cluster.k8s.service_account_dir`). Default `/var/run/secrets/kubernetes.io/serviceaccount`. */
  serviceAccountDir?: string
  /** Read EndpointSlices (true) or v1 Endpoints (`cluster.k8s.use_endpoint_slices`). Default true. */
  useEndpointSlices?: boolean
  /** ms one request to the API server may take. Default 5000. */
  timeout?: number
  /** EndpointSlices asked per page (`limit`). Default 500. */
  pageSize?: number
  /** Largest answer accepted, in bytes. Default 16 MiB. */
  maxBytes?: number
  /** Pages of EndpointSlices followed at most, so a server whose `continue` never ends cannot hold a round. Default 1000. */
  maxPages?: number
}

type Options = Required<K8sInit>

const ADDRESS_TYPES: readonly K8sAddressType[] = ['ip', 'dns', 'hostname']

interface Skip { readonly item: string, readonly problem: string }

class K8sStrategy implements Strategy {
  readonly name = 'k8s'
  readonly #o: Options
  readonly #c: StrategyComponents
  readonly #client: K8sClient
  #stopped = false
  #abort = new AbortController()
  #lastSkipped = ''

  constructor (o: Options, c: StrategyComponents) {
    this.#o = o
    this.#c = c
    this.#client = new K8sClient({ apiserver: o.apiserver, serviceAccountDir: o.serviceAccountDir, timeout: o.timeout, maxBytes: o.maxBytes, clock: c.clock, logger: c.logger })
  }

  start (): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#abort = new AbortController()
  }

  stop (): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#abort.abort(new Error('k8s strategy stopped'))
  }

  async discover (options: StrategyCallOptions = {}): Promise<string[]> {
    if (this.#stopped) throw new K8sRequestError(this.#o.apiserver, 'the k8s strategy is stopped')
    const { signal, release } = anySignal([options.signal, this.#c.signal, this.#abort.signal])
    try {
      const addresses = this.#o.useEndpointSlices ? await this.#fromSlices(signal) : await this.#fromEndpoints(signal)
      return this.#names(addresses)
    } finally {
      release()
    }
  }

  async #fromEndpoints (signal: AbortSignal): Promise<ReadyAddress[]> {
    const { namespace: ns, serviceName: svc } = this.#o
    const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/endpoints/${encodeURIComponent(svc)}`
    const explain: ExplainStatus = (status) => {
      if (status === 403) return `the service account may not get endpoints in namespace "${ns}": its Role needs verbs get, list on resource endpoints (apiGroups "")`
      if (status === 404) return `no service "${svc}" in namespace "${ns}" (cluster.k8s.service_name, cluster.k8s.namespace)`
      return undefined
    }
    return readyFromEndpoints(await this.#client.get(path, explain, signal), this.#client.url(path))
  }

  async #fromSlices (signal: AbortSignal): Promise<ReadyAddress[]> {
    const { namespace: ns, serviceName: svc, pageSize, maxPages } = this.#o
    const base = `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/endpointslices` +
      `?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${svc}`)}&limit=${pageSize}`
    const explain: ExplainStatus = (status) => {
      if (status === 403) return `the service account may not list endpointslices in namespace "${ns}": its Role needs verbs get, list on resource endpointslices (apiGroups "discovery.k8s.io")`
      if (status === 404) return 'the API server does not serve discovery.k8s.io/v1 (Kubernetes before 1.21?): set cluster.k8s.use_endpoint_slices = off'
      return undefined
    }
    const out: ReadyAddress[] = []
    let slices = 0
    let token: string | undefined
    for (let page = 0; ; page++) {
      if (page >= maxPages) throw new K8sResponseError(this.#client.url(base), `more than ${maxPages} pages of EndpointSlices (metadata.continue never ends)`)
      const path = token === undefined ? base : `${base}&continue=${encodeURIComponent(token)}`
      const p = readyFromSlicePage(await this.#client.get(path, explain, signal), this.#client.url(path))
      out.push(...p.addresses)
      slices += p.slices
      if (p.continue === undefined) break
      if (p.continue === token) throw new K8sResponseError(this.#client.url(path), 'metadata.continue repeats the token of the page asked for')
      token = p.continue
    }
    if (slices === 0) {
      throw new K8sResponseError(this.#client.url(base), `no EndpointSlice is labelled kubernetes.io/service-name=${svc} in namespace "${ns}": ` +
        `no service "${svc}" there (cluster.k8s.service_name, cluster.k8s.namespace), or a service without a selector`)
    }
    return out
  }

  /** Node names of the addresses, deduplicated; what does not make one is skipped and logged. */
  #names (addresses: readonly ReadyAddress[]): string[] {
    const names: string[] = []
    const seen = new Set<string>()
    const skipped: Skip[] = []
    for (const a of addresses) {
      const item = `${JSON.stringify(a.address)} (${a.where}${a.pod === undefined ? '' : `, pod ${a.pod}`})`
      const host = this.#host(a)
      if (typeof host !== 'string') { skipped.push({ item, problem: host.problem }); continue }
      const name = `${this.#o.appName}@${host}`
      const problem = nameProblem(name)
      if (problem !== undefined) { skipped.push({ item, problem: `makes the node name ${describe(name)}: ${problem}` }); continue }
      if (seen.has(name)) continue
      seen.add(name)
      names.push(name)
    }
    this.#report(skipped)
    return names
  }

  /** The host part of the node name of `a`, as ekka builds it (see the table above). */
  #host (a: ReadyAddress): string | { problem: string } {
    const { addressType, suffix, namespace, serviceName } = this.#o
    const family = checkFamily(a)
    if (family !== undefined) return { problem: family }
    switch (addressType) {
      case 'ip':
        return a.address
      case 'dns': {
        if (a.family === 'FQDN') return { problem: 'an FQDN address: address_type dns needs an IP to dash' }
        const dashed = a.address.replace(/[.:]/g, '-')
        return suffix === '' ? dashed : `${dashed}.${namespace}.${suffix}`
      }
      case 'hostname':
        if (a.hostname === undefined || a.hostname === '') {
          return { problem: 'the endpoint has no hostname: address_type hostname needs pods with spec.hostname and spec.subdomain (a StatefulSet whose serviceName is the headless service)' }
        }
        return suffix === '' ? a.hostname : `${a.hostname}.${serviceName}.${namespace}.${suffix}`
    }
  }

  #report (skipped: readonly Skip[]): void {
    const key = JSON.stringify(skipped)
    const changed = key !== this.#lastSkipped
    this.#lastSkipped = key
    if (skipped.length === 0) return
    const text = `k8s endpoint addresses skipped: ${skipped.map((s) => `${s.item}: ${s.problem}`).join('; ')}`
    if (changed) this.#c.logger.warn(text, { skipped })
    else this.#c.logger.debug(text, { skipped })
  }
}

/** Why the address is not of its slice's addressType, or undefined when it is. */
function checkFamily (a: ReadyAddress): string | undefined {
  const v = isIP(a.address)
  switch (a.family) {
    case 'IP': return v === 0 ? 'not an IP address' : undefined
    case 'IPv4': return v === 4 ? undefined : 'not an IPv4 address (the slice\'s addressType is IPv4)'
    case 'IPv6': return v === 6 ? undefined : 'not an IPv6 address (the slice\'s addressType is IPv6)'
    case 'FQDN': return undefined // checked as a node name
    default: return `unknown addressType ${describe(a.family)} (IPv4, IPv6 or FQDN)`
  }
}

function positiveInt (v: unknown, dflt: number, what: string): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new BadArgError(`k8s strategy: ${what} must be a positive integer, got ${describe(v)}`)
  return v
}

function label (v: unknown, dflt: string, what: string): string {
  if (v === undefined) return dflt
  if (typeof v !== 'string' || !DNS_LABEL.test(v)) throw new BadArgError(`k8s strategy: ${what} must be a DNS label (lowercase letters, digits, -), got ${describe(v)}`)
  return v
}

export const k8sStrategy: StrategyFactory<K8sInit> = (init = {}) => {
  // Defaults in one place (the same as the cluster.k8s.* config keys).
  const apiserver = init.apiserver ?? 'https://kubernetes.default.svc'
  let url: URL | undefined
  try { url = new URL(apiserver) } catch {}
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw new BadArgError(`k8s strategy: apiserver must be an http(s) URL, got ${describe(apiserver)}`)
  const addressType = init.addressType ?? 'ip'
  if (!ADDRESS_TYPES.includes(addressType)) throw new BadArgError(`k8s strategy: addressType must be ip, dns or hostname, got ${describe(addressType)}`)
  const appName = init.appName ?? 'tekka'
  if (shortNameProblem(appName) !== undefined) throw new BadArgError(`k8s strategy: appName must be a node short name (letters, digits, _ or -), got ${describe(appName)}`)
  const suffix = (init.suffix ?? 'pod.cluster.local').replace(/^\.+/, '')
  const dir = init.serviceAccountDir ?? '/var/run/secrets/kubernetes.io/serviceaccount'
  if (typeof dir !== 'string' || dir === '') throw new BadArgError(`k8s strategy: serviceAccountDir must be a directory path, got ${describe(dir)}`)
  const o: Options = {
    apiserver,
    serviceName: label(init.serviceName, 'tekka', 'serviceName'),
    namespace: label(init.namespace, 'default', 'namespace'),
    addressType,
    appName,
    suffix,
    serviceAccountDir: dir,
    useEndpointSlices: init.useEndpointSlices ?? true,
    timeout: positiveInt(init.timeout, 5000, 'timeout'),
    pageSize: positiveInt(init.pageSize, 500, 'pageSize'),
    maxBytes: positiveInt(init.maxBytes, 16 * 1024 * 1024, 'maxBytes'),
    maxPages: positiveInt(init.maxPages, 1000, 'maxPages')
  }
  return (components) => new K8sStrategy(o, components)
}

/** `cluster.discovery = k8s`: `cluster.k8s.*`. */
export const k8sDefinition: StrategyDefinition<K8sInit> = {
  name: 'k8s',
  keys: [
    { key: 'cluster.k8s.apiserver', type: 'url', default: 'https://kubernetes.default.svc', doc: 'k8s: API server URL.', ekka: [{ key: 'cluster.k8s.apiserver' }] },
    { key: 'cluster.k8s.service_name', type: 'string', default: 'tekka', pattern: DNS_LABEL, patternText: 'a DNS label: lowercase letters, digits or -', doc: 'k8s: service whose endpoints are the nodes.', ekka: [{ key: 'cluster.k8s.service_name' }] },
    { key: 'cluster.k8s.namespace', type: 'string', default: 'default', pattern: DNS_LABEL, patternText: 'a DNS label: lowercase letters, digits or -', doc: 'k8s: namespace of the service.', ekka: [{ key: 'cluster.k8s.namespace' }] },
    { key: 'cluster.k8s.address_type', type: 'enum', default: 'ip', values: ADDRESS_TYPES, doc: 'k8s: how node hosts are formed from endpoints, as ekka does: the pod IP; `<ip-with-dashes>.<namespace>.<suffix>`; or `<hostname>.<service>.<namespace>.<suffix>` (StatefulSet pods; suffix e.g. svc.cluster.local). With an empty suffix, dns and hostname give `<ip-with-dashes>` and `<hostname>` alone.', ekka: [{ key: 'cluster.k8s.address_type' }] },
    { key: 'cluster.k8s.app_name', type: 'string', default: 'tekka', pattern: NAME_PART, patternText: 'a node short name: letters, digits, _ or -', doc: 'k8s: short name of the discovered nodes (`app_name@<host>`).', ekka: [{ key: 'cluster.k8s.app_name', note: 'ekka, EMQX 4' }] },
    { key: 'cluster.k8s.suffix', type: 'string', default: 'pod.cluster.local', allowEmpty: true, pattern: HOSTNAME, patternText: 'a DNS name, or empty', doc: 'k8s: DNS suffix for the dns and hostname address types.', ekka: [{ key: 'cluster.k8s.suffix' }] },
    { key: 'cluster.k8s.service_account_dir', type: 'path', default: '/var/run/secrets/kubernetes.io/serviceaccount', doc: 'k8s: directory with the pod\'s token, ca.crt and namespace, as Kubernetes mounts it.' },
    { key: 'cluster.k8s.use_endpoint_slices', type: 'bool', default: true, doc: 'k8s: read discovery.k8s.io/v1 EndpointSlices (the v1 Endpoints API is deprecated since Kubernetes 1.33); off reads v1 Endpoints as ekka does, for old clusters. The RBAC role must allow the chosen resource.' }
  ],
  read: (config) => ({
    apiserver: configValue(config, 'cluster.k8s.apiserver') as string,
    serviceName: configValue(config, 'cluster.k8s.service_name') as string,
    namespace: configValue(config, 'cluster.k8s.namespace') as string,
    addressType: configValue(config, 'cluster.k8s.address_type') as K8sAddressType,
    appName: configValue(config, 'cluster.k8s.app_name') as string,
    suffix: configValue(config, 'cluster.k8s.suffix') as string,
    serviceAccountDir: configValue(config, 'cluster.k8s.service_account_dir') as string,
    useEndpointSlices: configValue(config, 'cluster.k8s.use_endpoint_slices') as boolean
  }),
  create: (init, components) => k8sStrategy(init)(components)
}
