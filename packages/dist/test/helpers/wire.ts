// Loopback sockets and handshake options for the wire-layer tests.
import type { EventEmitter } from 'node:events'
import { silentLogger } from '@tekka/actors'
import { clientHandshake, serverHandshake, type HandshakeOptions, type HandshakeResult } from '../../src/handshake.js'

import { socketPair, type SocketPair } from '@tekka/testing/sockets'

export { socketPair, type SocketPair }

export function opts (name: string, extra: Partial<HandshakeOptions> = {}): HandshakeOptions {
  return {
    localName: name,
    cookie: 'secret-cookie-42',
    creation: 1234,
    cluster: 'tekka',
    hidden: false,
    flags: 0,
    logger: silentLogger(),
    timeout: 2000,
    ...extra
  }
}

export interface Settled<T> { ok: boolean, value?: T, error?: unknown }

export async function settled<T> (p: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await p }
  } catch (error) {
    return { ok: false, error }
  }
}

/** Runs both sides of a handshake on a fresh socket pair. */
export async function handshakePair (client: HandshakeOptions, server: HandshakeOptions): Promise<{
  pair: SocketPair
  client: Settled<HandshakeResult>
  server: Settled<HandshakeResult>
}> {
  const pair = await socketPair()
  const [c, s] = await Promise.all([settled(clientHandshake(pair.client, client)), settled(serverHandshake(pair.server, server))])
  return { pair, client: c, server: s }
}

export function codeOf (r: Settled<unknown>): string | undefined {
  return (r.error as { code?: string } | undefined)?.code
}

/** Resolves with the arguments of the next `event`, or rejects after `ms`. */
export async function once<T extends unknown[]> (emitter: EventEmitter, event: string, ms = 5000): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => { emitter.off(event, on); reject(new Error(`no ${event} within ${ms} ms`)) }, ms)
    const on = (...args: unknown[]): void => { clearTimeout(timer); resolve(args as T) }
    emitter.once(event, on)
  })
}
