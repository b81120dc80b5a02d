/**
 * A child process for harness.test.ts, so the harness is tested the way
 * kernel and cluster tests use it: across real processes and real exits.
 *
 *   fixture-child.js echo                  print "ready", echo stdin lines, SIGTERM -> "got SIGTERM", exit 7
 *   fixture-child.js sleep                 print "ready", live until killed
 *   fixture-child.js stubborn              print "ready", ignore SIGTERM (for stop()'s SIGKILL)
 *   fixture-child.js env ARGS...            print "env {json}" (TEKKA_X, TEKKA_DROP_ME, cwd, args), exit
 *   fixture-child.js lines N               print N numbered lines, the last one without a newline, exit
 *   fixture-child.js parent HOW            start a `sleep` grandchild with spawnNode, print "grandchild <pid>", then HOW
 *   fixture-child.js partition A B HOW     partition A from B, print "partitioned <chain>", then HOW
 *
 * HOW: exit (end normally), throw (uncaught exception), reject (unhandled
 * rejection), wait (live until signalled).
 */
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { spawnNode } from './procs.js';
import { chainName, partition } from './iptables.js';
const [mode, ...rest] = process.argv.slice(2);
function then(how) {
    switch (how) {
        case 'exit': return;
        case 'throw':
            setTimeout(() => { throw new Error('fixture: uncaught'); }, 10);
            return;
        case 'reject':
            void Promise.reject(new Error('fixture: unhandled rejection'));
            return;
        case 'wait':
            setInterval(() => { }, 1000);
            return;
        default: throw new Error(`fixture: unknown HOW ${String(how)}`);
    }
}
switch (mode) {
    case 'echo': {
        console.log(`ready pid=${process.pid}`);
        console.error('stderr ready');
        process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(7); });
        createInterface({ input: process.stdin }).on('line', (l) => { console.log(`echo: ${l}`); });
        break;
    }
    case 'sleep': {
        console.log('ready');
        setInterval(() => { }, 1000);
        break;
    }
    case 'env': {
        const guarded = process.execArgv.some((a) => a.includes('orphan-guard'));
        console.log(`env ${JSON.stringify({ x: process.env.TEKKA_X, dropped: process.env.TEKKA_DROP_ME ?? null, cwd: process.cwd(), args: rest, guarded })}`);
        break;
    }
    case 'stubborn': {
        process.on('SIGTERM', () => { console.log('ignoring SIGTERM'); });
        console.log('ready');
        setInterval(() => { }, 1000);
        break;
    }
    case 'lines': {
        const n = Number(rest[0]);
        let out = '';
        for (let i = 1; i <= n; i++)
            out += `line ${i}${i < n ? '\n' : ''}`;
        process.stdout.write(out);
        break;
    }
    case 'parent': {
        const gc = spawnNode({ entry: fileURLToPath(import.meta.url), args: ['sleep'] });
        await gc.waitForLine(/^ready$/, 10_000);
        console.log(`grandchild ${gc.pid}`);
        then(rest[0]);
        break;
    }
    case 'partition': {
        const [a, b, how] = rest;
        await partition(a, b);
        console.log(`partitioned ${chainName()}`);
        then(how);
        break;
    }
    default:
        throw new Error(`fixture: unknown mode ${String(mode)}`);
}
//# sourceMappingURL=fixture-child.js.map