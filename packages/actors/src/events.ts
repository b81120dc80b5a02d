/**
 * One typed stream of what a node saw and decided: every layer publishes
 * into its runtime's `events` (a supervisor restarting a child, a link
 * going down, a partition, a heal decision with its inputs, a lock lost),
 * and everything that watches a node reads it: the logs (`logEvents`), the
 * management endpoint, the demo's terminal view, the tests.
 *
 * ```ts
 * const off = rt.events.on('supervisor.child', (e) => { console.log(e.supervisor, e.id, e.event) })
 * rt.events.subscribe((e) => { metrics.count(e.type) })   // every event
 * off()
 * ```
 *
 * Event types are keys of `TekkaEvents`; each package adds its own by
 * declaration merging, so a subscriber is typed by the type it names:
 *
 * ```ts
 * declare module '@tekka/actors' {
 *   interface TekkaEvents { 'heal.decision': { id: string, decision: 'none' | 'wait' | 'heal' } }
 * }
 * ```
 *
 * Each event is also published on the diagnostics channel `tekka:event`
 * (node:diagnostics_channel), for tools outside the node's code. Publishing
 * costs a check of two counters when nobody listens.
 */
import * as diagnosticsChannel from 'node:diagnostics_channel'
import type { Clock } from './clock.js'
import { TimeoutError } from './errors.js'
import type { LogLevel, Logger } from './logger.js'

/** Payloads by event type; packages merge theirs in (see the module comment). */
export interface TekkaEvents {
  /** A supervisor's child exited, was restarted, failed to restart, or the restart intensity was reached. */
  'supervisor.child': SupervisorChildEvent
}

export interface SupervisorChildEvent {
  /** The supervisor's label (its registered name, or its pid). */
  supervisor: string
  /** The child's id in its spec. */
  id: string
  event: 'exited' | 'restarted' | 'restart_failed' | 'intensity'
  pid?: string
  reason?: unknown
  /** For `exited`: whether the child's restart type restarts it. */
  restart?: boolean
  /** For `intensity`: the limit that was reached, restarts per period ms. */
  intensity?: number
  period?: number
}

export type TekkaEventType = keyof TekkaEvents

/** What every event carries besides its payload. */
export interface EventHeader<K extends TekkaEventType = TekkaEventType> {
  readonly type: K
  /** The node that saw it. */
  readonly node: string
  /** Its clock's time, ms. */
  readonly time: number
  /** How the log reports it. */
  readonly level: LogLevel
}

/** One event: its header and its payload. */
export type TekkaEvent<K extends TekkaEventType = TekkaEventType> = K extends TekkaEventType ? EventHeader<K> & Readonly<TekkaEvents[K]> : never

/** The diagnostics channel every event is published on too. */
export const EVENT_CHANNEL = 'tekka:event'
const channel = diagnosticsChannel.channel(EVENT_CHANNEL)

type Listener = (e: TekkaEvent) => void

/** A node's event stream. Subscribers run synchronously, in subscription order; one that throws is reported to the others' logs, never to the publisher. */
export class EventStream {
  readonly node: string
  readonly #clock: Clock
  readonly #all = new Set<Listener>()
  readonly #byType = new Map<string, Set<Listener>>()
  #onError: ((err: unknown, e: TekkaEvent) => void) | undefined

  constructor (node: string, clock: Clock) {
    this.node = node
    this.#clock = clock
  }

  /** Whether anything listens (a subscriber or the diagnostics channel). */
  get hasSubscribers (): boolean {
    return this.#all.size > 0 || this.#byType.size > 0 || channel.hasSubscribers
  }

  /** Calls `fn` with every event of `type` (or of any of `types`); returns the unsubscribe. */
  on<K extends TekkaEventType> (type: K | readonly K[], fn: (e: TekkaEvent<K>) => void): () => void {
    const types = typeof type === 'string' ? [type] : type
    const l = fn as Listener
    for (const t of types) {
      let set = this.#byType.get(t)
      if (set === undefined) this.#byType.set(t, set = new Set())
      set.add(l)
    }
    return () => {
      for (const t of types) {
        const set = this.#byType.get(t)
        set?.delete(l)
        if (set?.size === 0) this.#byType.delete(t)
      }
    }
  }

  /** Calls `fn` with every event; returns the unsubscribe. */
  subscribe (fn: (e: TekkaEvent) => void): () => void {
    this.#all.add(fn)
    return () => { this.#all.delete(fn) }
  }

  /** Publishes an event of `type` with `payload`, seen by this node now. */
  publish<K extends TekkaEventType> (type: K, payload: TekkaEvents[K], level: LogLevel = 'info'): void {
    const typed = this.#byType.get(type)
    if (typed === undefined && this.#all.size === 0 && !channel.hasSubscribers) return
    const e = { type, node: this.node, time: this.#clock.now(), level, ...payload } as unknown as TekkaEvent
    if (typed !== undefined) for (const l of [...typed]) this.#deliver(l, e)
    for (const l of [...this.#all]) this.#deliver(l, e)
    if (channel.hasSubscribers) channel.publish(e)
  }

  /**
   * Where a subscriber's exception goes (default: dropped; `logEvents`
   * reports them). Returns the function that removes it again.
   */
  onSubscriberError (fn: (err: unknown, e: TekkaEvent) => void): () => void {
    this.#onError = fn
    return () => { if (this.#onError === fn) this.#onError = undefined }
  }

  /**
   * The next event of `type` that `match` accepts (any, without one);
   * rejects with TimeoutError after `timeout` ms of this stream's clock, or
   * when `signal` aborts. For tests and tools that wait for the cluster to
   * do something.
   */
  async next<K extends TekkaEventType> (type: K, opts: { match?: (e: TekkaEvent<K>) => boolean, timeout?: number, signal?: AbortSignal } = {}): Promise<TekkaEvent<K>> {
    opts.signal?.throwIfAborted()
    const clock = this.#clock
    return await new Promise<TekkaEvent<K>>((resolve, reject) => {
      const done = (): void => {
        off()
        if (timer !== undefined) clock.clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
      }
      const off = this.on(type, (e) => {
        if (opts.match !== undefined && !opts.match(e)) return
        done()
        resolve(e)
      })
      const onAbort = (): void => { done(); reject(opts.signal?.reason) }
      const timer = opts.timeout === undefined ? undefined : clock.setTimeout(() => { done(); reject(new TimeoutError(`a ${type} event`, opts.timeout as number)) }, opts.timeout)
      opts.signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  #deliver (l: Listener, e: TekkaEvent): void {
    try {
      l(e)
    } catch (err) {
      try { this.#onError?.(err, e) } catch {}
    }
  }
}

/**
 * Writes every event to `logger` at its level, as `event <type>` with the
 * payload as fields: the log is one reader of the stream. Returns the
 * unsubscribe.
 */
export function logEvents (events: EventStream, logger: Logger): () => void {
  const offErrors = events.onSubscriberError((err, e) => { logger.error('event subscriber failed', { event: e.type, error: err as Error }) })
  const off = events.subscribe((e) => {
    const { type, node: _node, time: _time, level, ...fields } = e as unknown as EventHeader & Record<string, unknown>
    logger[level](type, fields)
  })
  return () => { off(); offErrors() }
}

/** `events.next(type, opts)`: the next event of `type` (see EventStream.next). */
export async function nextEvent<K extends TekkaEventType> (events: EventStream, type: K, opts: { match?: (e: TekkaEvent<K>) => boolean, timeout?: number, signal?: AbortSignal } = {}): Promise<TekkaEvent<K>> {
  return await events.next(type, opts)
}


