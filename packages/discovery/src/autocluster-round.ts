/**
 * One autocluster round (ekka_autocluster's discover-and-join):
 *
 *   discover → lock (or a random pause, when the strategy has no lock)
 *   → reach every discovered node and ask its member status
 *   → join the first-ranked node (plan.ts) → register → unlock (always)
 *
 * Whatever the strategy does (throws, hangs, answers garbage) ends up in
 * the report's `error`; the round never throws. The actor (autocluster.ts)
 * publishes the report and decides when the next round runs.
 */
import type { Clock, Logger, ProcessContext } from '@tekka/actors'
import type { MembershipView } from '@tekka/dist'
import type { ProbeResult } from './autocluster-probe.js'
import type { RoundReport } from './autocluster-types.js'
import { BadStrategyResultError } from './errors.js'
import { checkDiscovered, describe, messageOf } from './names.js'
import { decide, isComplete, type SelfView } from './plan.js'
import type { Strategy } from './strategy.js'

export interface RoundDeps {
  readonly self: string
  readonly strategy: Strategy
  readonly membership: Pick<MembershipView, 'join' | 'status' | 'guid'>
  readonly clock: Clock
  readonly logger: Logger
  /** Most ms of the random pause before joining, for a strategy without a lock. */
  readonly jitter: number
  /** A strategy call, bounded by the call timeout and by the actor stopping. */
  call<T>(call: string, fn: (signal: AbortSignal) => T | Promise<T>): Promise<T>
  probe(nodes: readonly string[]): Promise<ProbeResult>
  /** Why the round must stop here (stopped, disabled, left, or its process ended: `alive` false), or undefined to go on. */
  interrupted(alive: boolean): string | undefined
  /** This node joined `target`. */
  joined(target: string, reason: string, round: number): void
  /** unlock() failed: reported on the side, the round's outcome stands. */
  unlockFailed(err: unknown, round: number): void
}

/** Runs round `n` in the actor's process; resolves with what it saw and did. */
export async function runRound (ctx: ProcessContext, n: number, d: RoundDeps): Promise<RoundReport> {
  const began = d.clock.now()
  const s = d.strategy
  const r: RoundReport = { round: n, at: Date.now(), duration: 0, discovered: [], skipped: [], alive: [], dead: [], pending: [], registered: false, complete: false }
  const cut = (): boolean => {
    const why = d.interrupted(ctx.alive)
    if (why === undefined) return false
    r.cancelled = why
    return true
  }
  let lockCalled = false
  try {
    // 1. discover
    const raw = await d.call('discover', (signal) => s.discover({ signal }))
    if (cut()) return r
    const checked = checkDiscovered(raw, d.self)
    if (typeof checked === 'string') throw new BadStrategyResultError(s.name, 'discover', checked)
    r.discovered = checked.nodes
    r.skipped = checked.skipped

    // 2. lock, or a random pause
    if (typeof s.lock === 'function') {
      lockCalled = true
      const got = await d.call('lock', (signal) => s.lock?.({ signal }))
      if (cut()) return r
      if (got !== true && got !== false) throw new BadStrategyResultError(s.name, 'lock', `${describe(got)}, not true or false`)
      r.lock = got ? 'taken' : 'held elsewhere'
      if (!got) return r
    } else if (checked.nodes.length > 0 && d.jitter > 0) {
      await ctx.sleep(Math.floor(Math.random() * d.jitter))
      if (cut()) return r
    }

    // 3. who is there, and how old
    const { peers, dead, pending } = await d.probe(checked.nodes)
    if (cut()) return r
    r.alive = peers.map((p) => p.node)
    r.dead = dead
    r.pending = pending
    const decision = decide(selfView(d), peers)
    r.decision = decision

    // 4. join
    if (decision.action === 'join') {
      try {
        const result = await d.membership.join(decision.target)
        if (result === 'joined') {
          r.joined = decision.target
          d.joined(decision.target, decision.reason, n)
        } else {
          d.logger.debug(`join ${decision.target} ignored: already a member`, { target: decision.target })
        }
      } catch (err) {
        // As ekka: the round goes on to register; the join is tried again next round.
        r.error = `join ${decision.target} failed: ${messageOf(err)}`
      }
      if (cut()) return r
    }

    // 5. register
    if (typeof s.register === 'function') {
      await d.call('register', (signal) => s.register?.({ signal }))
      if (cut()) return r
    }
    // ekka: registered once the strategy lists this node (a strategy without a registry: always).
    r.registered = typeof s.register !== 'function' || checked.includesSelf
    r.complete = decision.action !== 'join' && dead.length === 0 && pending.length === 0 && isComplete(selfView(d), r.registered, checked.nodes, peers)
  } catch (err) {
    r.error = messageOf(err)
  } finally {
    if (lockCalled) {
      try {
        await d.call('unlock', (signal) => s.unlock?.({ signal }))
      } catch (err) {
        d.unlockFailed(err, n)
      }
    }
    r.duration = d.clock.now() - began
  }
  return r
}

function selfView (d: RoundDeps): SelfView {
  const st = d.membership.status()
  return { node: d.self, guid: d.membership.guid, inCluster: st.running.some((x) => x !== d.self), members: new Set(st.members.map((m) => m.node)) }
}
