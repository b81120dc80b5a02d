import { TekkaError } from '@tekka/actors';
/** Prefix of the chains this helper creates (`TEKKA-TEST-<pid>`, and `TEKKA-PROBE-<pid>` while probing). */
export declare const CHAIN_PREFIX = "TEKKA-";
/** This process's rule chain. */
export declare function chainName(pid?: number): string;
/** An iptables command failed. */
export declare class IptablesError extends TekkaError {
    readonly args: readonly string[];
    readonly stderr: string;
    constructor(message: string, args?: readonly string[], stderr?: string);
}
/** What probing each candidate binary found. */
export interface BackendProbe {
    readonly bin: string;
    readonly ok: boolean;
    readonly reason?: string;
}
/** 'connected', 'timeout' or an error code, for a connect from `from` to `host:port` within `ms`. */
export declare function tryConnect(from: string, host: string, port: number, ms: number): Promise<string>;
/** True when partitions can be made here: Linux, root, and a backend whose DROP rules really drop. Probed once per process. */
export declare function iptablesAvailable(): Promise<boolean>;
/** Path of the working iptables binary; throws an IptablesError saying why each candidate failed. */
export declare function iptablesBackend(): Promise<string>;
/** Why iptables is unavailable (after `iptablesAvailable()` returned false), for skip messages. */
export declare function unavailableReason(): string;
/** The probe results so far. */
export declare function backendProbes(): readonly BackendProbe[];
/** TEKKA chains present in every installed backend (`bin` to look in one), e.g. to check that none was left behind. */
export declare function listTekkaChains(bin?: string): Array<{
    bin: string;
    chain: string;
    pid: number;
}>;
/**
 * Remove TEKKA chains whose process no longer exists, in every installed
 * backend (a chain left in the other backend would still drop packets).
 * Returns the chains removed.
 */
export declare function sweepStaleChains(): string[];
export interface PartitionOptions {
    /**
     * Drop only packets from the first side to the second. Note that TCP needs
     * both directions: a one-way partition also stops new connections from
     * the second side (their replies are dropped), but lets the first side
     * still receive on existing links, which is how asymmetric failures look.
     */
    oneWay?: boolean;
}
/** A set of DROP rules, removed by `heal()`. */
export declare class Partition {
    #private;
    readonly from: readonly string[];
    readonly to: readonly string[];
    readonly oneWay: boolean;
    /** @internal use partition / partitionGroups */
    constructor(from: readonly string[], to: readonly string[], oneWay: boolean);
    get healed(): boolean;
    /** @internal the chain was removed as a whole */
    markHealed(): void;
    /** @internal */
    get rules(): ReadonlyArray<readonly string[]>;
    /** Remove this partition's rules (other partitions stay). Safe to call twice. */
    heal(): Promise<void>;
    toString(): string;
}
/** Cut `a` off from `b` (both directions unless `oneWay`). Packets are dropped, not refused: connects time out, as in a real partition. */
export declare function partition(a: string, b: string, opts?: PartitionOptions): Promise<Partition>;
/** Cut every address of `side1` off from every address of `side2`, e.g. a majority from a minority. */
export declare function partitionGroups(side1: readonly string[], side2: readonly string[], opts?: PartitionOptions): Promise<Partition>;
/** Heal every partition of this process (the chain stays, empty). */
export declare function healAll(): Promise<void>;
/**
 * Remove this process's chain and all its rules. Synchronous, so it can run
 * from exit and signal handlers; registered with them automatically. Tests
 * may call it too (`test.after`).
 */
export declare function cleanupIptables(): void;
//# sourceMappingURL=iptables.d.ts.map