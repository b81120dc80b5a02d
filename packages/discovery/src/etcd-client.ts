/**
 * A small client of etcd's v3 API through its HTTP/JSON gateway (`POST
 * /v3/<service>/<call>`, keys and values base64, 64-bit integers as decimal
 * strings), as the etcd strategy needs it. No dependency: node:http and
 * node:https.
 *
 * Servers and failover: the client keeps the index of the server that last
 * answered and sends every request there first. A server that cannot be
 * reached (refused, reset, unreachable, no answer within `attemptTimeout`,
 * a TLS handshake that fails) is skipped for the next one in the list; the
 * first that answers (with any HTTP status) is remembered. A server that
 * answers with an error is not skipped: etcd said no, and another member of
 * the same cluster would say the same. The requests the strategy sends are
 * all safe to repeat on another server (puts of the same key and lease,
 * deletes, reads, a compare-and-put); a lease grant sent twice leaves one
 * unused lease behind, which etcd drops after its TTL.
 *
 * Every request is bounded: by `requestTimeout` over all its attempts, and
 * by the AbortSignals it is given (the caller's, the strategy's). Whatever
 * goes wrong becomes one of the named errors below, whose message says which
 * server, which call, and what etcd (or the network) said.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Clock, Logger } from '@tekka/actors'
import { EtcdBadResponseError, EtcdError, EtcdTimeoutError, EtcdUnreachableError } from './errors.js'
import { snippet } from './etcd-encoding.js'
import { anySignal } from './signals.js'

/** PEM material for https servers (read from cluster.etcd.ssl.* files). */
export interface EtcdTls {
  key?: string | Buffer
  cert?: string | Buffer
  /** Trusted CAs; default: Node's bundled ones. */
  ca?: string | Buffer
}

export interface EtcdClientOptions {
  /** Endpoint URLs (`http://10.0.0.1:2379`); a path is kept as a prefix (a proxy). At least one. */
  servers: readonly string[]
  tls?: EtcdTls
  /** ms a request may take over all its attempts. */
  requestTimeout: number
  /** ms one server may take to connect and start answering before the next one is tried. */
  attemptTimeout: number
  clock: Clock
  logger: Logger
}

/** Most bytes of an answer read: a node list of 10 000 names fits many times over. */
const MAX_BODY = 16 * 1024 * 1024

/**
 * What one attempt at one server came to: an answer (any HTTP status), or
 * none at all (refused, reset, no answer in time, a TLS handshake that
 * failed): then the next server is worth a try.
 */
type Attempt =
  | { readonly answered: true, readonly status: number, readonly text: string }
  | { readonly answered: false, readonly reason: string }

export class EtcdClient {
  readonly servers: readonly URL[]
  readonly #tls: EtcdTls | undefined
  readonly #requestTimeout: number
  readonly #attemptTimeout: number
  readonly #clock: Clock
  readonly #log: Logger
  #current = 0

  constructor (o: EtcdClientOptions) {
    this.servers = o.servers.map((s) => new URL(s))
    this.#tls = o.tls
    this.#requestTimeout = o.requestTimeout
    this.#attemptTimeout = o.attemptTimeout
    this.#clock = o.clock
    this.#log = o.logger
  }

