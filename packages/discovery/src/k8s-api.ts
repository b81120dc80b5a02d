/**
 * GET requests to the Kubernetes API server, made as a pod makes them: with
 * the bearer token of its service account, over TLS checked against the
 * service account's CA.
 *
 * - The token is read from `<service_account_dir>/token` at every request:
 *   projected service account tokens are rotated by the kubelet (about every
 *   hour), so a token read once at start would expire. A missing or empty
 *   token file means no `Authorization` header (as for `kubectl proxy`); the
 *   API server then answers 401 or 403 and the error says that no token was
 *   sent and where it was looked for.
 * - `<service_account_dir>/ca.crt`, when it exists, is the only CA trusted
 *   for an `https` API server (read at every request too, so a rotated CA is
 *   picked up). Without it the system's CAs are trusted (logged once); ekka
 *   then turns verification off, which this does not do. A CA file with no
 *   usable certificate in it is an error naming the file.
 * - Every request ends: by its answer, by `timeout` on the injected clock,
 *   or when the caller's signal is aborted; the socket is destroyed and every
 *   listener removed in one place. Answers are bounded (`maxBytes`).
 * - Failures are named errors (errors.ts) whose message says what was
 *   wrong: no connection or a refused certificate (K8sRequestError), an error
 *   status with the Kubernetes Status object's reason and message
 *   (K8sApiError), an answer that is not JSON (K8sResponseError).
 */
