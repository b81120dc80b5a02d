// In-process tekka nodes with the management endpoint on a free port, and
// plain HTTP requests to it (Node's fetch: a real client over a real socket).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@tekka/actors'
import { startTekka, type ManagementInstance, type TekkaNode } from '../../src/index.js'

export const TOKEN = 'test-token-1234'

export interface Managed {
  readonly t: TekkaNode
  readonly m: ManagementInstance
  readonly url: string
}

/** Starts `name` with the endpoint on port 0, static discovery of `seeds`, every default plugin. */
export async function startManaged (name: string, base: number, seeds: string[], overrides: Record<string, string | number | boolean | undefined> = {}): Promise<Managed> {
  const all: Record<string, string | number | boolean | undefined> = {
    'node.name': name,
    'node.dist_base_port': base,
    'node.data_dir': mkdtempSync(join(tmpdir(), 'tekka-mgmt-')),
    'cluster.discovery': 'static',
    'cluster.static.seeds': seeds.join(','),
    'cluster.autocluster_interval': '300ms',
    'management.port': 0,
    'management.token': TOKEN,
    'management.rtt_interval': '200ms',
    ...overrides
  }
  // undefined: the key is left unset (its default).
  for (const [k, v] of Object.entries(all)) if (v === undefined) delete all[k]
  const t = await startTekka({
    config: { overrides: all },
    cookie: 'mgmt',
    logger: silentLogger()
  })
  const m = t.plugins.get('@tekka/management') as ManagementInstance
  if (m.url === undefined) throw new Error('the management endpoint did not start')
  return { t, m, url: m.url }
}

export interface Reply { status: number, headers: Headers, text: string, json: any }

export async function request (url: string, path: string, init: RequestInit = {}): Promise<Reply> {
  const r = await fetch(url + path, { ...init, signal: AbortSignal.timeout(10_000) })
  const text = await r.text()
  let json: unknown
  try { json = JSON.parse(text) } catch {}
  return { status: r.status, headers: r.headers, text, json }
}

/** `token` null: no Authorization header. */
export async function post (url: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<Reply> {
  return await request(url, path, {
    method: 'POST',
    headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {})
  })
}
