/**
 * The two calls the example makes to etcd itself, through the v3 HTTP/JSON
 * gateway that every etcd since 3.4 serves on its client URL (`POST
 * /v3/...`, keys and values in base64): is it up (`maintenance/status`
 * names a leader), and which keys are under a prefix (`kv/range` from the
 * prefix to the prefix with its last byte plus one).
 *
 *   await keysUnder('http://127.0.0.1:2379', 'tekka-example/')
 *   // [{ key: 'tekka-example/etcd-example/nodes/node1@127.0.0.1', value: 'node1@127.0.0.1', lease: '7587...' }]
 *
 * The nodes talk to etcd through @tekka/discovery's own client; this is the
 * launcher's independent look at what they left there.
 */
import { request } from 'node:http'
import { EtcdGatewayError } from '../lib/errors.js'

export { EtcdGatewayError } from '../lib/errors.js'

export interface EtcdKey {
  key: string
  value: string
  /** The lease the key lives under, in decimal as the gateway writes it ('0': none). */
  lease: string
}

export interface GatewayCallOptions {
  /** ms the whole call may take. Default 5000. */
  timeout?: number
  signal?: AbortSignal
}

/** POST `body` as JSON to `url` + `path`; the JSON answer. */
export async function gatewayPost (url: string, path: string, body: unknown, opts: GatewayCallOptions = {}): Promise<Record<string, unknown>> {
  const timeout = opts.timeout ?? 5000
  return await new Promise((resolve, reject) => {
    const req = request(new URL(path, url), {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json' },
      timeout,
      ...(opts.signal !== undefined ? { signal: opts.signal } : {})
    }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { text += d })
      res.on('error', reject)
      res.on('end', () => {
        if (res.statusCode !== 200) { reject(new EtcdGatewayError(`etcd ${path}: HTTP ${res.statusCode ?? '?'} ${text.trim()}`)); return }
        try {
          const v: unknown = JSON.parse(text)
          if (typeof v !== 'object' || v === null || Array.isArray(v)) {
            reject(new EtcdGatewayError(`etcd ${path}: bad answer (not a JSON object): ${text.slice(0, 200)}`))
            return
          }
          resolve(v as Record<string, unknown>)
        } catch (err) {
          reject(new EtcdGatewayError(`etcd ${path}: bad answer (${(err as Error).message}): ${text.slice(0, 200)}`))
        }
      })
    })
    req.on('timeout', () => { req.destroy(new EtcdGatewayError(`etcd ${path}: no answer within ${timeout} ms`)) })
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}

/** Whether etcd at `url` answers and has a leader (it then serves reads and writes). */
export async function etcdReady (url: string, opts: GatewayCallOptions = {}): Promise<boolean> {
  try {
    const r = await gatewayPost(url, '/v3/maintenance/status', {}, { timeout: 1000, ...opts })
    return typeof r.leader === 'string' && r.leader !== '0'
  } catch {
    return false
  }
}

/** Every key under `prefix`, in key order. */
export async function keysUnder (url: string, prefix: string, opts: GatewayCallOptions = {}): Promise<EtcdKey[]> {
  const r = await gatewayPost(url, '/v3/kv/range', { key: b64(prefix), range_end: prefixEnd(prefix), sort_order: 'ASCEND', sort_target: 'KEY' }, opts)
  const kvs = r.kvs ?? []
  if (!Array.isArray(kvs)) throw new EtcdGatewayError('etcd /v3/kv/range: kvs is not a list')
  return kvs.map((kv: Record<string, unknown>, i) => {
    if (typeof kv?.key !== 'string') throw new EtcdGatewayError(`etcd /v3/kv/range: kvs[${i}].key is not a string`)
    return { key: unb64(kv.key), value: typeof kv.value === 'string' ? unb64(kv.value) : '', lease: typeof kv.lease === 'string' ? kv.lease : '0' }
  })
}

/** A lease id as etcd's tools print it (hex). */
export function leaseHex (lease: string): string {
  return /^\d+$/.test(lease) ? BigInt(lease).toString(16) : lease
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64')
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8')

/** The end of the range of keys that start with `prefix` (base64): its last byte plus one. */
function prefixEnd (prefix: string): string {
  const end = Buffer.from(prefix, 'utf8')
  let i = end.length - 1
  while (i >= 0 && end[i] === 0xff) i--
  // All 0xff (or empty): every key from the prefix on, as etcd spells it ("\0").
  if (i < 0) return b64('\0')
  end[i] = (end[i]) + 1
  return end.subarray(0, i + 1).toString('base64')
}
