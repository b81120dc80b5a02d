/**
 * A tour of tekka's process model on one node, printing one line per event:
 *
 * - a Supervisor (one_for_one) with three children: a GenServer "counter"
 *   (call / cast), a "ticker" that casts to it, and a "flaky" worker that
 *   throws on purpose and is restarted;
 * - selective receive and a receive timeout;
 * - a link: "doomed" exits abnormally, "guardian" (trapping exits) gets an
 *   EXIT message and lives, "bystander" (not trapping) dies with it;
 * - monitors: DOWN for the bystander, and DOWN `noproc` for a dead pid;
 * - a summary, then an orderly shutdown of the supervisor.
 *
 *   node examples/build/local-demo.js              # runs ~2.5 s and exits 0
 *   node examples/build/local-demo.js --forever    # until Ctrl-C
 *
 * What the supervisor does (a child exited, restarted) is read from the
 * runtime's event stream (`rt.events`, `supervisor.child`), where every
 * part of tekka publishes what it decides; the runtime's logger is turned
 * into demo lines too (a crash report is an expected event here, not an
 * error), without the copy of each event the log also writes.
 */
import { pathToFileURL } from 'node:url'
import {
  SHUTDOWN, TIMEOUT, call, cast, createLogger, createRuntime, formatReason, isDownMessage, isExitMessage,
  noreply, reply, startGenServer, startSupervisor, stopServer, whichChildren,
  type DownMessage, type GenServer, type LogRecord, type ProcessContext, type Runtime, type TekkaEvent
} from '@tekka/actors'

export interface DemoOptions {
  /** Where lines go (default: stdout). */
  out?: (line: string) => void
  /** How long the supervised children run before the summary and shutdown (default 2500 ms; Infinity: until `signal`). */
  durationMs?: number
  /** Ends the run early (Ctrl-C in --forever mode). */
  signal?: AbortSignal
  /** The flaky worker crashes this long after it starts (default 600 ms; 4000 with an infinite duration). */
  crashAfterMs?: number
  /** Crash every incarnation of the flaky worker, not only the first (default: only with an infinite duration). */
  crashRepeatedly?: boolean
  /** Milliseconds between two ticks (default 400; 1000 with an infinite duration). */
  tickMs?: number
}

export interface DemoSummary {
  /** Processes alive just before the shutdown, and after it. */
  processesBefore: number
  processesAfter: number
  /** Messages taken from a mailbox by the demo's processes. */
  messages: number
  /** Casts (ticks) and calls the counter handled. */
  ticks: number
  calls: number
  crashes: number
  restarts: number
  exits: number
  downs: number
}

interface Stats { messages: number, ticks: number, calls: number, crashes: number, restarts: number, exits: number, downs: number }

// ---- the counter: a GenServer ----------------------------------------------------

type CounterCall = 'get'
type CounterCast = { type: 'tick', from: string }
interface CounterState { count: number, calls: number }

function counterServer (say: Say, stats: Stats): GenServer<CounterState, CounterCall, number, CounterCast, number> {
  return {
    init (start, ctx) {
      // Trapping exits lets the supervisor's `shutdown` reach terminate as a message.
      ctx.trapExit(true)
      say('counter', `init: GenServer ${ctx.self} registered as "counter", count = ${start}`)
      return { count: start, calls: 0 }
    },
    handleCall (req, from, st) {
      stats.messages++
      stats.calls++
      say('counter', `call "${req}" from ${from.pid} -> reply ${st.count}`)
      return reply(st.count, { ...st, calls: st.calls + 1 })
    },
    handleCast (msg, st) {
      stats.messages++
      stats.ticks++
      say('counter', `cast "tick" from ${msg.from} -> count = ${st.count + 1}`)
      return noreply({ ...st, count: st.count + 1 })
    },
    terminate (reason, st) {
      say('counter', `terminate(${formatReason(reason)}) with count = ${st.count}`)
    }
  }
}

// ---- the plain-process children ------------------------------------------------------

