/**
 * Applications: the parts of a node that autoheal restarts when the node is
 * on the minority side of a partition (ekka's "stop applications, rejoin,
 * start applications"). The `tekka` command registers the user's app module
 * as one; the lock service registers itself. Started in registration order,
 * stopped in reverse; every start and stop is counted, so tests and operators
 * can see that a heal restarted an application exactly once.
 */
import { BadArgError, formatReason, type EventStream } from '@tekka/actors'

export interface Application {
  readonly name: string
  start(): Promise<void> | void
  stop(): Promise<void> | void
}

export interface ApplicationInfo {
  name: string
  running: boolean
  starts: number
  stops: number
}

interface Entry { app: Application, running: boolean, starts: number, stops: number }

export class Applications {
  readonly #events: EventStream
  #apps: Entry[] = []
  /** One restart at a time: a second stopAll waits for the first cycle. */
  #busy: Promise<void> = Promise.resolve()

  constructor (events: EventStream) {
    this.#events = events
  }

  /** Adds an application; `running` says whether it is already started (default true). */
  register (app: Application, running = true): void {
    if (this.#apps.some((e) => e.app.name === app.name)) throw new BadArgError(`application ${app.name} is already registered`, 'app')
    this.#apps.push({ app, running, starts: running ? 1 : 0, stops: 0 })
  }

  unregister (name: string): void {
    this.#apps = this.#apps.filter((e) => e.app.name !== name)
  }

  list (): ApplicationInfo[] {
    return this.#apps.map((e) => ({ name: e.app.name, running: e.running, starts: e.starts, stops: e.stops }))
  }

  /** Stops every running application, last registered first. */
  async stopAll (): Promise<void> {
    await this.#serial(async () => {
      for (const e of [...this.#apps].reverse()) {
        if (!e.running) continue
        try {
          await e.app.stop()
        } catch (err) {
          this.#events.publish('node.application', { app: e.app.name, event: 'stop_failed', error: formatReason(err) }, 'error')
        }
        e.running = false
        e.stops++
        this.#events.publish('node.application', { app: e.app.name, event: 'stopped' }, 'info')
      }
    })
  }

  /** Starts every stopped application, in registration order; returns those that failed, with why. */
  async startAll (): Promise<Array<{ name: string, error: Error }>> {
    const failed: Array<{ name: string, error: Error }> = []
    await this.#serial(async () => {
      for (const e of this.#apps) {
        if (e.running) continue
        try {
          await e.app.start()
          e.running = true
          e.starts++
          this.#events.publish('node.application', { app: e.app.name, event: 'started' }, 'info')
        } catch (err) {
          failed.push({ name: e.app.name, error: err as Error })
          this.#events.publish('node.application', { app: e.app.name, event: 'start_failed', error: formatReason(err) }, 'error')
        }
      }
    })
    return failed
  }

  async #serial (fn: () => Promise<void>): Promise<void> {
    const run = this.#busy.then(fn)
    this.#busy = run.catch(() => {})
    await run
  }
}
