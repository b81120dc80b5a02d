/**
 * The indirect probe (ekka's suspect / confirm): a member that went down
 * here is asked about through up to three other members that are up. One
 * that still has a link to the same incarnation means the failure is on
 * this side's link, not a dead node.
 */
import type { ProcessContext } from '@tekka/actors'
import type { MembershipView } from '@tekka/dist'
import { HealRequestError } from './errors.js'
import type { ProbeAnswer } from './events.js'
import { RPC, type HealComponents, type HealOptions, type ProbeResult } from './types.js'

/** What the asked node answers: whether it has a link to the probed node, and to which incarnation. */
interface ProbeReply { up: boolean, creation?: number }

/** Member names, sorted by name (the frequent checks need the set, not the age order). */
export function memberNames (membership: Pick<MembershipView, 'nodelist'>): string[] {
  return membership.nodelist().sort()
}

/** Asks up to three other members that are up whether they reach `target` (`known`: the incarnation last seen here). */
export async function probe (c: Pick<HealComponents, 'node' | 'net' | 'rpc' | 'membership'>, target: string, known: number | undefined, opts: HealOptions): Promise<{ result: ProbeResult, answers: ProbeAnswer[] }> {
  const self = c.node.name
  const askers = memberNames(c.membership).filter((m) => m !== self && m !== target && c.net.isConnected(m)).slice(0, 3)
  if (askers.length === 0) return { result: 'unknown', answers: [] }
  const replies = await c.rpc.multicall<ProbeReply>(askers, RPC.probe, [target], { timeout: opts.rpcTimeout })
  const answers: ProbeAnswer[] = []
  for (const r of replies) {
    if (!r.ok) continue
    const v = r.value as Partial<ProbeReply> | undefined
    if (typeof v !== 'object' || v === null || typeof v.up !== 'boolean') continue
    answers.push({ member: r.node, up: v.up, ...(typeof v.creation === 'number' ? { creation: v.creation } : {}) })
  }
  if (answers.length === 0) return { result: 'unknown', answers }
  if (answers.some((a) => a.up && (known === undefined || a.creation === known))) return { result: 'unreachable_here', answers }
  if (answers.some((a) => a.up)) return { result: 'restarted', answers }
  return { result: 'down', answers }
}

/** The probe as the asked node answers it: a link it has, or one it can make within `ms`. */
export async function answerProbe (ctx: ProcessContext, c: Pick<HealComponents, 'node' | 'net' | 'membership'>, target: unknown, ms: number): Promise<ProbeReply> {
  if (typeof target !== 'string' || target.length === 0) throw new HealRequestError(RPC.probe, 'a node name is needed')
  if (target !== c.node.name && !c.net.isConnected(target) && c.membership.isMember(target)) {
    await Promise.race([c.net.connect(target), ctx.sleep(ms)])
  }
  const info = c.net.peerInfo(target)
  return info !== undefined ? { up: true, creation: info.creation } : { up: false }
}
