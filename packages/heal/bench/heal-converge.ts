/**
 * heal.converge: seconds from the end of a 3|2 partition to one cluster on
 * every node (the same `cluster status` everywhere, no partitions, the
 * minority's application restarted), with `cluster.autoheal_delay` = 1 s,
 * between five real `tekka` processes cut apart by iptables DROP rules
 * (n2@127.0.0.2 ... n6@127.0.0.6, tick_time 2 s). Reported with
 * heal.detect: seconds from the end of the partition to the first node
 * that records it (its link came back with the same incarnation).
 *
 * Output: one JSON line per result (format: @tekka/testing/bench; here
 * to 3 significant digits), e.g.
 *   {"bench":"heal.converge","value":2.1,"unit":"s","min":1.9,"max":2.4,"runs":5,"delay_s":1,"tick_s":2}
 *
 * Environment: TEKKA_BENCH_RUNS (default 5). Needs root and iptables; without
 * them it says why and reports nothing.
 */
import { benchEnv, emit, round, stats } from '@tekka/testing/bench'
import { RealCluster } from '../test/helpers/real-cluster.js'
import * as iptables from '@tekka/testing/iptables'
import * as wait from '@tekka/testing/wait'
import type { Partition } from '@tekka/testing/iptables'

const { runs: RUNS } = benchEnv()
const NET = process.env.TEKKA_HEAL_TEST_NET ?? '127.0.0'
const NAMES = [2, 3, 4, 5, 6].map((i) => `n${i}@${NET}.${i}`)
const MAJORITY = NAMES.slice(0, 3)
const MINORITY = NAMES.slice(3)
const TICK = 2000
const DELAY = 1000
const CUT_MS = 4000

/** Significant digits of the figures (seconds of a 4 s cut: more would be noise). */
const PRECISION = 3

const host = (n: string): string => n.split('@')[1]

async function main (): Promise<void> {
  if (!(await iptables.iptablesAvailable())) {
    console.log(`heal.converge needs root and a working iptables: ${iptables.unavailableReason()}`)
    return
  }
  const cluster = new RealCluster({ names: NAMES, tickTime: TICK, delay: DELAY, log: 'error' })
  const converge: number[] = []
  const detect: number[] = []
  try {
    await cluster.start()
    for (let run = 0; run < RUNS; run++) {
      const before = await cluster.appStarts()
      const seen = new Map<string, number>()
      for (const n of NAMES) seen.set(n, (await cluster.call<unknown[]>(n, 'test.partition_events')).length)
      let p: Partition | undefined
      // From the moment the rules start to go (links may come back as soon as the first one is out).
      let ended = 0
      try {
        p = await iptables.partitionGroups(MAJORITY.map(host), MINORITY.map(host))
        await wait.sleep(CUT_MS)
      } finally {
        ended = Date.now()
        await p?.heal()
      }
      let at = 0
      await wait.eventually(async () => {
        const why = await cluster.oneCluster()
        if (why !== undefined) throw new Error(why)
        const now = await cluster.appStarts()
        for (const v of MINORITY) if (now.get(v)! <= before.get(v)!) throw new Error(`${v} not restarted yet`)
        at = Date.now()
      }, { timeout: 30_000, interval: 20, message: 'one cluster' })
      converge.push((at - ended) / 1000)
      let first = Infinity
      for (const n of NAMES) {
        const events = (await cluster.call<Array<{ event: string, at: number }>>(n, 'test.partition_events')).slice(seen.get(n))
        for (const e of events) if (e.event === 'occurred') first = Math.min(first, e.at)
      }
      detect.push((first - ended) / 1000)
      // Let the cluster settle before the next run.
      await wait.sleep(DELAY + 2000)
    }
  } finally {
    iptables.cleanupIptables()
    await cluster.stop()
  }
  const meta = { delay_s: DELAY / 1000, tick_s: TICK / 1000, partition: '3|2', cut_s: CUT_MS / 1000 }
  emit('heal.converge', 's', converge, { precision: PRECISION, extra: { ...meta, detect_s: round(stats(detect).value, PRECISION) } })
  emit('heal.detect', 's', detect, { precision: PRECISION, extra: meta })
}

await main()
