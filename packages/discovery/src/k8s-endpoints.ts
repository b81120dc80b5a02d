/**
 * The ready addresses of a service, read out of the API server's answers:
 *
 * - a v1 `Endpoints` object (`GET /api/v1/namespaces/{ns}/endpoints/{svc}`):
 *   every subset's `addresses` (ready), never `notReadyAddresses`; a service
 *   without endpoints has no `subsets` at all;
 * - a page of a discovery.k8s.io/v1 `EndpointSliceList`: every slice's
 *   `endpoints` whose `conditions.ready` is true or unset / null (the API:
 *   "a nil value should be interpreted as ready"), their first address (the
 *   only one with defined semantics; the controller writes exactly one), and
 *   `metadata.continue` for the next page. An empty slice has
 *   `endpoints: null`.
 *
 * An answer whose structure is not the API's (not an object, a list that is
 * not a list, an address without its `ip`) is a K8sResponseError naming the
 * field, and the round fails: no node is discovered from half-understood
 * data. Values inside a well-formed structure (an `ip` that is not an IP, an
 * unknown addressType) are the caller's to judge: it skips those items and
 * says why.
 */
import { K8sResponseError } from './errors.js'
import { describe } from './names.js'

export interface ReadyAddress {
  /** The address as given: an IP for Endpoints and IPv4 / IPv6 slices, a name for FQDN slices. */
  readonly address: string
  /** The slice's `addressType` (`IPv4`, `IPv6`, `FQDN`, or what a newer API says); `IP` for v1 Endpoints (either family). */
  readonly family: string
  /** The endpoint's `hostname` (set for pods with `spec.hostname` and `spec.subdomain`, as a StatefulSet's). */
  readonly hostname: string | undefined
  /** The pod it belongs to (`targetRef.name`), for messages. */
  readonly pod: string | undefined
  /** Where it is in the answer, for messages: `subsets[0].addresses[2]`, `EndpointSlice tekka-x1z (items[1]) endpoints[0]`. */
  readonly where: string
}

export interface SlicePage {
  readonly addresses: ReadyAddress[]
  /** Slices on this page. */
  readonly slices: number
  /** `metadata.continue`: the token of the next page, if there is one. */
  readonly continue: string | undefined
}

type Obj = Record<string, unknown>

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

class Shape {
  constructor (readonly url: string, readonly what: string) {}

  fail (path: string, problem: string): never {
    throw new K8sResponseError(this.url, `the answer is not ${this.what}: ${path} ${problem}`)
  }

  object (v: unknown, path: string): Obj {
    if (!isObj(v)) this.fail(path, `is ${describe(v)}, not an object`)
    return v
  }

  /** A list, or null / absent (empty). */
  list (v: unknown, path: string): unknown[] {
    if (v === undefined || v === null) return []
    if (!Array.isArray(v)) this.fail(path, `is ${describe(v)}, not a list`)
    return v
  }

  /** A string, or null / absent (undefined). */
  optString (v: unknown, path: string): string | undefined {
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'string') this.fail(path, `is ${describe(v)}, not a string`)
    return v
  }

  kind (o: Obj, want: string): void {
    if (o.kind !== undefined && o.kind !== want) this.fail('kind', `is ${describe(o.kind)}, not "${want}"`)
  }
}

function podOf (shape: Shape, ref: unknown, path: string): string | undefined {
  if (ref === undefined || ref === null) return undefined
  return shape.optString(shape.object(ref, path).name, `${path}.name`)
}

/** Ready addresses of a v1 Endpoints object, in order, every subset. */
export function readyFromEndpoints (body: unknown, url: string): ReadyAddress[] {
  const shape: Shape = new Shape(url, 'a v1 Endpoints object')
  const root = shape.object(body, 'the answer')
  shape.kind(root, 'Endpoints')
  const out: ReadyAddress[] = []
  shape.list(root.subsets, 'subsets').forEach((s, i) => {
    const subset = shape.object(s, `subsets[${i}]`)
    shape.list(subset.addresses, `subsets[${i}].addresses`).forEach((a, j) => {
      const where = `subsets[${i}].addresses[${j}]`
      const addr = shape.object(a, where)
      const ip = addr.ip
      if (typeof ip !== 'string') shape.fail(`${where}.ip`, `is ${describe(ip)}, not a string`)
      out.push({
        address: ip,
        family: 'IP',
        hostname: shape.optString(addr.hostname, `${where}.hostname`),
        pod: podOf(shape, addr.targetRef, `${where}.targetRef`),
        where
      })
    })
  })
  return out
}

/** Ready addresses of one page of an EndpointSliceList, and the next page's token. */
export function readyFromSlicePage (body: unknown, url: string): SlicePage {
  const shape: Shape = new Shape(url, 'a discovery.k8s.io/v1 EndpointSliceList')
  const root = shape.object(body, 'the answer')
  shape.kind(root, 'EndpointSliceList')
  if (!Array.isArray(root.items) && root.items !== null) shape.fail('items', `is ${describe(root.items)}, not a list`)
  const items = shape.list(root.items, 'items')
  let next: string | undefined
  if (root.metadata !== undefined && root.metadata !== null) {
    next = shape.optString(shape.object(root.metadata, 'metadata').continue, 'metadata.continue')
    if (next === '') next = undefined
  }
  const out: ReadyAddress[] = []
  items.forEach((it, i) => {
    const slice = shape.object(it, `items[${i}]`)
    let name: string | undefined
    if (slice.metadata !== undefined && slice.metadata !== null) name = shape.optString(shape.object(slice.metadata, `items[${i}].metadata`).name, `items[${i}].metadata.name`)
    const sliceAt = name === undefined ? `items[${i}]` : `EndpointSlice ${name} (items[${i}])`
    const family = slice.addressType
    if (typeof family !== 'string') shape.fail(`items[${i}].addressType`, `is ${describe(family)}, not a string`)
    shape.list(slice.endpoints, `items[${i}].endpoints`).forEach((e, j) => {
      const path = `items[${i}].endpoints[${j}]`
      const ep = shape.object(e, path)
      if (!isReady(shape, ep, path)) return
      const addresses = shape.list(ep.addresses, `${path}.addresses`)
      const first: unknown = addresses[0]
      if (first === undefined) shape.fail(`${path}.addresses`, 'is empty (an endpoint has at least one address)')
      if (typeof first !== 'string') shape.fail(`${path}.addresses[0]`, `is ${describe(first)}, not a string`)
      out.push({
        address: first,
        family,
        hostname: shape.optString(ep.hostname, `${path}.hostname`),
        pod: podOf(shape, ep.targetRef, `${path}.targetRef`),
        where: `${sliceAt} endpoints[${j}]`
      })
    })
  })
  return { addresses: out, slices: items.length, continue: next }
}

/** `conditions.ready`: true, or unset / null (unknown, taken as ready); false is not ready. */
function isReady (shape: Shape, ep: Obj, path: string): boolean {
  if (ep.conditions === undefined || ep.conditions === null) return true
  const ready = shape.object(ep.conditions, `${path}.conditions`).ready
  if (ready === undefined || ready === null) return true
  if (typeof ready !== 'boolean') shape.fail(`${path}.conditions.ready`, `is ${describe(ready)}, not true, false or null`)
  return ready
}