  /** The server requests go to first: the last one that answered. */
  get current (): string { return this.servers[this.#current]?.origin ?? '' }

  /**
   * POSTs `body` as JSON to `path` (`/v3/kv/range`) and resolves with the
   * JSON object etcd answered. Rejects with EtcdError, EtcdBadResponseError,
   * EtcdUnreachableError, EtcdTimeoutError, or the reason of an aborted signal.
   */
  async post (path: string, body: unknown, signals: ReadonlyArray<AbortSignal | undefined>): Promise<Record<string, unknown>> {
    const call = callOf(path)
    const ac = anySignal(signals)
    let tried = this.current
    const timer = this.#clock.setTimeout(() => { ac.abort(new EtcdTimeoutError(call, this.#requestTimeout, tried)) }, this.#requestTimeout)
    try {
      const payload = JSON.stringify(body)
      const failures: Array<{ server: string, reason: string }> = []
      const n = this.servers.length
      const first = this.#current
      for (let k = 0; k < n; k++) {
        ac.signal.throwIfAborted()
        const i = (first + k) % n
        const url = this.servers[i]
        tried = url.origin
        const answer = await this.#attempt(url, path, payload, ac.signal)
        if (!answer.answered) {
          ac.signal.throwIfAborted()
          failures.push({ server: url.origin, reason: answer.reason })
          if (k + 1 < n) this.#log.debug(`etcd ${url.origin} cannot be reached (${answer.reason}): trying ${this.servers[(i + 1) % n]?.origin ?? ''}`, { server: url.origin, call })
          continue
        }
        if (i !== this.#current) {
          this.#log.info(`etcd: now using ${url.origin} (${failures.map((f) => `${f.server}: ${f.reason}`).join('; ')})`, { server: url.origin })
          this.#current = i
        }
        return parseAnswer(url.origin, call, answer.status, answer.text)
      }
      throw new EtcdUnreachableError(call, failures)
    } catch (err) {
      // The timeout or an abort may have ended a request that failed because of it: say the cause.
      if (ac.signal.aborted) throw ac.signal.reason as Error
      throw err
    } finally {
      this.#clock.clearTimeout(timer)
      ac.release()
    }
  }

  /**
   * A streaming call (`/v3/watch`) on the server that last answered: POSTs
   * `body`, then hands each JSON object of the stream to `onObject` until it
   * answers true (resolves), the stream ends or fails (rejects, as `post`
   * does), or a signal is aborted (rejects with its reason). No timeout of
   * its own, and no failover: the caller bounds it and asks again.
   */
  async stream (path: string, body: unknown, signals: ReadonlyArray<AbortSignal | undefined>, onObject: (o: Record<string, unknown>) => boolean): Promise<void> {
    const call = callOf(path)
    const ac = anySignal(signals)
    const url = this.servers[this.#current]
    try {
      ac.signal.throwIfAborted()
      const answer = await this.#attempt(url, path, JSON.stringify(body), ac.signal, (o) => {
        // Errors come inside the stream too: parseAnswer turns them into EtcdError.
        return onObject(parseAnswer(url.origin, call, 200, JSON.stringify(o)))
      })
      if (!answer.answered) {
        ac.signal.throwIfAborted()
        throw new EtcdUnreachableError(call, [{ server: url.origin, reason: answer.reason }])
      }
      if (answer.status !== 200) parseAnswer(url.origin, call, answer.status, answer.text)
    } catch (err) {
      if (ac.signal.aborted) throw ac.signal.reason as Error
      throw err
    } finally {
      ac.release()
    }
  }

  /**
   * One request to one server: its status and body, or why no answer
   * began. Rejects when an answer began and went wrong, or `signal` was
   * aborted. With `onObject`, a 200 answer is read as a stream of JSON
   * objects, one a line, until `onObject` answers true.
   */
  async #attempt (url: URL, path: string, payload: string, signal: AbortSignal, onObject?: (o: unknown) => boolean): Promise<Attempt> {
    const https = url.protocol === 'https:'
    const base = url.pathname.replace(/\/+$/, '')
    const call = callOf(path)
    return await new Promise((resolve, reject) => {
      let answered = false
      let settled = false
      let req: ClientRequest | undefined
      const finish = (err: Error | undefined, v?: Attempt): void => {
        if (settled) return
        settled = true
        signal.removeEventListener('abort', onAbort)
        // Also after a whole answer: a stream (a watch) stays open until the connection goes.
        req?.destroy()
        if (err !== undefined) reject(err)
        else resolve(v as Attempt)
      }
      const unreached = (reason: string): void => { finish(undefined, { answered: false, reason }) }
      const onAbort = (): void => { finish(signal.reason as Error) }
      signal.addEventListener('abort', onAbort, { once: true })
      const opts = {
        method: 'POST',
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
        path: base + path,
        // A connection per request: nothing to keep alive between rounds, nothing stale after an etcd restart.
        agent: false as const,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), accept: 'application/json' },
        ...(https ? { ...this.#tls } : {})
      }
      try {
        req = (https ? httpsRequest : httpRequest)(opts, (res: IncomingMessage) => {
          answered = true
          if (onObject !== undefined && res.statusCode === 200) {
            readStream(res)
            return
          }
          const chunks: Buffer[] = []
          let size = 0
          res.on('data', (c: Buffer) => {
            size += c.length
            if (size > MAX_BODY) {
              finish(new EtcdBadResponseError(url.origin, call, `more than ${MAX_BODY} bytes`))
              return
            }
            chunks.push(c)
          })
          res.on('end', () => { finish(undefined, { answered: true, status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }) })
          res.on('error', (err) => { finish(new EtcdBadResponseError(url.origin, call, `answer cut short: ${describeNetError(err)}`)) })
        })
      } catch (err) {
        // Bad TLS material (a key that is not PEM) throws here, for every server alike.
        unreached(describeNetError(err))
        return
      }
      const readStream = (res: IncomingMessage): void => {
        // A stream may be quiet for as long as its caller waits.
        req?.setTimeout(0)
        let buf = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          buf += chunk
          for (let nl = buf.indexOf('\n'); nl >= 0 && !settled; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl).trim()
            buf = buf.slice(nl + 1)
            if (line === '') continue
            let o: unknown
            try { o = JSON.parse(line) } catch {
              finish(new EtcdBadResponseError(url.origin, call, `malformed JSON in the stream: ${snippet(line)}`))
              return
            }
            try {
              if (onObject?.(o) === true) finish(undefined, { answered: true, status: 200, text: '' })
            } catch (err) {
              finish(err as Error)
            }
          }
          if (buf.length > MAX_BODY) finish(new EtcdBadResponseError(url.origin, call, `a stream line of more than ${MAX_BODY} bytes`))
        })
        res.on('end', () => { finish(new EtcdBadResponseError(url.origin, call, 'the server ended the stream')) })
        res.on('error', (err) => { finish(new EtcdBadResponseError(url.origin, call, `stream cut short: ${describeNetError(err)}`)) })
      }
      req.setTimeout(this.#attemptTimeout, () => {
        if (answered) finish(new EtcdBadResponseError(url.origin, call, `answer stalled for ${this.#attemptTimeout} ms`))
        else unreached(`no answer within ${this.#attemptTimeout} ms`)
      })
      req.on('error', (err) => {
        if (answered) finish(new EtcdBadResponseError(url.origin, call, `answer cut short: ${describeNetError(err)}`))
        else unreached(describeNetError(err))
      })
      req.end(payload)
    })
  }
}

