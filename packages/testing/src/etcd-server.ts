// A real etcd (Debian's etcd-server, /usr/bin/etcd) for tests: one member on
// loopback only (client and peer URLs on 127.0.0.1, free ports), a temporary
// data dir, a unique name; plain HTTP, or TLS with client certificates.
//
//   const etcd = await EtcdServer.start()
//   ... etcd.url ...
//   await etcd.stop()                  // data dir kept
//   await etcd.restart()               // same ports, same data (or { fresh: true })
//   await etcd.destroy()               // stopped, temp dir removed
//
// `requireEtcd()` (which start() calls first) throws a MissingSystemError
// naming the Debian package when etcd is not installed.
//
// It never outlives the test file: an exit hook kills it however the test
// process ends, and a watchdog shell kills it if the test process dies by
// SIGKILL (which no hook survives).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import * as hooks from './exit-hooks.js'
import * as ports from './ports.js'
import * as wait from './wait.js'
import { ServerProcess } from './server-process.js'
import { TestServerError } from './errors.js'
import { requireCommand } from './system.js'

export { TestServerError } from './errors.js'


export const ETCD_BIN = process.env.TEKKA_ETCD_BIN ?? 'etcd'

/** Throws a MissingSystemError unless the etcd server binary is installed (Debian etcd-server); returns its path. */
export function requireEtcd (what = 'this test'): string {
  return requireCommand(ETCD_BIN, 'etcd-server', what)
}

export interface EtcdTlsFiles {
  /** PEM server certificate and key (also what clients present, in tests). */
  cert: string
  key: string
  /** PEM CA that client certificates must chain to (`--client-cert-auth`). */
  ca: string
}

export interface EtcdServerOptions {
  /** Serve clients over TLS and require client certificates of this CA. */
  tls?: EtcdTlsFiles
  /** ms to wait until it answers. Default 20000. */
  startTimeout?: number
}

export class EtcdServer {
  readonly name = `etcd-${randomBytes(4).toString('hex')}`
  readonly dir: string
  readonly clientPort: number
  readonly peerPort: number
  readonly #tls: EtcdTlsFiles | undefined
  readonly #files: { cert: string, key: string, ca: string } | undefined
  readonly #startTimeout: number
  #dataDir: string
  #proc: ServerProcess | undefined
  #generation = 0
  #unhookDir: (() => void) | undefined

