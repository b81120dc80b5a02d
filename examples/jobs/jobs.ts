/**
 * A distributed job queue: a supervised service that runs on every node of
 * a tekka cluster and spreads work over all of them.
 *
 * Each node runs the supervisor `jobs_sup` (one_for_one) with two children:
 *
 * - `jobs`, a GenServer: takes job messages (`{ t: 'job', ... }`, sent to
 *   `{ name: 'jobs', node }` from any node), does the work (counts the
 *   primes below `size`) and sends the result to the job's `replyTo` pid.
 *   A *poison* job makes it throw: the supervisor restarts it.
 * - `jobs_producer`: every `interval` ms submits a job to the `jobs` worker
 *   of the next member that is up, round robin over the cluster (itself
 *   included). It monitors every worker it uses: a DOWN (`noconnection`
 *   when the worker's node is lost, `noproc` when nothing runs under that
 *   name, the crash reason when it crashed) hands the worker's unanswered
 *   jobs to the others, and leaves that worker alone for `retryAfter` ms.
 *   After a DOWN other than `noconnection` it monitors the name again
 *   `remonitorAfter` ms later (the supervisor has restarted the worker by
 *   then), so a worker is watched all the time, and a node that dies just
 *   after its worker crashed still gives a `noconnection` DOWN. A job
 *   unanswered after `timeout` ms goes to another worker too. A poison job
 *   is not retried: it would take the next worker down as well.
 *
 * Messages are delivered at most once, so this is at-least-once execution:
 * a job requeued after a timeout may run twice; the producer counts the late
 * answer and drops it.
 *
 * What happens is published on the node's event stream (`jobs.result`,
 * `jobs.worker_started`, `jobs.worker_down`, `jobs.requeued`,
 * `jobs.bad_message`; declared on TekkaEvents below), where the node's log,
 * an app and a test read it as they read the node's own events:
 *
 * ```ts
 * const jobs = await startJobs(node.components, { interval: 200 })
 * node.events.on('jobs.result', (e) => { console.log(e.id, 'ran on', e.worker) })
 * // ... jobs.stats()
 * await jobs.stop()
 * ```
 */
import {
  NOCONNECTION, Pid, SHUTDOWN, TIMEOUT, formatReason, isDownMessage, noreply, startGenServer, startSupervisor, stopServer,
  type DownMessage, type GenServer, type LogLevel, type ProcessContext, type Ref, type TekkaEvent, type TekkaEvents
} from '@tekka/actors'
import type { NodeComponents } from '@tekka/dist'
import { JobsOptionError } from '../lib/errors.js'

export { JobsOptionError } from '../lib/errors.js'

declare module '@tekka/actors' {
  interface TekkaEvents {
    /** This node's producer got a result; `first`: the first one from that worker node (level info; the others debug). */
    'jobs.result': { id: string, worker: string, value: number, ms: number, first: boolean }
    /** A worker this node's producer monitors went DOWN; its unanswered jobs were requeued (or given up, for poison ones). Level warn. */
    'jobs.worker_down': { worker: string, reason: string, requeued: string[], failed: string[] }
    /** This node's worker started; `incarnation` > 1 is a restart by the supervisor, `after` what ended the last one. Level info. */
    'jobs.worker_started': { incarnation: number, after?: string }
    /** A job was unanswered for `timeout` ms, could not be sent, or its worker went DOWN, and went back to the queue. Level info. */
    'jobs.requeued': { id: string, worker: string, reason: string }
    /** A message that is not a job reached the worker, or a malformed result the producer; dropped. Level warn. */
    'jobs.bad_message': { to: 'worker' | 'producer', what: string }
  }
}

/** Every event type the service publishes. */
export const JOBS_EVENTS = Object.freeze(['jobs.result', 'jobs.worker_down', 'jobs.worker_started', 'jobs.requeued', 'jobs.bad_message'] as const)

export type JobsEventType = typeof JOBS_EVENTS[number]

/** One jobs event, as the stream delivers it (header: `type`, `node` (the node that saw it), `time`, `level`). */
export type JobsEvent = TekkaEvent<JobsEventType>

