/**
 * Applications: the parts of a node that autoheal restarts when the node is
 * on the minority side of a partition (ekka's "stop applications, rejoin,
 * start applications"). The `tekka` command registers the user's app module
 * as one; the lock service registers itself. Started in registration order,
 * stopped in reverse; every start and stop is counted, so tests and operators
 * can see that a heal restarted an application exactly once.
 */
import { EventEmitter } from 'node:events';
export class Applications extends EventEmitter {
    #log;
    #apps = [];
    /** One restart at a time: a second stopAll waits for the first cycle. */
    #busy = Promise.resolve();
    constructor(log) {
        super();
        this.#log = log;
    }
    /** Adds an application; `running` says whether it is already started (default true). */
    register(app, running = true) {
        if (this.#apps.some((e) => e.app.name === app.name))
            throw new Error(`application ${app.name} is already registered`);
        this.#apps.push({ app, running, starts: running ? 1 : 0, stops: 0 });
    }
    unregister(name) {
        this.#apps = this.#apps.filter((e) => e.app.name !== name);
    }
    list() {
        return this.#apps.map((e) => ({ name: e.app.name, running: e.running, starts: e.starts, stops: e.stops }));
    }
    /** Stops every running application, last registered first. */
    async stopAll() {
        await this.#serial(async () => {
            for (const e of [...this.#apps].reverse()) {
                if (!e.running)
                    continue;
                try {
                    await e.app.stop();
                }
                catch (err) {
                    this.#log.error('application stop failed', { app: e.app.name, error: err });
                }
                e.running = false;
                e.stops++;
                this.emit('stopped', e.app.name);
            }
        });
    }
    /** Starts every stopped application, in registration order; returns those that failed, with why. */
    async startAll() {
        const failed = [];
        await this.#serial(async () => {
            for (const e of this.#apps) {
                if (e.running)
                    continue;
                try {
                    await e.app.start();
                    e.running = true;
                    e.starts++;
                    this.emit('started', e.app.name);
                }
                catch (err) {
                    failed.push({ name: e.app.name, error: err });
                    this.#log.error('application start failed', { app: e.app.name, error: err });
                }
            }
        });
        return failed;
    }
    async #serial(fn) {
        const run = this.#busy.then(fn);
        this.#busy = run.catch(() => { });
        await run;
    }
}
//# sourceMappingURL=applications.js.map