  private constructor (clientPort: number, peerPort: number, opts: EtcdServerOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'tekka-etcd-'))
    const dir = this.dir
    this.#unhookDir = hooks.onExit(() => { rmSync(dir, { recursive: true, force: true }) })
    this.#dataDir = join(this.dir, 'data0')
    this.clientPort = clientPort
    this.peerPort = peerPort
    this.#tls = opts.tls
    this.#startTimeout = opts.startTimeout ?? 20_000
    if (opts.tls !== undefined) {
      this.#files = { cert: join(this.dir, 'server.crt'), key: join(this.dir, 'server.key'), ca: join(this.dir, 'ca.crt') }
      writeFileSync(this.#files.cert, opts.tls.cert)
      writeFileSync(this.#files.key, opts.tls.key, { mode: 0o600 })
      writeFileSync(this.#files.ca, opts.tls.ca)
    }
  }

  /** Starts a member and resolves once it answers. */
  static async start (opts: EtcdServerOptions = {}): Promise<EtcdServer> {
    requireEtcd('an etcd test server')
    const [client, peer] = await ports.freePorts(2)
    const s = new EtcdServer(client, peer, opts)
    try {
      await s.#launch()
    } catch (err) {
      await s.destroy()
      throw err
    }
    return s
  }

  /** The client URL. */
  get url (): string {
    return `${this.#tls === undefined ? 'http' : 'https'}://127.0.0.1:${this.clientPort}`
  }

  get dataDir (): string { return this.#dataDir }
  get running (): boolean { return this.#proc?.running === true }
  /** The PEM files it was started with (TLS only). */
  get files (): { cert: string, key: string, ca: string } | undefined { return this.#files }
  /** Its last lines of output, for failure messages. */
  output (): string { return this.#proc?.output() ?? '' }

  async #launch (): Promise<void> {
    const peer = `http://127.0.0.1:${this.peerPort}`
    const args = [
      '--name', this.name,
      '--data-dir', this.#dataDir,
      '--listen-client-urls', this.url,
      '--advertise-client-urls', this.url,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `${this.name}=${peer}`,
      '--initial-cluster-token', this.name,
      '--initial-cluster-state', 'new',
      // A one-member cluster elects itself; short ticks make that (and a restart) quick.
      '--heartbeat-interval', '50',
      '--election-timeout', '500',
      '--logger', 'zap',
      '--log-level', 'warn'
    ]
    if (this.#files !== undefined) {
      args.push('--cert-file', this.#files.cert, '--key-file', this.#files.key, '--trusted-ca-file', this.#files.ca, '--client-cert-auth')
    }
    const proc = new ServerProcess(ETCD_BIN, args)
    this.#proc = proc
    const gen = ++this.#generation
    await wait.eventually(async () => {
      if (proc.spawnError !== undefined) throw new TestServerError(`cannot run ${ETCD_BIN}: ${proc.spawnError.message} (is etcd-server installed?)`)
      if (gen === this.#generation && !this.running) throw new TestServerError(`etcd exited: ${this.output()}`)
      return await this.answers()
    }, { timeout: this.#startTimeout, interval: 100, message: `etcd ${this.name} answering on ${this.url}` }).catch((err: Error) => {
      throw new TestServerError(`${err.message}\n${this.output()}`)
    })
  }

  /** True when it answers a status request (with the test certificates under TLS). */
  async answers (): Promise<boolean> {
    try {
      const r = await this.post('/v3/maintenance/status', {})
      return typeof r.leader === 'string'
    } catch {
      return false
    }
  }

  /** A v3 gateway call straight to this server (the test's own view of etcd): the JSON answer, or a rejection. */
  async post (path: string, body: unknown): Promise<Record<string, any>> {
    const https = this.#tls !== undefined
    return await new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)({
        host: '127.0.0.1',
        port: this.clientPort,
        method: 'POST',
        path,
        agent: false,
        headers: { 'content-type': 'application/json' },
        ...(https ? { ca: this.#tls?.ca, cert: this.#tls?.cert, key: this.#tls?.key } : {})
      }, (res) => {
        let text = ''
        res.on('data', (d: Buffer) => { text += d.toString() })
        res.on('end', () => {
          if (res.statusCode !== 200) { reject(new TestServerError(`etcd ${path}: ${res.statusCode ?? 0} ${text}`)); return }
          try { resolve(JSON.parse(text) as Record<string, any>) } catch (err) { reject(err) }
        })
        res.on('error', reject)
      })
      req.setTimeout(5000, () => { req.destroy(new TestServerError(`etcd ${path}: no answer in 5 s`)) })
      req.on('error', reject)
      req.end(JSON.stringify(body))
    })
  }

  /** Keys under `prefix`, in key order: name, value, lease (decimal, '0' for none). */
  async keys (prefix: string): Promise<Array<{ key: string, value: string, lease: string }>> {
    const end = Buffer.from(prefix)
    end[end.length - 1] = (end[end.length - 1]) + 1
    const r = await this.post('/v3/kv/range', { key: Buffer.from(prefix).toString('base64'), range_end: end.toString('base64') })
    const kvs = (r.kvs ?? []) as Array<{ key: string, value?: string, lease?: string }>
    return kvs.map((kv) => ({ key: unb64(kv.key), value: unb64(kv.value ?? ''), lease: kv.lease ?? '0' }))
  }

  /** Stops it (SIGTERM, then SIGKILL after 5 s); the data dir stays. */
  async stop (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.#proc
    this.#proc = undefined
    await proc?.stop(signal, 5000)
  }

  /** Starts it again on the same ports: with the same data, or (`fresh`) an empty data dir, as a new cluster. */
  async restart (opts: { fresh?: boolean } = {}): Promise<void> {
    await this.stop()
    if (opts.fresh === true) this.#dataDir = join(this.dir, `data${this.#generation}`)
    await this.#launch()
  }

  /** Stops it and removes its temp dir. */
  async destroy (): Promise<void> {
    await this.stop('SIGKILL')
    rmSync(this.dir, { recursive: true, force: true })
    this.#unhookDir?.()
    this.#unhookDir = undefined
  }
}

/** A temp dir with PEM files, for the strategy's `ssl` files; removed by `cleanup` (also at exit). */
export function pemFiles (files: Record<string, string>): { dir: string, path: Record<string, string>, cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tekka-etcd-pem-'))
  const path: Record<string, string> = {}
  for (const [name, pem] of Object.entries(files)) {
    path[name] = join(dir, name)
    writeFileSync(path[name], pem, { mode: 0o600 })
  }
  let unhook: (() => void) | undefined
  const cleanup = (): void => { unhook?.(); unhook = undefined; rmSync(dir, { recursive: true, force: true }) }
  unhook = hooks.onExit(cleanup)
  return { dir, path, cleanup }
}

const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8')
