/**
 * Operator commands (`tekka ctl ... <command>`): a registry on each node of
 * handlers by command name ("ping", "nodes", "cluster status"), reached by
 * the ctl client over RPC. Upper layers (membership, autocluster, heal) add
 * their commands here, so the ctl client never needs to know them.
 */
export interface CtlResult {
    ok: boolean;
    /** What `tekka ctl` prints without --json. */
    text: string;
    /** What it prints with --json. */
    json?: unknown;
}
export type CtlHandler = (args: string[], opts: {
    json: boolean;
}) => CtlResult | Promise<CtlResult>;
export declare class CtlRegistry {
    #private;
    /** `command` is one or more words: "ping", "cluster status". */
    register(command: string, help: string, handler: CtlHandler): void;
    unregister(command: string): void;
    /** Finds the longest registered command that prefixes `words`, and runs it with the rest. */
    run(words: string[], opts: {
        json: boolean;
    }): Promise<CtlResult>;
    help(): string;
}
//# sourceMappingURL=ctl.d.ts.map