/** What the service uses of its node. */
export type JobsComponents = Pick<NodeComponents, 'node' | 'runtime' | 'membership' | 'events'>

export const WORKER_NAME = 'jobs'
export const PRODUCER_NAME = 'jobs_producer'
export const SUPERVISOR_NAME = 'jobs_sup'

/** The largest job a worker accepts (a bigger `size` from the network is refused, not run). */
export const MAX_JOB_SIZE = 5_000_000

export interface JobsInit {
  /** ms between two jobs of this node's producer; 0 runs the worker only. Default 250. */
  interval?: number
  /** Work of one job: the primes below `size` are counted. Default 20000. */
  size?: number
  /** ms after which an unanswered job is given to another worker. Default 5000. */
  timeout?: number
  /** Every n-th job of the producer is poison (it crashes the worker that runs it); 0: never. Default 0. */
  poisonEvery?: number
  /** ms a worker is left alone after its DOWN. Default 1000. */
  retryAfter?: number
  /** ms after a DOWN other than `noconnection` before the worker's name is monitored again. Default 100. */
  remonitorAfter?: number
  /** Jobs waiting for a worker, at most; the producer skips a turn when there are more. Default 100. */
  maxQueued?: number
  /** Supervisor restart intensity: at most this many restarts ... Default 5. */
  intensity?: number
  /** ... within this many ms. Default 10000. */
  period?: number
}

export type JobsOptions = Required<JobsInit>

/** The defaults, in one place. */
export function jobsOptions (init: JobsInit = {}): JobsOptions {
  const o: JobsOptions = {
    interval: init.interval ?? 250,
    size: init.size ?? 20_000,
    timeout: init.timeout ?? 5000,
    poisonEvery: init.poisonEvery ?? 0,
    retryAfter: init.retryAfter ?? 1000,
    remonitorAfter: init.remonitorAfter ?? 100,
    maxQueued: init.maxQueued ?? 100,
    intensity: init.intensity ?? 5,
    period: init.period ?? 10_000
  }
  for (const [k, v] of Object.entries(o)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new JobsOptionError(k, v)
  }
  if (o.size < 2 || o.size > MAX_JOB_SIZE) throw new JobsOptionError('size', o.size, `2 to ${MAX_JOB_SIZE}`)
  return o
}

/** A job, as it travels to a worker. */
export interface Job {
  t: 'job'
  /** `<producer node>#<n>`. */
  id: string
  size: number
  poison: boolean
  replyTo: Pid
}

/** A worker's answer, sent to the job's `replyTo`. */
export interface JobResult {
  t: 'job_result'
  id: string
  worker: string
  value: number
  ms: number
}

export interface JobsStats {
  /** Jobs this node's producer submitted (new ones, not counting requeues). */
  submitted: number
  /** Results it got back. */
  done: number
  /** Of those, by the worker node that ran them. */
  byWorker: Record<string, number>
  /** Jobs this node's worker ran (for any producer). */
  worked: number
  /** Times this node's worker was started (1 + restarts). */
  workerStarts: number
  requeued: number
  /** Poison jobs given up. */
  failed: number
  /** Answers to jobs that had been requeued already (run twice). */
  late: number
  inFlight: number
  queued: number
}

export interface JobsService {
  /** The supervisor's pid. */
  readonly sup: Pid
  stats(): JobsStats
  /** Stops the supervisor (and so both children); safe twice. */
  stop(): Promise<void>
}

/** Counts the primes below n (a sieve): the work of one job. */
export function countPrimes (n: number): number {
  const composite = new Uint8Array(n)
  let count = 0
  for (let i = 2; i < n; i++) {
    if (composite[i] === 1) continue
    count++
    for (let j = i * i; j < n; j += i) composite[j] = 1
  }
  return count
}

