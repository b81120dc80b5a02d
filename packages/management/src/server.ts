/**
 * The HTTP server of the management endpoint (Node's own http module): the
 * routes, the token check of POST actions, and the limits that keep a bad
 * client from hurting the node. Every answer that is not a metrics page is
 * JSON; an unknown path is 404, a known path with another method 405, a
 * request that is not HTTP 400; a handler that throws is a 500 with its
 * message, never an exception in the node. A client gets
 * `request_timeout` ms to send its request (slow-loris clients are cut
 * off), headers are capped at 8 KiB and a POST body at 4 KiB.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { timingSafeEqual, createHash } from 'node:crypto'
import { ManagementListenError } from './errors.js'

const MAX_BODY = 4096
const MAX_HEADERS = 8192

export type Answer = { status: number, json: unknown } | { status: number, text: string, contentType: string }

export interface Route {
  /** GET routes answer HEAD too. */
  method: 'GET' | 'POST'
  path: string
  /** POST routes need the token. */
  handler: (body: unknown) => Answer | Promise<Answer>
}

export interface ServerOptions {
  host: string
  port: number
  token: string | undefined
  requestTimeout: number
  routes: readonly Route[]
  /** Where a handler's failure is told (the node's log). */
  onError: (err: Error, req: { method: string, path: string }) => void
}

function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body) + '\n'
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers })
  res.end(text)
}

function error (status: number, code: string, message: string): Answer {
  return { status, json: { error: code, message } }
}

/** Constant-time comparison of the bearer token (hashed first, so lengths do not leak either). */
function tokenMatches (header: string | undefined, token: string | undefined): boolean {
  if (token === undefined || header === undefined) return false
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (m === null) return false
  const a = createHash('sha256').update(m[1]).digest()
  const b = createHash('sha256').update(token).digest()
  return timingSafeEqual(a, b)
}

async function readBody (req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw Object.assign(new Error(`request body larger than ${MAX_BODY} bytes`), { status: 413, code: 'body_too_large' })
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return undefined
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (err) {
    throw Object.assign(new Error(`request body is not JSON: ${(err as Error).message}`), { status: 400, code: 'bad_json' })
  }
}

export class ManagementServer {
  readonly #o: ServerOptions
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  #address: { host: string, port: number } | undefined

  constructor (opts: ServerOptions) {
    this.#o = opts
    this.#server = createServer({
      maxHeaderSize: MAX_HEADERS,
      requestTimeout: opts.requestTimeout,
      headersTimeout: opts.requestTimeout,
      // How often Node looks for requests past their timeouts (default 30 s, longer than a short timeout).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(opts.requestTimeout / 4))),
      keepAliveTimeout: 5000
    }, (req, res) => { void this.#handle(req, res) })
    // An idle keep-alive or half-sent connection is closed after the same time.
    this.#server.on('connection', (s: Socket) => {
      this.#sockets.add(s)
      s.setTimeout(opts.requestTimeout * 2, () => { s.destroy() })
      s.on('close', () => { this.#sockets.delete(s) })
      s.on('error', () => {})
    })
    this.#server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
      if (!socket.writable || (err.code === 'ECONNRESET')) { socket.destroy(); return }
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
      const body = JSON.stringify({ error: status === 431 ? 'headers_too_large' : status === 408 ? 'request_timeout' : 'bad_request', message: err.message }) + '\n'
      socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`)
    })
  }

  get address (): { host: string, port: number } | undefined { return this.#address }

  async listen (): Promise<void> {
    const { host, port } = this.#o
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => { reject(new ManagementListenError(host, port, err)) }
      this.#server.once('error', onError)
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError)
        resolve()
      })
    })
    // After start, a server error (none expected) must not crash the node.
    this.#server.on('error', (err) => { this.#o.onError(err, { method: '-', path: '-' }) })
    const a = this.#server.address()
    this.#address = typeof a === 'object' && a !== null ? { host: a.address, port: a.port } : { host, port }
  }

  async close (): Promise<void> {
    if (!this.#server.listening) return
    const closed = new Promise<void>((resolve) => { this.#server.close(() => { resolve() }) })
    for (const s of this.#sockets) s.destroy()
    await closed
  }

  async #handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? ''
    let path = '/'
    try {
      path = new URL(req.url ?? '/', 'http://x').pathname
    } catch {
      sendJson(res, 400, { error: 'bad_request', message: 'the request target is not a URL path' })
      return
    }
    try {
      const a = await this.#answer(req, method, path)
      if (res.destroyed) return
      if ('json' in a) {
        sendJson(res, a.status, a.json, a.status === 405 ? { allow: this.#allowed(path).join(', ') } : {})
      } else {
        res.writeHead(a.status, { 'content-type': a.contentType, 'content-length': Buffer.byteLength(a.text), 'cache-control': 'no-store' })
        res.end(method === 'HEAD' ? undefined : a.text)
      }
    } catch (err) {
      const e = err as Error & { status?: number, code?: string }
      if (e.status === undefined) this.#o.onError(e, { method, path })
      if (!res.headersSent && !res.destroyed) sendJson(res, e.status ?? 500, { error: e.code ?? 'internal_error', message: e.message }, e.status === 413 ? { connection: 'close' } : {})
      else res.destroy()
    }
  }

  #allowed (path: string): string[] {
    const methods = this.#o.routes.filter((r) => r.path === path).map((r) => r.method)
    return methods.includes('GET') ? [...methods, 'HEAD'] : methods
  }

  async #answer (req: IncomingMessage, method: string, path: string): Promise<Answer> {
    const routes = this.#o.routes.filter((r) => r.path === path)
    if (routes.length === 0) return error(404, 'not_found', `no such path: ${path} (try /health/alive, /health/ready, /cluster, /metrics)`)
    const route = routes.find((r) => r.method === method || (method === 'HEAD' && r.method === 'GET'))
    if (route === undefined) return error(405, 'method_not_allowed', `${method} is not allowed on ${path} (allowed: ${this.#allowed(path).join(', ')})`)
    if (route.method === 'GET') {
      req.resume()
      return await route.handler(undefined)
    }
    if (!tokenMatches(req.headers.authorization, this.#o.token)) {
      req.resume()
      return error(401, 'unauthorized', this.#o.token === undefined
        ? 'POST actions need management.token to be configured, and its value as Authorization: Bearer TOKEN'
        : 'POST actions need Authorization: Bearer TOKEN with the configured management.token')
    }
    return await route.handler(await readBody(req))
  }
}
