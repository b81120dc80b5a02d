// A real DNS server for the dns strategy's tests: Debian's dnsmasq, in the
// foreground, on 127.0.0.1 (or `host`) and a free port (or `port`: 53 inside
// a test's own network namespace, for the system resolver; UDP and TCP), serving only the
// records a test gives it. It never asks anyone else: no --server, no
// resolv.conf, no /etc/hosts; names under its domain that it does not have
// get NXDOMAIN (--local), any other name REFUSED.
//
//   const dns = await Dnsmasq.start({ a: { 'nodes.tekka.test': ['127.0.0.2', '127.0.0.3'] } })
//   ... dnsStrategy({ name: 'nodes.tekka.test', servers: ['127.0.0.1'], port: dns.port }) ...
//   await dns.update({ a: { 'nodes.tekka.test': ['127.0.0.2', '127.0.0.3', '127.0.0.4'] } })
//   await dns.destroy()
//
// A and AAAA records live in an addn-hosts file, re-read on SIGHUP; SRV
// and CNAME records (--srv-host, --cname) are in the config file, which
// dnsmasq reads only at start, so changing them restarts it on the same
// port. Either way update() resolves once the new records are served: each
// version of the records carries a sentinel name that the fixture itself
// looks up (with node:dns, not the code under test).
//
// `requireDnsmasq()` (which start() calls first) throws a MissingSystemError
// naming the Debian package when dnsmasq is not installed.
//
// It never outlives the test file: an exit hook kills it (and removes its
// files) however the test process ends, and a watchdog shell does the same
// if the test process dies by SIGKILL (which no hook survives).
import { createSocket } from 'node:dgram'
import { Resolver } from 'node:dns/promises'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { isIP } from 'node:net'
import { join } from 'node:path'
import * as hooks from './exit-hooks.js'
import * as ports from './ports.js'
import * as wait from './wait.js'
import { ServerProcess } from './server-process.js'
import { NoFreePortError, TestServerError } from './errors.js'
import { requireCommand } from './system.js'

export { TestServerError } from './errors.js'

export const DNSMASQ_BIN = process.env.TEKKA_DNSMASQ_BIN ?? (existsSync('/usr/sbin/dnsmasq') ? '/usr/sbin/dnsmasq' : 'dnsmasq')

/** Throws a MissingSystemError unless dnsmasq is installed (Debian dnsmasq-base); returns its path. */
export function requireDnsmasq (what = 'this test'): string {
  return requireCommand(DNSMASQ_BIN, 'dnsmasq-base', what)
}

export interface SrvTarget {
  target: string
  port: number
  priority?: number
  weight?: number
}

export interface DnsZone {
  /** name -> IPv4 addresses */
  a?: Record<string, readonly string[]>
  /** name -> IPv6 addresses */
  aaaa?: Record<string, readonly string[]>
  /** name -> SRV records; a target of `.` is "no such service" */
  srv?: Record<string, readonly SrvTarget[]>
  /** alias -> name (the name must be one of the A / AAAA names here) */
  cname?: Record<string, string>
}

export interface DnsmasqOptions {
  /** The domain it is the only source for (unknown names under it: NXDOMAIN). Default `tekka.test`. */
  domain?: string
  /** The address it listens on. Default 127.0.0.1. */
  host?: string
  /**
   * The port (UDP and TCP). Default: a free one. 53 makes it a server the
   * system resolver can use (resolv.conf has no ports): inside a network
   * namespace of the test's own (netns.ts `createNamespace({ resolver })`).
   */
  port?: number
}

export class Dnsmasq {
  readonly host: string
  readonly domain: string
  readonly dir: string
  #port: number
  #zone: DnsZone = {}
  #version = 0
  #proc: ServerProcess | undefined
  readonly #unhookDir: () => void

  private constructor (port: number, opts: DnsmasqOptions) {
    this.#port = port
    this.host = opts.host ?? '127.0.0.1'
    this.domain = opts.domain ?? 'tekka.test'
    const dir = mkdtempSync(join(tmpdir(), 'tekka-dnsmasq-'))
    this.dir = dir
    this.#unhookDir = hooks.onExit(() => { rmSync(dir, { recursive: true, force: true }) })
  }

  /** Starts it serving `zone`; resolves once it answers with those records. */
  static async start (zone: DnsZone = {}, opts: DnsmasqOptions = {}): Promise<Dnsmasq> {
    requireDnsmasq('a dnsmasq test server')
    let last: unknown
    // A port free now can be taken before dnsmasq binds it: then another one.
    for (let i = 0; i < 5; i++) {
      const s = new Dnsmasq(opts.port ?? await freeUdpTcpPort(opts.host ?? '127.0.0.1'), opts)
      try {
        s.#zone = zone
        await s.#launch()
        return s
      } catch (err) {
        last = err
        await s.destroy()
        if (opts.port !== undefined || !/in use/i.test((err as Error).message)) break
      }
    }
    throw last
  }

