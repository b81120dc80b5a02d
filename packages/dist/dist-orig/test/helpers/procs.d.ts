/**
 * Real OS processes for multi-node tests: start a JS entry with node, read
 * its output line by line, wait for a line, signal it, await its exit.
 *
 * ```ts
 * const n1 = spawnNode({ entry: cliPath, args: ['--name', 'n1@127.0.0.2'], env: { TEKKA_COOKIE: 'c' } })
 * await n1.waitForLine(/started/, 10_000)
 * n1.kill('SIGTERM')
 * assert.equal((await n1.exited).signal, 'SIGTERM')
 * ```
 *
 * No child outlives the test file: every live child is killed when the test
 * process exits, throws, or is signalled (exit-hooks.ts), and each child
 * carries an orphan guard that ends it if the test process dies by SIGKILL.
 *
 * A child does not keep the test process alive by itself (its handles are
 * unref'd), so a test file that forgets to stop a node still ends (and the
 * exit clean-up kills the node) instead of hanging until the runner's timeout.
 * Reading `exited` (directly, or through `stop()`) holds the process alive
 * until the child has exited, so `await p.exited` always settles.
 */
import { type ChildProcess } from 'node:child_process';
export interface SpawnNodeOptions {
    /** The JS file to run with node. */
    entry: string;
    /** Arguments after the entry. */
    args?: readonly string[];
    /** Arguments to node itself, before the entry (`--expose-gc`). */
    nodeArgs?: readonly string[];
    /** Variables added to this process's environment (a value of `undefined` removes one). */
    env?: NodeJS.ProcessEnv;
    /** Start from an empty environment instead of this process's (PATH and HOME are kept). */
    cleanEnv?: boolean;
    cwd?: string;
    /** Label used in errors and echoed output. Default: the entry's file name and the pid. */
    name?: string;
    /** Mirror the child's lines to this process's stderr. Default: TEKKA_TEST_ECHO=1. */
    echo?: boolean;
    /**
     * End the child if this process disappears without cleaning up (SIGKILL,
     * test-runner timeout). Default true. Works by preloading orphan-guard.js.
     */
    orphanGuard?: boolean;
    /** Signal the exit clean-up sends to children still alive. Default SIGKILL (it cannot wait for a graceful stop). */
    exitSignal?: NodeJS.Signals;
    /** Lines kept in memory; older ones are dropped. Default 20000. */
    maxLines?: number;
}
export interface OutputLine {
    readonly stream: 'stdout' | 'stderr';
    readonly text: string;
    /** Index of the line since the start (stable even when old lines are dropped). */
    readonly index: number;
    readonly time: number;
}
export interface ExitInfo {
    readonly code: number | null;
    readonly signal: NodeJS.Signals | null;
}
export interface WaitForLineOptions {
    /** Only consider lines with an index >= since (see `mark()`). Default 0: the whole output so far. */
    since?: number;
    /** Only this stream. Default both. */
    stream?: 'stdout' | 'stderr';
    signal?: AbortSignal;
}
/** A line did not appear in time, or the process ended first. */
export declare class WaitForLineError extends Error {
    readonly code = "ERR_WAIT_FOR_LINE";
    constructor(message: string);
}
/** A regex match plus the line it matched. */
export type LineMatch = RegExpExecArray & {
    readonly line: OutputLine;
};
/** A child node process and its captured output. */
export declare class NodeProcess {
    #private;
    readonly name: string;
    readonly pid: number;
    readonly child: ChildProcess;
    /** @internal use spawnNode */
    constructor(child: ChildProcess, name: string, opts: {
        echo: boolean;
        maxLines: number;
        exitSignal: NodeJS.Signals;
    });
    /** Resolves (never rejects) when the process has exited. Reading it keeps the test process alive until then. */
    get exited(): Promise<ExitInfo>;
    /** Exit code and signal once exited, else undefined. */
    get exitInfo(): ExitInfo | undefined;
    get running(): boolean;
    /** Lines kept so far, oldest first (both streams, in arrival order). */
    get lines(): readonly OutputLine[];
    /** Index the next line will have: pass as `since` to wait only for lines printed after this point. */
    mark(): number;
    /** Captured output as text, one line per line (`stream` to pick one). */
    output(stream?: 'stdout' | 'stderr'): string;
    /**
     * The first line (at or after `since`) that matches. Lines already printed
     * count, so there is no race with a line printed before the call. Rejects
     * with the tail of the output when `timeoutMs` passes or the process ends.
     */
    waitForLine(pattern: RegExp | string, timeoutMs?: number, opts?: WaitForLineOptions): Promise<LineMatch>;
    /** Write to the child's stdin (a newline is not added). */
    write(text: string): void;
    /** Send a signal (default SIGTERM). False if the process had already exited. */
    kill(signal?: NodeJS.Signals): boolean;
    /** Signal, then SIGKILL if it has not exited after `timeoutMs`; resolves with how it ended. */
    stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitInfo>;
    /** @internal exit clean-up */
    killForExit(): void;
}
/** Start `node [nodeArgs] entry [args]` with output captured line by line. */
export declare function spawnNode(opts: SpawnNodeOptions): NodeProcess;
/** Children started by spawnNode that have not exited yet. */
export declare function liveProcesses(): NodeProcess[];
/** Signal every live child (each with its own exit signal unless `signal` is given). Synchronous, for exit paths. */
export declare function killAllChildren(signal?: NodeJS.Signals): void;
/** Stop every live child gracefully (signal, then SIGKILL after `timeoutMs`); for `test.after`. */
export declare function stopAll(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
//# sourceMappingURL=procs.d.ts.map