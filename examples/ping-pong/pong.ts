/**
 * The pong node's app module:
 *
 *   tekka --name pong@127.0.0.1 --cookie pingpong examples/build/ping-pong/pong.js
 *
 * A supervisor `pong_sup` keeps one process registered as `pong`. It answers
 * `{ t: 'ping', n, from }` with `{ t: 'pong', n, pid }` to `from`, on
 * whatever node `from` lives, and throws when it gets `{ t: 'crash' }`: its
 * links and monitors (on the ping node too) are told why, and the
 * supervisor starts a new `pong`.
 */
import { SHUTDOWN, Pid, startSupervisor, stopServer, type ProcessContext } from '@tekka/actors'
import type { DistNode } from '@tekka/dist'

export interface Ping { t: 'ping', n: number, from: Pid }
export interface Pong { t: 'pong', n: number, pid: Pid }

const say = (text: string): void => { process.stdout.write(`pong: ${text}\n`) }

async function pong (ctx: ProcessContext): Promise<void> {
  say(`process ${String(ctx.self)} registered as "pong"`)
  for (;;) {
    const m = await ctx.receive<{ t?: string, n?: unknown, from?: unknown } | null>()
    if (m?.t === 'ping' && typeof m.n === 'number' && m.from instanceof Pid) {
      say(`ping #${m.n} from ${String(m.from)}`)
      ctx.send(m.from, { t: 'pong', n: m.n, pid: ctx.self } satisfies Pong)
    } else if (m?.t === 'crash') {
      say('asked to crash: throwing')
      throw new Error('pong was asked to crash')
    } else {
      say(`dropped a message that is neither a ping nor a crash: ${JSON.stringify(m)}`)
    }
  }
}

export async function start (node: DistNode): Promise<() => Promise<void>> {
  const sup = await startSupervisor(node.runtime, {
    strategy: 'one_for_one',
    intensity: 3,
    period: 5000,
    children: [{ id: 'pong', start: (ctx) => ctx.spawnLink(pong, { name: 'pong' }) }]
  }, { name: 'pong_sup' })
  say(`supervisor pong_sup ${String(sup)} started on ${node.name}`)
  return async () => { await stopServer(node.runtime, sup, SHUTDOWN).catch(() => undefined) }
}