/** Casts a tick to "counter" every `tickMs`, forever (a supervisor shutdown ends it). */
function ticker (tickMs: number) {
  return async (ctx: ProcessContext): Promise<void> => {
    for (let n = 1; ; n++) {
      await ctx.sleep(tickMs)
      cast(ctx, 'counter', { type: 'tick', from: `ticker#${n}` } satisfies CounterCast)
    }
  }
}

/** Works for a while, then throws: the supervisor restarts it. */
function flaky (say: Say, stats: Stats, crashAfterMs: number, crashRepeatedly: boolean) {
  let incarnation = 0
  return async (ctx: ProcessContext): Promise<void> => {
    const n = ++incarnation
    if (n > 1) stats.restarts++
    say('flaky', `incarnation ${n} started as ${ctx.self}`)
    if (n === 1 || crashRepeatedly) {
      await ctx.sleep(crashAfterMs)
      stats.crashes++
      say('flaky', `incarnation ${n} throws on purpose`)
      throw new Error(`simulated failure in incarnation ${n}`)
    }
    // A healthy incarnation waits for work that never comes.
    await ctx.receive((m) => m === 'never')
  }
}

// ---- the demo ---------------------------------------------------------------------------

type Say = (tag: string, text: string) => void

/** Runs the demo; resolves with what happened once the supervisor is shut down. */
export async function runDemo (opts: DemoOptions = {}): Promise<DemoSummary> {
  const out = opts.out ?? ((line: string) => { process.stdout.write(line + '\n') })
  const durationMs = opts.durationMs ?? 2500
  const forever = durationMs === Infinity
  const crashAfterMs = opts.crashAfterMs ?? (forever ? 4000 : 600)
  const crashRepeatedly = opts.crashRepeatedly ?? forever
  const tickMs = opts.tickMs ?? (forever ? 1000 : 400)
  const t0 = performance.now()
  const say: Say = (tag, text) => {
    out(`+${((performance.now() - t0) / 1000).toFixed(2)}s  ${tag.padEnd(8)} ${text}`)
  }
  const stats: Stats = { messages: 0, ticks: 0, calls: 0, crashes: 0, restarts: 0, exits: 0, downs: 0 }

  // `creation: 1` only keeps printed pids short (<nonode@nohost.3.1>); a real node gets a random one.
  const rt = createRuntime({ creation: 1, logger: createLogger('tekka', (r) => { logLine(say, r) }, 'info') })
  say('runtime', `node ${rt.node}: processes are async functions with a mailbox`)
  const offEvents = rt.events.on('supervisor.child', (e) => { supervisorLine(say, e) })

  // -- the supervision tree
  const flakyWorker = flaky(say, stats, crashAfterMs, crashRepeatedly) // one closure: it counts incarnations
  const sup = await startSupervisor(rt, {
    strategy: 'one_for_one',
    intensity: 3,
    period: 5000,
    children: [
      { id: 'counter', start: (ctx) => startGenServer(ctx, counterServer(say, stats), 0, { name: 'counter', link: true }) },
      { id: 'ticker', start: (ctx) => ctx.spawnLink(ticker(tickMs)) },
      { id: 'flaky', start: (ctx) => ctx.spawnLink(flakyWorker) }
    ]
  }, { name: 'demo_sup' })
  const children = await whichChildren(rt, sup)
  say('sup', `supervisor ${sup} (one_for_one, at most 3 restarts in 5 s) started ${children.map((c) => `${c.id} ${String(c.pid)}`).join(', ')}`)

  // -- selective receive, links and monitors, from a process of our own
  await rt.run(async (ctx) => {
    await selectiveReceive(ctx, rt, say, stats)
    await linksAndMonitors(ctx, say, stats)
  })

  // -- let the supervised children work (ticks, the crash and its restart)
  await waitFor(durationMs, opts.signal)
  const count = await call<number>(rt, 'counter', 'get')
  say('main', `call(rt, "counter", "get") -> ${count} (from outside any process, a call runs in a temporary one)`)

  const processesBefore = rt.processCount
  const counts = await whichChildren(rt, 'demo_sup')
  say('summary', `${processesBefore} processes alive: the supervisor and ${counts.map((c) => c.id).join(', ')}`)
  say('summary', `${stats.messages} messages handled (${stats.ticks} cast${stats.ticks === 1 ? '' : 's'} and ${stats.calls} call${stats.calls === 1 ? '' : 's'} by the counter), ` +
    `${stats.crashes} crash${stats.crashes === 1 ? '' : 'es'}, ${stats.restarts} restart${stats.restarts === 1 ? '' : 's'}, ` +
    `${stats.exits} EXIT, ${stats.downs} DOWN`)

  // -- orderly shutdown: children are stopped in reverse start order
  say('sup', 'stopping the supervisor with reason "shutdown"')
  await stopServer(rt, 'demo_sup', SHUTDOWN)
  offEvents()
  const processesAfter = rt.processCount
  say('summary', `supervisor stopped; ${processesAfter} processes left`)

  return { processesBefore, processesAfter, ...stats }
}

