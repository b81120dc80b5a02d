// Traffic for the metrics tests: messages from a to a registered sink on b
// (which stops reading, so its mailbox grows), a local lock that a holder
// keeps, and an acquire of it that is refused.
import { acquire } from '@tekka/lock'
import type { Pid } from '@tekka/actors'
import { eventually } from '@tekka/testing/wait'
import type { Managed } from './managed.js'

export const SINK = 'metrics_sink'

export async function makeTraffic (a: Managed, b: Managed, messages: number): Promise<{ holder: Pid }> {
  const sink = b.t.node.spawn(async (ctx) => { await ctx.receive((m) => m === 'never') })
  b.t.node.runtime.register(SINK, sink)
  for (let i = 0; i < messages; i++) a.t.node.send({ name: SINK, node: b.t.node.name }, { i, pad: 'x'.repeat(100) })
  await eventually(() => b.t.node.runtime.mailboxLength(sink) === messages, { timeout: 10_000, message: 'every message reached the sink' })
  const holder = a.t.node.spawn(async (ctx) => {
    await acquire(ctx, 'metrics/held', 'local')
    await ctx.receive((m) => m === 'never')
  })
  await eventually(async () => await a.t.node.runtime.run(async (ctx) => !(await acquire(ctx, 'metrics/held', 'local')).ok), { timeout: 5000, message: 'a second acquire is refused' })
  return { holder }
}
