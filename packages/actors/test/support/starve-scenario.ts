/**
 * A child-process scenario for the starvation tests: starts a runaway
 * workload on a runtime with the given scheduler budget, then checks that a
 * 10 ms timer and a loopback TCP echo still get their turn. Prints JSON lines
 * on stdout: `{"started":...}` before the workload begins (stdout to a pipe
 * is synchronous, so this line gets out even if the event loop then
 * starves), then `{"result":...}` and `{"stopped":...}`.
 *
 * Two bystander processes play ping-pong meanwhile; their round trips are
 * counted too.
 *
 * Usage: node starve-scenario.js <flood|poll|selfsend|pingpong> <budget|Infinity>
 */
import { createServer, connect, type AddressInfo } from 'node:net'
import { createRuntime, silentLogger, type Pid, type Runtime } from '../../src/index.js'

const [scenario = 'flood', budgetArg = '4000'] = process.argv.slice(2)
const budget = budgetArg === 'Infinity' ? Infinity : Number(budgetArg)

/** Starts the workload; returns its pids and a progress counter. */
function start (rt: Runtime): { pids: Pid[], progress: () => number } {
  let received = 0
  let sent = 0
  switch (scenario) {
    case 'flood': {
      // A receiver consuming everything, a sender sending 1000 at a time
      // between yields. (It skips a round when 2 million messages are in
      // flight, only to bound memory when the scheduler never yields.)
      const receiver = rt.spawn(async (ctx) => {
        for (;;) { await ctx.receive(); received++ }
      })
      const payload = { data: 'x'.repeat(32) }
      const sender = rt.spawn(async (ctx) => {
        for (;;) {
          if (sent - received < 2_000_000) for (let i = 0; i < 1000; i++) { ctx.send(receiver, payload); sent++ }
          await ctx.yield()
        }
      })
      return { pids: [receiver, sender], progress: () => received }
    }
    case 'poll': {
      // A tight loop polling an empty mailbox: receive with timeout 0.
      const poller = rt.spawn(async (ctx) => {
        for (;;) { await ctx.receive(undefined, { timeout: 0 }); received++ }
      })
      return { pids: [poller], progress: () => received }
    }
    case 'selfsend': {
      // A tight receive loop that always finds a message: it sends itself one each turn.
      const looper = rt.spawn(async (ctx) => {
        for (;;) { ctx.send(ctx.self, received); await ctx.receive(); received++ }
      })
      return { pids: [looper], progress: () => received }
    }
    case 'pingpong': {
      // Two processes bouncing one message forever.
      const pong = rt.spawn(async (ctx) => {
        for (;;) { const from = await ctx.receive<Pid>(); received++; ctx.send(from, ctx.self) }
      })
      const ping = rt.spawn(async (ctx) => {
        ctx.send(pong, ctx.self)
        for (;;) { const from = await ctx.receive<Pid>(); ctx.send(from, ctx.self) }
      })
      return { pids: [pong, ping], progress: () => received }
    }
    default:
      throw new Error(`unknown scenario ${scenario}`)
  }
}

const print = (o: object): void => { process.stdout.write(JSON.stringify(o) + '\n') }

const server = createServer((sock) => { sock.pipe(sock) })
await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
const port = (server.address() as AddressInfo).port

/** Bystanders: two processes playing ping-pong, which must keep getting turns. */
function bystanders (rt: Runtime): { pids: Pid[], roundTrips: () => number } {
  let n = 0
  const pong = rt.spawn(async (ctx) => {
    for (;;) { const from = await ctx.receive<Pid>(); ctx.send(from, 'pong') }
  })
  const ping = rt.spawn(async (ctx) => {
    for (;;) { ctx.send(pong, ctx.self); await ctx.receive(); n++ }
  })
  return { pids: [pong, ping], roundTrips: () => n }
}

const rt = createRuntime({ node: 'starve@host', logger: silentLogger(), scheduler: { budget } })
print({ started: scenario, budget: budgetArg })
const batches0 = rt.scheduler.batches
const t0 = performance.now()
const work = start(rt)
const others = bystanders(rt)

const timerMs = await new Promise<number>((resolve) => { setTimeout(() => { resolve(performance.now() - t0) }, 10) })
const t1 = performance.now()
const tcpMs = await new Promise<number>((resolve, reject) => {
  const sock = connect(port, '127.0.0.1', () => { sock.write('ping') })
  sock.on('data', (d) => {
    if (d.toString() === 'ping') { sock.destroy(); resolve(performance.now() - t1) }
  })
  sock.on('error', reject)
})
// Let it run a little longer, so progress is measured over a while.
await new Promise((resolve) => setTimeout(resolve, 50))
const progress = work.progress()
const bystanderRoundTrips = others.roundTrips()
const batches = rt.scheduler.batches - batches0
print({ result: scenario, budget: budgetArg, timerMs, tcpMs, batches, progress, bystanderRoundTrips })

for (const p of [...work.pids, ...others.pids]) rt.exit(p, 'kill')
const after = work.progress()
await new Promise((resolve) => setTimeout(resolve, 20))
server.close()
print({ stopped: scenario, processCount: rt.processCount, progressAfterStop: work.progress() - after })