  get port (): number { return this.#port }
  get running (): boolean { return this.#proc?.running === true }
  get pid (): number | undefined { return this.#proc?.pid }
  /** Its last lines of output, for failure messages. */
  output (): string { return this.#proc?.output() ?? '' }

  /** Serves `zone` instead; resolves once the new records are served. */
  async update (zone: DnsZone): Promise<void> {
    const srvChanged = JSON.stringify([zone.srv ?? {}, zone.cname ?? {}]) !== JSON.stringify([this.#zone.srv ?? {}, this.#zone.cname ?? {}])
    this.#zone = zone
    if (srvChanged || !this.running) {
      await this.stop()
      await this.#launch()
      return
    }
    const sentinel = this.#write()
    this.#proc?.child.kill('SIGHUP')
    await this.#served(sentinel)
  }

  /** Stops it (SIGTERM, then SIGKILL); the records stay for a later update(). */
  async stop (): Promise<void> {
    const proc = this.#proc
    this.#proc = undefined
    await proc?.stop('SIGTERM', 2000)
  }

  /** Stops it and removes its files. */
  async destroy (): Promise<void> {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
    this.#unhookDir()
  }

  /** Writes the files for the current zone; returns this version's sentinel name. */
  #write (): string {
    const sentinel = `ready-${++this.#version}.${this.domain}`
    const hosts = [`127.0.0.1 ${sentinel}`]
    for (const [name, addrs] of [...Object.entries(this.#zone.a ?? {}), ...Object.entries(this.#zone.aaaa ?? {})]) {
      for (const ip of addrs) hosts.push(`${ip} ${name}`)
    }
    writeFileSync(join(this.dir, 'hosts'), hosts.join('\n') + '\n')
    const conf = [`local=/${this.domain}/`]
    for (const [name, targets] of Object.entries(this.#zone.srv ?? {})) {
      for (const t of targets) conf.push(t.target === '.' ? `srv-host=${name}` : `srv-host=${name},${t.target},${t.port},${t.priority ?? 0},${t.weight ?? 0}`)
    }
    for (const [alias, name] of Object.entries(this.#zone.cname ?? {})) conf.push(`cname=${alias},${name}`)
    writeFileSync(join(this.dir, 'dnsmasq.conf'), conf.join('\n') + '\n')
    return sentinel
  }

  async #launch (): Promise<void> {
    const sentinel = this.#write()
    const args = [
      '--keep-in-foreground',
      `--conf-file=${join(this.dir, 'dnsmasq.conf')}`,
      // Only our records, and no one to forward to.
      '--no-resolv', '--no-poll', '--no-hosts',
      `--addn-hosts=${join(this.dir, 'hosts')}`,
      '--bind-interfaces', `--listen-address=${this.host}`, `--port=${this.#port}`,
      // As root it would switch to `nobody`, who cannot read our temp dir.
      `--user=${userInfo().username}`,
      '--pid-file=',
      '--log-facility=-'
    ]
    // The watchdog also removes its files if this test process dies by SIGKILL.
    const proc = new ServerProcess(DNSMASQ_BIN, args, { orphanDir: this.dir })
    this.#proc = proc
    await this.#served(sentinel, () => {
      if (proc.spawnError !== undefined) throw new TestServerError(`cannot run ${DNSMASQ_BIN}: ${proc.spawnError.message} (is dnsmasq-base installed?)`)
      if (!this.running) throw new TestServerError(`dnsmasq exited: ${this.output()}`)
    })
  }

  /** Waits until `sentinel` resolves: the records of that version are served. */
  async #served (sentinel: string, check?: () => void): Promise<void> {
    const r = new Resolver({ timeout: 200, tries: 1 })
    r.setServers([isIP(this.host) === 6 ? `[${this.host}]:${this.#port}` : `${this.host}:${this.#port}`])
    await wait.eventually(async () => {
      check?.()
      if (!this.running) throw new TestServerError(`dnsmasq exited: ${this.output()}`)
      const ips = await r.resolve4(sentinel)
      return ips.includes('127.0.0.1')
    }, { timeout: 10_000, interval: 50, message: `dnsmasq on ${this.host}:${this.#port} serving ${sentinel}` }).catch((err: Error) => {
      throw new TestServerError(`${err.message}\n${this.output()}`)
    })
  }
}

/** A port free for both UDP and TCP on `host` (dnsmasq takes both). */
async function freeUdpTcpPort (host: string): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await ports.freePort(host)
    const free = await new Promise<boolean>((resolve) => {
      const s = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4')
      s.once('error', () => { s.close(); resolve(false) })
      s.bind(port, host, () => { s.close(() => { resolve(true) }) })
    })
    if (free) return port
  }
  throw new NoFreePortError(`no port free for both UDP and TCP on ${host}`)
}
