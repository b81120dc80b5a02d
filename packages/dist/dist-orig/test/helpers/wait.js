/**
 * Waiting on real time in process and network tests, where a condition
 * becomes true "soon" (a nodeup, a healed partition) and fixed sleeps are
 * either flaky or slow.
 */
/** `eventually` gave up; `cause` is the last failure of the checked function. */
export class EventuallyTimeoutError extends Error {
    code = 'ERR_EVENTUALLY_TIMEOUT';
    constructor(message, cause) {
        super(message, { cause });
        this.name = 'EventuallyTimeoutError';
    }
}
export async function sleep(ms, signal) {
    signal?.throwIfAborted();
    await new Promise((resolve, reject) => {
        const onAbort = () => { clearTimeout(t); reject(signal?.reason); };
        const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
        signal?.addEventListener('abort', onAbort, { once: true });
    });
}
/**
 * Call `fn` until it passes, and return what it returned. It passes when it
 * neither throws nor returns `false` (so both `assert.ok(...)` style checks and
 * boolean predicates work). It is attempted at least once, even after the
 * deadline, and an attempt in flight is never abandoned. On timeout the error
 * carries the last failure's message and the failure itself as `cause`.
 */
export async function eventually(fn, opts = {}) {
    const timeout = opts.timeout ?? 5000;
    const interval = opts.interval ?? 50;
    const deadline = Date.now() + timeout;
    let attempts = 0;
    let last;
    for (;;) {
        opts.signal?.throwIfAborted();
        attempts++;
        try {
            const v = await fn();
            if (v !== false)
                return v;
            last = new Error('returned false');
        }
        catch (err) {
            last = err;
        }
        if (Date.now() >= deadline)
            break;
        await sleep(Math.min(interval, Math.max(0, deadline - Date.now())), opts.signal);
    }
    const why = last instanceof Error ? last.message : String(last);
    throw new EventuallyTimeoutError(`${opts.message ?? 'condition'} not met within ${timeout} ms (${attempts} attempts); last: ${why}`, last);
}
/** `promise`, or a rejection naming `what` if it does not settle within `ms`. */
export async function withTimeout(promise, ms, what = 'operation') {
    let timer;
    try {
        return await Promise.race([
            promise,
            new Promise((_resolve, reject) => {
                timer = setTimeout(() => { reject(new Error(`${what} did not finish within ${ms} ms`)); }, ms);
            })
        ]);
    }
    finally {
        clearTimeout(timer);
    }
}
//# sourceMappingURL=wait.js.map