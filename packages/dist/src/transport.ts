/**
 * TCP (or TLS) sockets for distribution links: `listen` accepts, `dial`
 * connects. TLS is mutual: the server asks for and verifies a client
 * certificate signed by `ca`, the client presents its own and verifies the
 * server's, so only holders of a cluster certificate get as far as the
 * cookie handshake, which runs unchanged inside the TLS stream.
 *
 * Sockets come out with Nagle off (the connection coalesces writes itself)
 * and with an `'error'` listener that swallows the event, so an error on a
 * socket nobody listens to yet cannot crash the process; it still closes the
 * socket, which the handshake or connection sees.
 */
import { createServer, connect as netConnect, isIP } from 'node:net'
import type { Server, Socket } from 'node:net'
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls'
import type { TLSSocket, Server as TlsServer } from 'node:tls'
import { consoleLogger, systemClock } from '@tekka/actors'
import type { Clock, Logger } from '@tekka/actors'
import { DialError, PortInUseError } from './errors.js'
import { DEFAULT_DIAL_TIMEOUT } from './defaults.js'


type Pem = string | Buffer

export interface TlsOptions {
  /** This node's private key (PEM). */
  key: Pem
  /** This node's certificate (PEM), signed by `ca`. */
  cert: Pem
  /** The cluster's CA certificate(s) (PEM): peers must present a certificate it signed. */
  ca: Pem | Pem[]
  /** Dialling: check that the server certificate names the host dialled (default true). */
  verifyHostname?: boolean
}

export interface ListenOptions {
  host: string
  /** 0 picks a free port (see `Listener.port`). */
  port: number
  tls?: TlsOptions
  /** Gets each accepted socket (after the TLS handshake, with TLS). */
  onConnection: (socket: Socket) => void
  /** Deadline for a client's TLS handshake, in ms (default 5000). */
  tlsHandshakeTimeout?: number
  /**
   * With TLS: TLS handshakes in progress at once, at most; a connection
   * beyond it is closed unread (default: no cap). Without TLS the caller
   * caps its own handshakes (the net kernel does).
   */
  maxPendingTls?: number
  /** Told of each connection refused before `onConnection`: `cap` (maxPendingTls), `tls` (a failed TLS handshake). */
  onRefused?: (reason: 'cap' | 'tls', remote: string) => void
  backlog?: number
  logger?: Logger
}

export interface Listener {
  readonly host: string
  readonly port: number
  /** Stops accepting; sockets already handed out stay open (they belong to their connections). Idempotent. */
  close(): Promise<void>
}

export interface DialOptions {
  host: string
  port: number
  tls?: TlsOptions
  /** Deadline for TCP connect plus TLS handshake, in ms (default 5000). */
  timeout?: number
  /**
   * Source address to connect from (the node's own address), so a node named
   * for 127.0.0.2 talks from 127.0.0.2 — as firewall rules and peers expect.
   */
  localAddress?: string
  clock?: Clock
  signal?: AbortSignal
}

/**
 * How a node accepts and makes links: `tcpTransport` (TCP, or TLS) by
 * default. Tests inject another one, such as an in-memory network of stream
 * pairs; a socket it hands out needs only what a net.Socket offers the
 * handshake and the connection (read, write, end, destroy, pause, resume,
 * cork, uncork and their events).
 */
export interface Transport {
  listen(options: ListenOptions): Promise<Listener>
  dial(options: DialOptions): Promise<Socket>
}

function guardErrors (socket: Socket): void {
  socket.on('error', () => {})
}

