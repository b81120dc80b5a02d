/**
 * The ping node's app module:
 *
 *   tekka --name ping@127.0.0.1 --port 0 --cookie pingpong examples/build/ping-pong/ping.js
 *
 * (`--port 0`: both names end without digits, so by the port rule both
 * nodes would listen on 4370; ping only dials out, so any port will do.)
 *
 * One process, `pinger`, trapping exits, walks through the remote features
 * and prints a line for each:
 *
 * 1. remote send: pings `{ name: 'pong', node: 'pong@127.0.0.1' }` three
 *    times, with the round-trip time of each;
 * 2. link and monitor: links to and monitors the pong process, asks it to
 *    crash, and gets both the EXIT (a trapped link signal) and the DOWN,
 *    with pong's error as the reason;
 * 3. supervision: pong's supervisor has started a new pong, which answers;
 * 4. node loss: links to and monitors the new pong, watches the pong node
 *    (monitorNode), prints `waiting for the pong node to go away`, and when
 *    that node dies (kill it, or Ctrl-C it) gets EXIT and DOWN with reason
 *    `noconnection`, and nodedown.
 *
 * Then it prints `ping: done`. PONG_NODE names the pong node (default
 * pong@127.0.0.1).
 */
import {
  TIMEOUT, formatReason, isDownMessage, isExitMessage,
  type DownMessage, type ExitMessage, type Pid, type ProcessContext
} from '@tekka/actors'
import type { DistNode } from '@tekka/dist'
import type { Pong } from './pong.js'

const say = (text: string): void => { process.stdout.write(`ping: ${text}\n`) }

function isPong (m: unknown): m is Pong {
  return typeof m === 'object' && m !== null && (m as Pong).t === 'pong' && typeof (m as Pong).n === 'number'
}

/** A receive that gives up loudly instead of waiting for ever. */
async function expect<T> (ctx: ProcessContext, match: (m: unknown) => m is T, what: string, timeout = 10_000): Promise<T> {
  const m = await ctx.receive(match, { timeout })
  if (m === TIMEOUT) throw new Error(`no ${what} within ${timeout} ms`)
  return m
}

async function pinger (ctx: ProcessContext, node: DistNode, pongNode: string): Promise<void> {
  const pong = { name: 'pong', node: pongNode }
  let n = 0
  const ping = async (): Promise<Pong> => {
    const sent = performance.now()
    ctx.send(pong, { t: 'ping', n: ++n, from: ctx.self })
    const mine = n
    const r = await expect(ctx, (m): m is Pong => isPong(m) && m.n === mine, `pong #${mine}`, 2000)
    say(`pong #${r.n} from ${String(r.pid)} in ${(performance.now() - sent).toFixed(1)} ms`)
    return r
  }

  // The pong node may still be starting: try to connect for up to 30 s.
  for (let i = 0; !(await node.connect(pongNode)); i++) {
    if (i === 100) throw new Error(`cannot reach ${pongNode}`)
    await ctx.sleep(300)
  }
  say(`connected to ${pongNode}`)

  // 1. remote send to a registered name
  let first: Pong | undefined
  for (let i = 0; i < 3; i++) first = await ping()

  // 2. link + monitor, then a crash
  const victim = first!.pid
  ctx.link(victim)
  let ref = ctx.monitor(victim)
  say(`linked to and monitoring ${String(victim)}; asking it to crash`)
  ctx.send(victim, { t: 'crash' })
  const exit = await expect(ctx, (m): m is ExitMessage => isExitMessage(m) && m.from.equals(victim), 'EXIT')
  say(`EXIT from ${String(exit.from)}: ${formatReason(exit.reason)} (the link; this process traps exits, so it lives on)`)
  const down = await expect(ctx, (m): m is DownMessage => isDownMessage(m) && m.ref.equals(ref), 'DOWN')
  say(`DOWN from ${String(down.pid)}: ${formatReason(down.reason)} (the monitor)`)

  // 3. the supervisor restarted pong: ping until a new process answers
  let again: Pong | undefined
  for (let i = 0; i < 20 && (again === undefined || again.pid.equals(victim)); i++) {
    try {
      again = await ping()
    } catch {
      await ctx.sleep(100)
    }
  }
  if (again === undefined || again.pid.equals(victim)) throw new Error('pong was not restarted')
  say(`pong_sup restarted pong as ${String(again.pid)}`)

  // 4. the node goes away
  ctx.link(again.pid)
  ref = ctx.monitor(again.pid)
  node.monitorNode(ctx.self, pongNode)
  say(`linked to and monitoring ${String(again.pid)}, watching ${pongNode}; waiting for the pong node to go away`)
  const isNodeDown = (m: unknown): m is { type: 'nodedown', node: string, reason: string } =>
    typeof m === 'object' && m !== null && (m as { type?: string }).type === 'nodedown'
  const pid: Pid = again.pid
  const exit2 = await expect(ctx, (m): m is ExitMessage => isExitMessage(m) && m.from.equals(pid), 'EXIT after node loss', 600_000)
  say(`EXIT from ${String(exit2.from)}: ${formatReason(exit2.reason)}`)
  const down2 = await expect(ctx, (m): m is DownMessage => isDownMessage(m) && m.ref.equals(ref), 'DOWN after node loss')
  say(`DOWN from ${String(down2.pid)}: ${formatReason(down2.reason)}`)
  const nd = await expect(ctx, isNodeDown, 'nodedown')
  say(`nodedown ${nd.node}: ${nd.reason}`)
  say('done')
}

export function start (node: DistNode): () => void {
  const pongNode = process.env.PONG_NODE ?? 'pong@127.0.0.1'
  const pid = node.spawn(async (ctx) => {
    try {
      await pinger(ctx, node, pongNode)
    } catch (err) {
      say(`failed: ${formatReason(err)}`)
    }
  }, { name: 'pinger', trapExit: true })
  return () => { if (node.runtime.isAlive(pid)) node.runtime.exit(pid, 'kill') }
}