/** What is wrong with `m` as a job, or undefined if it is one. */
export function jobProblem (m: unknown): string | undefined {
  if (typeof m !== 'object' || m === null) return 'not an object'
  const j = m as Partial<Job>
  if (j.t !== 'job') return 'no t: "job"'
  if (typeof j.id !== 'string' || j.id.length === 0 || j.id.length > 200) return 'id is not a string of 1 to 200 characters'
  if (typeof j.size !== 'number' || !Number.isInteger(j.size) || j.size < 2 || j.size > MAX_JOB_SIZE) return `size is not an integer from 2 to ${MAX_JOB_SIZE}`
  if (typeof j.poison !== 'boolean') return 'poison is not a boolean'
  if (!(j.replyTo instanceof Pid)) return 'replyTo is not a pid'
  return undefined
}

function isResult (m: unknown): m is JobResult {
  const r = m as Partial<JobResult> | null
  return typeof r === 'object' && r !== null && r.t === 'job_result' && typeof r.id === 'string' &&
    typeof r.worker === 'string' && typeof r.value === 'number' && typeof r.ms === 'number'
}

/** Starts the service on a node (its `components`): the supervisor `jobs_sup`, with the worker and (unless interval is 0) the producer. */
export async function startJobs (components: JobsComponents, init: JobsInit = {}): Promise<JobsService> {
  const opts = jobsOptions(init)
  const { runtime, membership, events } = components
  const self = components.node.name
  const publish = <K extends JobsEventType> (type: K, payload: TekkaEvents[K], level: LogLevel = 'info'): void => {
    events.publish(type, payload, level)
  }
  const stats: JobsStats = { submitted: 0, done: 0, byWorker: {}, worked: 0, workerStarts: 0, requeued: 0, failed: 0, late: 0, inFlight: 0, queued: 0 }
  let lastCrash: string | undefined

  // ---- the worker -------------------------------------------------------------------
  const worker: GenServer<null> = {
    init () {
      stats.workerStarts++
      publish('jobs.worker_started', { incarnation: stats.workerStarts, ...(lastCrash !== undefined ? { after: lastCrash } : {}) })
      lastCrash = undefined
      return null
    },
    handleInfo (m, st, ctx) {
      const problem = jobProblem(m)
      if (problem !== undefined) {
        publish('jobs.bad_message', { to: 'worker', what: problem }, 'warn')
        return noreply(st)
      }
      const job = m as Job
      if (job.poison) {
        lastCrash = `poison job ${job.id}`
        throw new Error(`poison job ${job.id}`)
      }
      const t0 = performance.now()
      const value = countPrimes(job.size)
      stats.worked++
      ctx.send(job.replyTo, { t: 'job_result', id: job.id, worker: self, value, ms: performance.now() - t0 } satisfies JobResult)
      return noreply(st)
    }
  }

  // ---- the producer -----------------------------------------------------------------
  async function producer (ctx: ProcessContext): Promise<void> {
    const clock = ctx.clock
    const inflight = new Map<string, { job: Job, worker: string, at: number }>()
    const monitors = new Map<string, Ref>()
    const resting = new Map<string, number>()
    /** Workers to monitor again, and when. */
    const remonitor = new Map<string, number>()
    const queue: Job[] = []
    const seen = new Set<string>()
    let seq = 0
    let turn = 0
    let next = clock.now() + opts.interval

    const pickWorker = (): string | undefined => {
      const now = clock.now()
      const up = membership.nodelist('up').filter((w) => (resting.get(w) ?? 0) <= now)
      if (up.length === 0) return undefined
      return up[turn++ % up.length]
    }
    const requeue = (id: string, reason: string): void => {
      const f = inflight.get(id)
      if (f === undefined) return
      inflight.delete(id)
      stats.requeued++
      queue.unshift(f.job)
      publish('jobs.requeued', { id, worker: f.worker, reason })
    }
    const dispatch = (): void => {
      while (queue.length > 0) {
        const w = pickWorker()
        if (w === undefined) return
        const job = queue.shift()!
        if (!monitors.has(w)) monitors.set(w, ctx.monitor({ name: WORKER_NAME, node: w }))
        inflight.set(job.id, { job, worker: w, at: clock.now() })
        try {
          ctx.send({ name: WORKER_NAME, node: w }, job)
        } catch (err) {
          // A local send to a name nobody holds throws (Erlang's badarg); the monitor's DOWN follows.
          resting.set(w, clock.now() + opts.retryAfter)
          requeue(job.id, `cannot send: ${formatReason(err)}`)
        }
      }
    }
    const onDown = (m: DownMessage): void => {
      const w = [...monitors].find(([, ref]) => ref.equals(m.ref))?.[0]
      if (w === undefined) return
      monitors.delete(w)
      resting.set(w, clock.now() + opts.retryAfter)
      if (m.reason !== NOCONNECTION) remonitor.set(w, clock.now() + opts.remonitorAfter)
      const requeued: string[] = []
      const failed: string[] = []
      for (const [id, f] of [...inflight]) {
        if (f.worker !== w) continue
        if (f.job.poison) {
          inflight.delete(id)
          stats.failed++
          failed.push(id)
        } else {
          requeue(id, `worker DOWN: ${formatReason(m.reason)}`)
          requeued.push(id)
        }
      }
      publish('jobs.worker_down', { worker: w, reason: formatReason(m.reason), requeued, failed }, 'warn')
    }

    for (;;) {
      const wake = Math.min(next, ...remonitor.values())
      const m = await ctx.receive(undefined, { timeout: Math.max(0, wake - clock.now()) })
      for (const [w, at] of [...remonitor]) {
        if (at > clock.now()) continue
        remonitor.delete(w)
        if (!monitors.has(w)) monitors.set(w, ctx.monitor({ name: WORKER_NAME, node: w }))
      }
      if (m === TIMEOUT && clock.now() < next) continue
      if (m !== TIMEOUT) {
        if (isDownMessage(m)) onDown(m)
        else if (isResult(m)) {
          if (inflight.delete(m.id)) {
            stats.done++
            const first = stats.byWorker[m.worker] === undefined
            stats.byWorker[m.worker] = (stats.byWorker[m.worker] ?? 0) + 1
            publish('jobs.result', { id: m.id, worker: m.worker, value: m.value, ms: m.ms, first }, first ? 'info' : 'debug')
          } else if (seen.has(m.id)) {
            stats.late++
          }
        } else {
          publish('jobs.bad_message', { to: 'producer', what: typeof m === 'object' && m !== null ? JSON.stringify(Object.keys(m)) : typeof m }, 'warn')
        }
        stats.inFlight = inflight.size
        continue
      }
      next = clock.now() + opts.interval
      const now = clock.now()
      for (const [id, f] of [...inflight]) if (now - f.at > opts.timeout) requeue(id, `no answer within ${opts.timeout} ms`)
      if (queue.length < opts.maxQueued) {
        const n = ++seq
        const id = `${self}#${n}`
        const poison = opts.poisonEvery > 0 && n % opts.poisonEvery === 0
        queue.push({ t: 'job', id, size: opts.size, poison, replyTo: ctx.self })
        seen.add(id)
        if (seen.size > 10_000) seen.delete(seen.values().next().value!)
        stats.submitted++
      }
      dispatch()
      stats.inFlight = inflight.size
      stats.queued = queue.length
    }
  }

  const children = [
    { id: 'worker', start: async (ctx: ProcessContext) => await startGenServer(ctx, worker, undefined, { name: WORKER_NAME, link: true }) }
  ]
  if (opts.interval > 0) children.push({ id: 'producer', start: async (ctx: ProcessContext) => ctx.spawn(producer, { link: true, name: PRODUCER_NAME }) })
  const sup = await startSupervisor(runtime, { strategy: 'one_for_one', intensity: opts.intensity, period: opts.period, children }, { name: SUPERVISOR_NAME })

  let stopped = false
  return {
    sup,
    stats: (): JobsStats => ({ ...stats, byWorker: { ...stats.byWorker } }),
    async stop (): Promise<void> {
      if (stopped) return
      stopped = true
      if (runtime.isAlive(sup)) await stopServer(runtime, sup, SHUTDOWN).catch(() => undefined)
    }
  }
}
