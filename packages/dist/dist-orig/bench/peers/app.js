import { exitWithParent } from './parent-guard.js';
export function start(node) {
    // Exit at once on SIGTERM (the profile of a --cpu-prof run is written at exit); nothing here needs a graceful stop.
    exitWithParent({ exitOnSigterm: true });
    node.register('bench.sink', (n, report) => node.spawn(async (ctx) => {
        for (let i = 0; i < n; i++)
            await ctx.receive();
        ctx.send(report, { done: n });
    }));
    node.register('bench.ponger', () => node.spawn(async (ctx) => {
        for (;;) {
            const from = await ctx.receive();
            if (from === 'stop')
                return;
            ctx.send(from, 'pong');
        }
    }));
    node.register('bench.echo', (x) => x);
    node.register('bench.cpu', () => {
        const u = process.cpuUsage();
        return u.user + u.system;
    });
    node.register('bench.gc', () => {
        const gc = globalThis.gc;
        if (gc !== undefined) {
            gc();
            gc();
        }
        return gc !== undefined;
    });
}
//# sourceMappingURL=app.js.map