/**
 * Waiting on real time in process and network tests, where a condition
 * becomes true "soon" (a nodeup, a healed partition) and fixed sleeps are
 * either flaky or slow.
 */
export interface EventuallyOptions {
    /** Give up after this many ms. Default 5000. */
    timeout?: number;
    /** Pause between attempts, in ms. Default 50. */
    interval?: number;
    /** What is being waited for, for the error message. */
    message?: string;
    signal?: AbortSignal;
}
/** `eventually` gave up; `cause` is the last failure of the checked function. */
export declare class EventuallyTimeoutError extends Error {
    readonly code = "ERR_EVENTUALLY_TIMEOUT";
    constructor(message: string, cause: unknown);
}
export declare function sleep(ms: number, signal?: AbortSignal): Promise<void>;
/**
 * Call `fn` until it passes, and return what it returned. It passes when it
 * neither throws nor returns `false` (so both `assert.ok(...)` style checks and
 * boolean predicates work). It is attempted at least once, even after the
 * deadline, and an attempt in flight is never abandoned. On timeout the error
 * carries the last failure's message and the failure itself as `cause`.
 */
export declare function eventually<T>(fn: () => T | Promise<T>, opts?: EventuallyOptions): Promise<Exclude<T, false>>;
/** `promise`, or a rejection naming `what` if it does not settle within `ms`. */
export declare function withTimeout<T>(promise: Promise<T>, ms: number, what?: string): Promise<T>;
//# sourceMappingURL=wait.d.ts.map