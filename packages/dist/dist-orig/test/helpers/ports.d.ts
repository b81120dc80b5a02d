/** True for an IPv4 address in 127.0.0.0/8 (Linux answers on all of it without setup). */
export declare function isLoopbackV4(address: string): boolean;
/** A TCP port that is free on `host` (default 127.0.0.1) and not yet returned by this process. */
export declare function freePort(host?: string): Promise<number>;
/** `count` distinct free ports on `host`. */
export declare function freePorts(count: number, host?: string): Promise<number[]>;
/**
 * The first of `count` consecutive ports that are all free on every host in
 * `hosts`. Searched from a random start in 20000..29999, below Linux's
 * ephemeral range (32768+), so the OS will not use them for outgoing
 * connections in the meantime.
 */
export declare function freePortRange(count: number, hosts?: readonly string[]): Promise<number>;
//# sourceMappingURL=ports.d.ts.map