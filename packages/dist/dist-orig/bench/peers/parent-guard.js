/**
 * Ends a benchmark child when the bench process is gone, however it went
 * (even SIGKILL): the bench holds the write end of the child's stdin, which
 * the OS closes when the bench dies. With `exitOnSigterm`, SIGTERM exits
 * at once and normally (a plain script would die of it), so a child run
 * with --cpu-prof still writes its profile.
 */
export function exitWithParent(opts) {
    process.stdin.on('end', () => { process.exit(0); });
    process.stdin.on('error', () => { process.exit(0); });
    process.stdin.resume();
    if (opts.exitOnSigterm)
        process.once('SIGTERM', () => { process.exit(0); });
}
//# sourceMappingURL=parent-guard.js.map