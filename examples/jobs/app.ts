/**
 * The jobs service as a `tekka` app module: every node started with it runs
 * the supervised job queue (jobs.ts) and prints what happens, one line per
 * event, on stdout:
 *
 *   tekka --name jobs1@127.0.0.1 --cookie secret \
 *     --set cluster.discovery=static --set cluster.static.seeds=jobs1@127.0.0.1,jobs2@127.0.0.1 \
 *     examples/build/jobs/app.js
 *
 * Settings come from the environment: JOBS_INTERVAL (ms between jobs,
 * default 250), JOBS_SIZE (default 20000), JOBS_POISON_EVERY (default 0:
 * no poison jobs), JOBS_STATS_EVERY (ms between stats lines, default 5000).
 */
import { formatReason } from '@tekka/actors'
import type { DistNode } from '@tekka/dist'
import { JOBS_EVENTS, startJobs, type JobsEvent } from './jobs.js'
import { envNumber } from '../lib/env.js'

/** One line per event; results only the first time a worker answers this producer. */
export function describe (e: JobsEvent): string | undefined {
  switch (e.type) {
    case 'jobs.result':
      return e.first ? `first result from ${e.worker}: job ${e.id} -> ${e.value} primes (${e.ms.toFixed(1)} ms)` : undefined
    case 'jobs.worker_started':
      return e.incarnation === 1 ? 'worker "jobs" started under jobs_sup' : `worker "jobs" restarted by jobs_sup (incarnation ${e.incarnation}) after ${e.after ?? 'an exit'}`
    case 'jobs.worker_down':
      return `monitor: DOWN from {jobs, ${e.worker}}: ${e.reason}; requeued ${e.requeued.length}, given up ${e.failed.length}${e.failed.length > 0 ? ` (${e.failed.join(', ')})` : ''}`
    case 'jobs.requeued':
      return e.reason.startsWith('worker DOWN') ? undefined : `job ${e.id} requeued (was on ${e.worker}): ${e.reason}`
    case 'jobs.bad_message':
      return `dropped a bad message to the ${e.to}: ${e.what}`
  }
}

export async function start (node: DistNode): Promise<() => Promise<void>> {
  const say = (text: string): void => { process.stdout.write(`jobs: ${text}\n`) }
  // Subscribed before the service starts: its worker's first `jobs.worker_started` comes while it starts.
  const off = node.events.on(JOBS_EVENTS, (e) => {
    const line = describe(e)
    if (line !== undefined) say(line)
  })
  const jobs = await startJobs(node.components, {
    interval: envNumber('JOBS_INTERVAL', 250),
    size: envNumber('JOBS_SIZE', 20_000),
    poisonEvery: envNumber('JOBS_POISON_EVERY', 0)
  }).catch((err: unknown) => { off(); throw err })
  const every = envNumber('JOBS_STATS_EVERY', 5000)
  const timer = every > 0
    ? setInterval(() => {
      const s = jobs.stats()
      const by = Object.entries(s.byWorker).map(([w, n]) => `${w}=${n}`).join(' ')
      say(`stats: ${s.submitted} submitted, ${s.done} done (${by || 'none yet'}), ${s.worked} run here, ${s.requeued} requeued, ${s.failed} given up, ${s.workerStarts - 1} worker restarts`)
    }, every)
    : undefined
  timer?.unref()
  say(`service started on ${node.name}: supervisor jobs_sup ${String(jobs.sup)}`)
  return async () => {
    clearInterval(timer)
    await jobs.stop().catch((err: unknown) => { say(`stop failed: ${formatReason(err)}`) })
    off()
    say('service stopped')
  }
}