/** Messages sent before a receive wait in the mailbox; a match takes the first one it accepts. */
async function selectiveReceive (ctx: ProcessContext, rt: Runtime, say: Say, stats: Stats): Promise<void> {
  type Job = { prio: 'low' | 'high', n: number }
  const isHigh = (m: unknown): m is Job => typeof m === 'object' && m !== null && (m as Job).prio === 'high'
  const inbox = ctx.spawn(async (c) => {
    const queued = rt.processInfo(c.self)!.messages.map((m) => `#${(m as Job).n}`).join(' ')
    say('receive', `inbox ${c.self} has ${queued} waiting`)
    const first = await c.receive(isHigh)
    stats.messages++
    say('receive', `receive(isHigh) took #${first.n} first; the others keep their place`)
    const a = await c.receive<Job>()
    const b = await c.receive<Job>()
    stats.messages += 2
    say('receive', `receive() then took #${a.n}, #${b.n}, in the order they were sent`)
    const none = await c.receive(undefined, { timeout: 50 })
    say('receive', `receive(undefined, { timeout: 50 }) -> ${none === TIMEOUT ? 'TIMEOUT' : String(none)}`)
  })
  const done = ctx.monitor(inbox)
  for (const job of [{ prio: 'low', n: 1 }, { prio: 'low', n: 2 }, { prio: 'high', n: 3 }] satisfies Job[]) ctx.send(inbox, job)
  await mustReceive(ctx, (m): m is DownMessage => isDownMessage(m) && m.ref.equals(done), 'inbox to finish')
}

/** A link carries an abnormal exit: trapped, it is a message; untrapped, it kills. A monitor only reports. */
async function linksAndMonitors (ctx: ProcessContext, say: Say, stats: Stats): Promise<void> {
  const me = ctx.self
  const doomed = ctx.spawn(async (c) => {
    await c.receive((m) => m === 'go')
    c.exit('disk_full')
  })
  const guardian = ctx.spawn(async (c) => {
    c.link(doomed)
    c.send(me, 'linked')
    const m = await c.receive(isExitMessage)
    stats.messages++
    stats.exits++
    say('link', `guardian got { type: 'EXIT', from: ${m.from}, reason: '${formatReason(m.reason)}' } and lives on (it traps exits)`)
    c.send(me, 'guardian done')
  }, { trapExit: true })
  const bystander = ctx.spawn(async (c) => {
    c.link(doomed)
    c.send(me, 'linked')
    await c.receive((m) => m === 'never')
  })
  await mustReceive(ctx, (m) => m === 'linked', 'guardian to link')
  await mustReceive(ctx, (m) => m === 'linked', 'bystander to link')
  const ref = ctx.monitor(bystander)
  say('link', `guardian ${guardian} (trapping exits) and bystander ${bystander} (not trapping) are linked to doomed ${doomed}`)
  say('monitor', `main ${me} monitors bystander ${bystander}`)

  say('link', `doomed ${doomed} calls ctx.exit('disk_full')`)
  ctx.send(doomed, 'go')
  const down = await mustReceive(ctx, (m): m is DownMessage => isDownMessage(m) && m.ref.equals(ref), 'DOWN for bystander')
  stats.messages++
  stats.downs++
  say('monitor', `main got { type: 'DOWN', pid: ${String(down.pid)}, reason: '${formatReason(down.reason)}' }: the link took the bystander down`)
  await mustReceive(ctx, (m) => m === 'guardian done', 'guardian')

  const late = ctx.monitor(doomed)
  const noproc = await mustReceive(ctx, (m): m is DownMessage => isDownMessage(m) && m.ref.equals(late), 'DOWN noproc')
  stats.messages++
  stats.downs++
  say('monitor', `monitoring dead ${doomed} fires DOWN at once, reason '${formatReason(noproc.reason)}'`)
}

