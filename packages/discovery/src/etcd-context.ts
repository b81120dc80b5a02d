/**
 * What the parts of the etcd strategy share (etcd.ts makes it; the session
 * and the lock use it): the client, bounded by the strategy's life and the
 * node's, the clock and logger, and this node's lease as etcd granted it.
 * Types only.
 */
import type { Clock, Logger } from '@tekka/actors'
import type { EtcdClient } from './etcd-client.js'
import type { AnswerReader } from './etcd-encoding.js'

export interface Lease {
  /** Decimal, as the gateway speaks it (64 bits: not a JS number). */
  readonly id: string
  /** Hex, as etcd's lock protocol names keys. */
  readonly hex: string
  /** Seconds etcd granted. */
  readonly ttl: number
}

export interface EtcdContext {
  readonly client: EtcdClient
  readonly clock: Clock
  readonly logger: Logger
  /** This node's name. */
  readonly node: string
  /** Started and not stopped. */
  readonly running: boolean
  /** The signals that end every request: the strategy stopping, the node's discovery stopping. */
  readonly lifeSignals: readonly AbortSignal[]
  /** A POST bounded by `signals` and by the life signals. */
  post(path: string, body: unknown, ...signals: Array<AbortSignal | undefined>): Promise<Record<string, unknown>>
  /** Reads an answer of `call` from the server that gave it. */
  reader(call: string): AnswerReader
}