/** Starts accepting connections on host:port; EADDRINUSE becomes PortInUseError. */
export async function listen (options: ListenOptions): Promise<Listener> {
  const { host, port, tls, onConnection } = options
  const logger = options.logger ?? consoleLogger('tekka:dist:transport')
  const handshakeTimeout = options.tlsHandshakeTimeout ?? DEFAULT_DIAL_TIMEOUT
  const server: Server | TlsServer = tls === undefined
    ? createServer()
    : createTlsServer({
      key: tls.key,
      cert: tls.cert,
      ca: tls.ca,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      handshakeTimeout
    })
  let closed = false
  const accept = (socket: Socket): void => {
    guardErrors(socket)
    if (closed) { socket.destroy(); return }
    socket.setNoDelay(true)
    try {
      onConnection(socket)
    } catch (err) {
      logger.error('onConnection threw; dropping the socket', { error: err })
      socket.destroy()
    }
  }
  if (tls === undefined) server.on('connection', accept)
  else {
    // TLS handshakes in progress, by remote address:port (the raw socket and its TLS socket share it).
    const pendingTls = new Set<string>()
    const remoteOf = (s: Socket): string => `${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}`
    // The TLS server's own 'connection' listener (which starts the TLS handshake) runs only for
    // connections under the cap: one over it is closed before TLS reads a byte or reports a failure.
    const startTls = server.listeners('connection') as Array<(raw: Socket) => void>
    server.removeAllListeners('connection')
    server.on('connection', (raw: Socket) => {
      const remote = remoteOf(raw)
      if (options.maxPendingTls !== undefined && pendingTls.size >= options.maxPendingTls) {
        raw.destroy()
        options.onRefused?.('cap', remote)
        logger.warn('too many pending TLS handshakes: connection closed unread', { remote, max: options.maxPendingTls })
        return
      }
      pendingTls.add(remote)
      raw.once('close', () => { pendingTls.delete(remote) })
      for (const l of startTls) l.call(server, raw)
    })
    server.on('secureConnection', (socket: TLSSocket) => {
      pendingTls.delete(remoteOf(socket))
      accept(socket)
    })
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      const remote = remoteOf(socket)
      pendingTls.delete(remote)
      options.onRefused?.('tls', remote)
      logger.warn('refused a TLS client', { error: err, remote })
    })
  }
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening)
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(host, port, { cause: err }) : err)
    }
    const onListening = (): void => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen({ host, port, backlog: options.backlog })
  })
  server.on('error', (err) => { logger.error('listener error', { error: err, host, port }) })
  const address = server.address()
  const bound = typeof address === 'object' && address !== null ? address.port : port
  return {
    host,
    port: bound,
    async close () {
      if (closed) return
      closed = true
      // No callback: Server#close waits for every accepted socket to end, and those are not ours.
      server.close()
    }
  }
}

/** Connects to host:port (TCP, or mutual TLS) within `timeout`; failures become DialError. */
export async function dial (options: DialOptions): Promise<Socket> {
  const { host, port, tls } = options
  const local = options.localAddress !== undefined ? { localAddress: options.localAddress } : {}
  const timeout = options.timeout ?? DEFAULT_DIAL_TIMEOUT
  const clock = options.clock ?? systemClock()
  const signal = options.signal
  signal?.throwIfAborted()
  return await new Promise<Socket>((resolve, reject) => {
    const socket: Socket = tls === undefined
      ? netConnect({ host, port, ...local })
      : tlsConnect({
        host,
        port,
        ...local,
        key: tls.key,
        cert: tls.cert,
        ca: tls.ca,
        minVersion: 'TLSv1.2',
        // SNI must be a host name, never an IP literal.
        ...(isIP(host) === 0 ? { servername: host } : {}),
        ...(tls.verifyHostname === false ? { checkServerIdentity: () => undefined } : {})
      })
    guardErrors(socket)
    const ready = tls === undefined ? 'connect' : 'secureConnect'
    const cleanup = (): void => {
      clock.clearTimeout(timer)
      socket.off(ready, onReady)
      socket.off('error', onError)
      socket.off('close', onClose)
      signal?.removeEventListener('abort', onAbort)
    }
    const fail = (err: Error): void => {
      cleanup()
      socket.destroy()
      reject(err)
    }
    const onReady = (): void => {
      cleanup()
      socket.setNoDelay(true)
      resolve(socket)
    }
    const onError = (err: NodeJS.ErrnoException): void => { fail(new DialError(host, port, err.code ?? err.message, { cause: err })) }
    const onClose = (): void => { fail(new DialError(host, port, 'connection closed during setup')) }
    const onAbort = (): void => { const why: unknown = signal?.reason; fail(why instanceof Error ? why : new DialError(host, port, `aborted: ${String(why)}`)) }
    const timer = clock.setTimeout(() => {
      fail(new DialError(host, port, `no connection within ${timeout} ms`, { code: 'ERR_DIAL_TIMEOUT' }))
    }, timeout)
    socket.once(ready, onReady)
    socket.once('error', onError)
    socket.once('close', onClose)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** The default transport: `listen` and `dial` above. */
export const tcpTransport: Transport = { listen, dial }