const callOf = (path: string): string => path.replace(/^\/v3\//, '')

/** The answer as a JSON object, or the error it carries. */
function parseAnswer (server: string, call: string, status: number, text: string): Record<string, unknown> {
  let json: unknown
  let parsed = true
  try { json = JSON.parse(text) } catch { parsed = false }
  const obj = parsed && typeof json === 'object' && json !== null && !Array.isArray(json) ? json as Record<string, unknown> : undefined
  if (status < 200 || status > 299) {
    // grpc-gateway: {"error": "...", "message": "...", "code": 5}; anything else: the start of the body.
    const said = obj !== undefined ? errorText(obj) : undefined
    const code = obj !== undefined && typeof obj.code === 'number' ? obj.code : undefined
    throw new EtcdError(server, call, status, said ?? (text.trim() === '' ? '(empty body)' : snippet(text)), code)
  }
  if (!parsed) throw new EtcdBadResponseError(server, call, `malformed JSON: ${snippet(text)}`)
  if (obj === undefined) throw new EtcdBadResponseError(server, call, `not a JSON object: ${snippet(text)}`)
  // A streaming call (lease keepalive) reports errors inside a 200 answer.
  if ('error' in obj && obj.error !== undefined && obj.error !== null && obj.error !== '') {
    const e = obj.error
    const inner = typeof e === 'object' ? e as Record<string, unknown> : undefined
    const code = typeof inner?.grpc_code === 'number' ? inner.grpc_code : typeof inner?.code === 'number' ? inner.code : typeof obj.code === 'number' ? obj.code : undefined
    throw new EtcdError(server, call, status, (inner !== undefined ? errorText(inner) : undefined) ?? (typeof e === 'string' ? e : snippet(JSON.stringify(e))), code)
  }
  return obj
}

function errorText (o: Record<string, unknown>): string | undefined {
  for (const k of ['message', 'error']) {
    const v = o[k]
    if (typeof v === 'string' && v !== '') return v
  }
  return undefined
}

/** What a socket or TLS error means, in words an operator can act on. */
export function describeNetError (err: unknown): string {
  const e = err as NodeJS.ErrnoException & { reason?: string }
  const code = typeof e?.code === 'string' ? e.code : undefined
  const msg = err instanceof Error ? err.message : String(err)
  const trust = ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE']
  if (code !== undefined && trust.includes(code)) return `TLS: the server's certificate is not trusted (${code}: ${msg}); check cluster.etcd.ssl.cacertfile`
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `TLS: the server's certificate is not for this host (${msg})`
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `TLS: the server's certificate is not valid now (${code})`
  if (code !== undefined && /^ERR_SSL_.*(ALERT|CERTIFICATE)/.test(code)) return `TLS: the server refused the handshake (${code}); check cluster.etcd.ssl.certfile and keyfile`
  if (code !== undefined && code.startsWith('ERR_SSL')) return `TLS: ${msg} (${code})`
  if (code !== undefined && code.startsWith('ERR_OSSL')) return `TLS material: ${msg} (${code}); check cluster.etcd.ssl.*`
  if (code === 'ECONNRESET') return 'connection reset'
  if (code === 'ECONNREFUSED') return 'connection refused'
  if (code !== undefined) return `${code}${msg.includes(code) ? '' : `: ${msg}`}`
  return msg
}
