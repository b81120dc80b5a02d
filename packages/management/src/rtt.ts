/**
 * Round trip to each connected peer: every `interval` ms, an RPC ping
 * (`tekka.ping`, which every node answers) over each visible link, timed on
 * the node's clock. Links carry one-way ticks only, so a ping is the
 * cheapest real round trip; one per peer per interval. A peer that stops
 * answering keeps no stale number: its entry goes when its link does, or
 * when a ping times out.
 */
import type { NodeComponents } from '@tekka/dist'
import type { Timer } from '@tekka/actors'

export class RttPinger {
  readonly rtt = new Map<string, number>()
  readonly #c: Pick<NodeComponents, 'clock' | 'net' | 'rpc'>
  readonly #interval: number
  #timer: Timer | undefined
  #running = false

  constructor (components: Pick<NodeComponents, 'clock' | 'net' | 'rpc'>, interval: number) {
    this.#c = components
    this.#interval = interval
  }

  start (): void {
    if (this.#running || this.#interval <= 0) return
    this.#running = true
    this.#schedule(0)
  }

  stop (): void {
    this.#running = false
    if (this.#timer !== undefined) this.#c.clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #schedule (ms: number): void {
    this.#timer = this.#c.clock.setTimeout(() => { void this.#round() }, ms)
  }

  async #round (): Promise<void> {
    const { clock, net, rpc } = this.#c
    const peers = net.nodes()
    for (const p of this.rtt.keys()) if (!peers.includes(p)) this.rtt.delete(p)
    const timeout = Math.max(100, Math.min(this.#interval, net.tickTime))
    await Promise.all(peers.map(async (peer) => {
      const t0 = clock.now()
      try {
        await rpc.call(peer, 'tekka.ping', [], { timeout })
        if (this.#running) this.rtt.set(peer, clock.now() - t0)
      } catch {
        this.rtt.delete(peer)
      }
    }))
    if (this.#running) this.#schedule(this.#interval)
  }
}