/** A bounded receive: the demo fails loudly instead of hanging if the runtime misbehaves. */
async function mustReceive<T> (ctx: ProcessContext, match: (m: unknown) => m is T, what: string): Promise<T>
async function mustReceive (ctx: ProcessContext, match: (m: unknown) => boolean, what: string): Promise<unknown>
async function mustReceive (ctx: ProcessContext, match: (m: unknown) => boolean, what: string): Promise<unknown> {
  const m = await ctx.receive(match, { timeout: 2000 })
  if (m === TIMEOUT) throw new Error(`demo: timed out waiting for ${what}`)
  return m
}

/** Resolves after `ms` (never, for Infinity) or when `signal` aborts; leaves no timer behind. */
function waitFor (ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) { resolve(); return }
    const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined
    signal?.addEventListener('abort', done, { once: true })
    function done (): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
  })
}

/** A supervisor's report from the event stream, as a demo line. */
function supervisorLine (say: Say, e: TekkaEvent<'supervisor.child'>): void {
  switch (e.event) {
    case 'exited':
      // A child stopped by the shutdown is no news (level debug).
      if (e.level !== 'debug') say('sup', `child "${e.id}" ${e.pid ?? '?'} exited with ${formatReason(e.reason)}; ${e.restart === true ? 'restarting it (one_for_one)' : 'not restarted'}`)
      return
    case 'restarted':
      say('sup', `child "${e.id}" restarted as ${e.pid ?? '?'}`)
      return
    case 'restart_failed':
      say('sup', `child "${e.id}" could not be restarted: ${formatReason(e.reason)}`)
      return
    case 'intensity':
      say('sup', `more than ${e.intensity ?? '?'} restarts in ${e.period ?? '?'} ms: the supervisor gives up (${formatReason(e.reason)})`)
  }
}

/** The runtime's log records, as demo lines. */
function logLine (say: Say, r: LogRecord): void {
  // The log's copy of each event (logger `tekka:event`): the events themselves are read from the stream.
  if (r.name === 'tekka:event') return
  const f = r.fields ?? {}
  const reason = (): string => {
    const x = f.reason
    // The runtime logs a crash with its stack; the first line is the reason.
    return typeof x === 'string' ? x.split('\n')[0] : formatReason(x)
  }
  if (r.msg === 'process crashed') {
    say('runtime', `process ${String(f.pid)} crashed: ${reason()} (reported to its links and monitors)`)
    return
  }
  const rest = Object.entries(f).map(([k, v]) => `${k}=${k === 'reason' ? reason() : formatReason(v)}`).join(' ')
  say('log', `${r.level} ${r.name}: ${r.msg}${rest === '' ? '' : ' ' + rest}`)
}

// ---- run it ----------------------------------------------------------------------------

async function main (): Promise<void> {
  const forever = process.argv.includes('--forever')
  const ac = new AbortController()
  // Never removed: Ctrl-C under `npm run` delivers SIGINT twice (from the
  // terminal, then forwarded by npm), and the second must not kill the
  // process during or after its shutdown.
  const onSigint = (): void => {
    if (ac.signal.aborted) return
    process.stdout.write('\n')
    ac.abort()
  }
  if (forever) {
    process.on('SIGINT', onSigint)
    process.stdout.write('running until Ctrl-C\n')
  }
  await runDemo({ durationMs: forever ? Infinity : 2500, signal: ac.signal })
  // A SIGINT that arrives once Node has begun to exit is no longer handled
  // and kills the process (exit 130, and npm reports a failure): linger a
  // moment so npm's forwarded copy lands while the listener still works.
  if (forever) await new Promise((resolve) => setTimeout(resolve, 200))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(() => { process.exitCode = 0 }, (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
    process.exitCode = 1
  })
}
