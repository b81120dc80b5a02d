/**
 * Synchronous clean-ups that run however the test process ends: a normal
 * end, a thrown error or unhandled rejection (Node still emits 'exit'), or
 * SIGINT / SIGTERM / SIGHUP. Test helpers that leave something outside the
 * process (child processes, iptables rules) register here, so a failing or
 * interrupted test never leaves the machine partitioned or full of nodes.
 *
 * SIGKILL cannot be caught: helpers cover it separately (the orphan guard in
 * children, the stale-chain sweep for iptables).
 */
type Cleanup = () => void;
/** Run every registered clean-up once, newest first; one failing does not stop the others. */
export declare function runExitHooks(): void;
/** Register `fn` to run at exit; returns a function that unregisters it (call it once the resource is released). */
export declare function onExit(fn: Cleanup): () => void;
export {};
//# sourceMappingURL=exit-hooks.d.ts.map