import { X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { STATUS_CODES, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import type { Clock, Logger, Timer } from '@tekka/actors'
import { K8sApiError, K8sCredentialsError, K8sRequestError, K8sResponseError } from './errors.js'

export interface K8sClientOptions {
  /** Base URL of the API server (`https://kubernetes.default.svc`); a path prefix is kept. */
  readonly apiserver: string
  /** Directory with `token` and `ca.crt`. */
  readonly serviceAccountDir: string
  /** ms a request may take, from the first byte sent to the last byte read. */
  readonly timeout: number
  /** Largest answer accepted, in bytes. */
  readonly maxBytes: number
  readonly clock: Clock
  readonly logger: Logger
}

/** What to add to the message of an error status: the likely cause for this request (RBAC, service name). */
export type ExplainStatus = (status: number) => string | undefined

interface Credentials {
  readonly token: string | undefined
  /** Why no token is sent, for the 401 / 403 message. */
  readonly noToken: string | undefined
  readonly ca: string | undefined
}

const TLS_CODES = /CERT|SIGNATURE|ISSUER|ALTNAME|SELF_SIGNED|TLS|SSL/

export class K8sClient {
  readonly #o: K8sClientOptions
  readonly #base: string
  readonly #https: boolean
  #warnedNoCa = false

  constructor (options: K8sClientOptions) {
    this.#o = options
    this.#base = options.apiserver.replace(/\/+$/, '')
    this.#https = new URL(this.#base).protocol === 'https:'
  }

  get tokenFile (): string { return join(this.#o.serviceAccountDir, 'token') }
  get caFile (): string { return join(this.#o.serviceAccountDir, 'ca.crt') }
  /** The full URL of `path`, as errors name it. */
  url (path: string): string { return this.#base + path }

  /** GETs `path` (which starts with `/`) and resolves with the parsed JSON of a 2xx answer. */
  async get (path: string, explain: ExplainStatus, signal?: AbortSignal): Promise<unknown> {
    const url = this.url(path)
    const checkAborted = (): void => {
      if (signal?.aborted === true) throw new K8sRequestError(url, `aborted (${reasonText(signal.reason)})`)
    }
    checkAborted()
    const creds = await this.#credentials()
    checkAborted()
    const { status, statusText, body } = await this.#request(url, creds, signal)
    const text = body.toString('utf8')
    if (status < 200 || status > 299) throw this.#statusError(url, status, statusText, text, creds, explain)
    try {
      return JSON.parse(text) as unknown
    } catch (err) {
      throw new K8sResponseError(url, `the answer (${status}) is not JSON: ${(err as Error).message}; it starts with ${snippet(text)}`, { cause: err })
    }
  }

  async #credentials (): Promise<Credentials> {
    let token: string | undefined
    let noToken: string | undefined
    const tokenFile = this.tokenFile
    try {
      token = (await readFile(tokenFile, 'utf8')).trim()
      if (token === '') { token = undefined; noToken = `${tokenFile} is empty` }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT') throw new K8sCredentialsError(tokenFile, `cannot read the service account token (${code ?? String(err)})`, { cause: err })
      noToken = `${tokenFile} does not exist`
    }
    if (!this.#https) return { token, noToken, ca: undefined }
    const caFile = this.caFile
    let ca: string | undefined
    try {
      ca = await readFile(caFile, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT') throw new K8sCredentialsError(caFile, `cannot read the API server's CA (${code ?? String(err)})`, { cause: err })
      if (!this.#warnedNoCa) {
        this.#warnedNoCa = true
        this.#o.logger.warn(`k8s: ${caFile} does not exist: the API server's certificate is checked against the system's CAs`, { file: caFile })
      }
      return { token, noToken, ca: undefined }
    }
    // Node takes any text as a CA bundle and only fails later with "unable to verify": say here what is wrong.
    if (countCertificates(ca) === 0) throw new K8sCredentialsError(caFile, 'no PEM certificate in the API server\'s CA file')
    return { token, noToken, ca }
  }

  async #request (url: string, creds: Credentials, signal: AbortSignal | undefined): Promise<{ status: number, statusText: string, body: Buffer }> {
    const { clock, timeout, maxBytes } = this.#o
    const ac = new AbortController()
    let why: Error | undefined
    let timer: Timer | undefined
    let req: ClientRequest | undefined
    let onAbort: (() => void) | undefined
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'tekka-discovery' }
    if (creds.token !== undefined) headers.Authorization = `Bearer ${creds.token}`
    try {
      return await new Promise((resolve, reject) => {
        const fail = (err: Error): void => {
          if (why === undefined) why = err
          ac.abort(err)
          reject(err)
        }
        timer = clock.setTimeout(() => { fail(new K8sRequestError(url, `no answer within ${timeout} ms`)) }, timeout)
        if (signal !== undefined) {
          onAbort = () => { fail(new K8sRequestError(url, `aborted (${reasonText(signal.reason)})`)) }
          signal.addEventListener('abort', onAbort, { once: true })
        }
        const onResponse = (res: IncomingMessage): void => {
          const chunks: Buffer[] = []
          let size = 0
          res.on('data', (chunk: Buffer) => {
            size += chunk.length
            if (size > maxBytes) {
              fail(new K8sResponseError(url, `the answer is larger than ${maxBytes} bytes`))
              return
            }
            chunks.push(chunk)
          })
          res.on('end', () => {
            if (why !== undefined) return
            resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', body: Buffer.concat(chunks) })
          })
          const cut = (detail: string): void => { fail(why ?? new K8sRequestError(url, `the connection closed before the whole answer was read${detail}`)) }
          res.on('error', (err) => { cut(` (${(err as NodeJS.ErrnoException).code ?? 'error'}: ${err.message})`) })
          res.on('close', () => { if (!res.complete) cut('') })
        }
        const opts = { method: 'GET', headers, signal: ac.signal, agent: false as const }
        try {
          req = this.#https
            ? httpsRequest(url, { ...opts, ...(creds.ca !== undefined ? { ca: creds.ca } : {}) }, onResponse)
            : httpRequest(url, opts, onResponse)
        } catch (err) {
          fail(new K8sRequestError(url, (err as Error).message, { cause: err }))
          return
        }
        req.on('error', (err) => { fail(why ?? this.#transportError(url, err, creds)) })
        req.end()
      })
    } finally {
      if (timer !== undefined) clock.clearTimeout(timer)
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
      req?.destroy()
    }
  }

  #transportError (url: string, err: Error, creds: Credentials): K8sRequestError {
    const code = (err as NodeJS.ErrnoException).code ?? ''
    if (this.#https && TLS_CODES.test(code)) {
      const trusted = creds.ca !== undefined ? `a CA in ${this.caFile}` : `a CA the system trusts (there is no ${this.caFile})`
      return new K8sRequestError(url, `TLS: the API server's certificate is not accepted (${code}: ${err.message}); it must be signed by ${trusted} and name the host of ${this.#base}`, { cause: err })
    }
    return new K8sRequestError(url, `cannot reach the API server (${code !== '' ? `${code}: ` : ''}${err.message})`, { cause: err })
  }

  #statusError (url: string, status: number, statusText: string, text: string, creds: Credentials, explain: ExplainStatus): K8sApiError {
    let reason = statusText !== '' ? statusText : (STATUS_CODES[status] ?? 'error')
    let message = ''
    try {
      const s = JSON.parse(text) as { kind?: unknown, reason?: unknown, message?: unknown }
      if (s !== null && typeof s === 'object' && s.kind === 'Status') {
        if (typeof s.reason === 'string' && s.reason !== '') reason = s.reason
        if (typeof s.message === 'string') message = s.message
      }
    } catch {}
    if (message === '') message = text.trim() === '' ? '(no message)' : snippet(text)
    const hints: string[] = []
    if (status === 401) {
      hints.push(creds.token === undefined
        ? `no token was sent: ${creds.noToken ?? 'none'}`
        : `the token in ${this.tokenFile} was refused (expired, revoked, or of another cluster)`)
    } else {
      const h = explain(status)
      if (h !== undefined) hints.push(h)
      if (status === 403 && creds.token === undefined) hints.push(`no token was sent: ${creds.noToken ?? 'none'}`)
    }
    return new K8sApiError(url, status, reason, [message, ...hints].join('; '))
  }
}

function countCertificates (pem: string): number {
  let n = 0
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)) {
    try {
      if (new X509Certificate(m[0]).raw.length > 0) n++
    } catch {}
  }
  return n
}

function reasonText (reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason ?? 'aborted')
}

/** The start of a text answer, printable, for error messages. */
function snippet (text: string): string {
  const s = text.replace(/\s+/g, ' ').trim()
  return JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s)
}
