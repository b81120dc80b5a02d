/**
 * A fault injector for links, off until used: `cut(peers)` makes this
 * node's links to those peers behave as if a firewall dropped every packet
 * between them, for demos and tests that cannot use iptables (not root, not
 * Linux). Nothing is cut at start, and nothing configures it: only code in
 * the node's own process (an app module, a test) can call it.
 *
 * ```ts
 * node.kernel.faults.cut(['n3@127.0.0.3'])   // the link falls silent: both ends see net_tick_timeout
 * node.kernel.faults.restore()               // dials work again; the peers reconnect as after a partition
 * ```
 *
 * What a cut does, as a DROP rule would:
 *
 * - a link that is up goes deaf and mute (nothing it reads is heard,
 *   nothing queued on it is written), so it dies of its ticks, on both
 *   ends, within `tick_time`; it stays so until then even if the cut is
 *   restored first (a cut link never carries a frame again);
 * - a dial to a cut peer fails (`ERR_DIAL`), and a handshake from one is
 *   refused, until `restore`.
 *
 * To partition two groups, cut each side's nodes from the other side (the
 * injector acts on one node's links; the peer's own ends are its node's).
 */

export class LinkFaults {
  readonly #cut = new Set<string>()
  readonly #onCut: (peer: string) => void

  /** @internal the net kernel makes the one of each node; `onCut` silences the peer's link. */
  constructor (onCut: (peer: string) => void) {
    this.#onCut = onCut
  }

  /** Cuts the links to `peers` (each `name@host`); returns those newly cut. */
  cut (peers: Iterable<string>): string[] {
    const added: string[] = []
    for (const p of peers) {
      if (typeof p !== 'string' || !p.includes('@')) throw new TypeError(`link faults: ${JSON.stringify(p)} is not a node name`)
      if (this.#cut.has(p)) continue
      this.#cut.add(p)
      added.push(p)
    }
    for (const p of added) this.#onCut(p)
    return added
  }

  /** Lets `peers` (default: every cut peer) connect again; returns those restored. */
  restore (peers?: Iterable<string>): string[] {
    const out = peers === undefined ? [...this.#cut] : [...peers].filter((p) => this.#cut.has(p))
    for (const p of out) this.#cut.delete(p)
    return out.sort()
  }

  isCut (peer: string): boolean {
    return this.#cut.size !== 0 && this.#cut.has(peer)
  }

  /** The peers cut, sorted. */
  cuts (): string[] {
    return [...this.#cut].sort()
  }
}
