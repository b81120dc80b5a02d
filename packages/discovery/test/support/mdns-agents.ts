// The test side of mdns-agent.ts: start an agent inside a namespace and
// call its strategies. A call that fails inside rejects with the error's
// name, code and message; an agent that dies or does not answer in time
// fails the call with the tail of its output.
import { TekkaError } from '@tekka/actors'
import type { NodeProcess } from '@tekka/testing/procs'
import { spawnInNetns } from '@tekka/testing/netns'
import type { Spec } from './mdns-agent.js'

const AGENT = new URL('./mdns-agent.js', import.meta.url).pathname

export interface AgentLog {
  key: string
  level: 'error' | 'warn' | 'info' | 'debug'
  msg: string
  fields?: Record<string, unknown>
}

/** A failure reported by the agent: the error inside it, by name, code and message. */
export class AgentCallError extends TekkaError<'ERR_AGENT_CALL'> {
  /** The code of the error inside the agent (`ERR_MDNS_STOPPED`), if it had one. */
  readonly remoteCode: string | undefined
  readonly errorName: string
  constructor (op: string, e: { name: string, code?: string, message: string }) {
    super(`${op}: ${e.message}`, 'ERR_AGENT_CALL')
    this.remoteCode = e.code
    this.errorName = e.name
  }
}

export class Agent {
  readonly node: string
  readonly proc: NodeProcess
  #seq = 0

  constructor (node: string, proc: NodeProcess) {
    this.node = node
    this.proc = proc
  }

  async call<T = unknown> (op: string, args: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<T> {
    const id = ++this.#seq
    const since = this.proc.mark()
    this.proc.write(JSON.stringify({ id, op, args }) + '\n')
    const m = await this.proc.waitForLine(new RegExp(`^\\{"id":${id},`), timeoutMs, { since, stream: 'stdout' })
    const r = JSON.parse(m.line.text) as { ok: boolean, value: T, error: { name: string, code?: string, message: string } }
    if (!r.ok) throw new AgentCallError(op, r.error)
    return r.value
  }

  /**
   * Starts a sending op (`raw`, `garbage`) and resolves once its first
   * packets are out, with the promise of its end.
   */
  async sending (op: string, args: Record<string, unknown>): Promise<{ done: Promise<unknown> }> {
    const since = this.proc.mark()
    const id = this.#seq + 1
    const done = this.call(op, args)
    done.catch(() => {}) // the caller awaits it; the first line below fails first if the agent dies
    await this.proc.waitForLine(new RegExp(`^\\{"sent":${id}\\}`), 10_000, { since, stream: 'stdout' })
    return { done }
  }

  async discover (key = 'main'): Promise<string[]> {
    return await this.call<string[]>('discover', { key })
  }

  /** Log records of its strategies so far (of `key` only, if given). */
  logs (key?: string): AgentLog[] {
    const out: AgentLog[] = []
    for (const l of this.proc.lines) {
      if (l.stream !== 'stdout' || !l.text.startsWith('{"log":')) continue
      const r = (JSON.parse(l.text) as { log: AgentLog }).log
      if (key === undefined || r.key === key) out.push(r)
    }
    return out
  }

  async stop (): Promise<void> {
    if (!this.proc.running) return
    try {
      await this.call('exit', {}, 5000)
    } catch {}
    await this.proc.stop('SIGKILL', 1000)
  }
}

/** Starts an agent in `ns` for `spec` (its strategy "main" is made, not started). */
export async function startAgent (ns: string, spec: Spec): Promise<Agent> {
  const proc = spawnInNetns(ns, { entry: AGENT, args: [JSON.stringify(spec)], name: spec.node, env: { TEKKA_LOG: undefined } })
  await proc.waitForLine(/^\{"ready":true\}/, 20_000)
  return new Agent(spec.node, proc)
}
