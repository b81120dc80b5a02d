/**
 * Applications: the parts of a node that autoheal restarts when the node is
 * on the minority side of a partition (ekka's "stop applications, rejoin,
 * start applications"). The `tekka` command registers the user's app module
 * as one; the lock service registers itself. Started in registration order,
 * stopped in reverse; every start and stop is counted, so tests and operators
 * can see that a heal restarted an application exactly once.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '@tekka/actors';
export interface Application {
    readonly name: string;
    start(): Promise<void> | void;
    stop(): Promise<void> | void;
}
export interface ApplicationInfo {
    name: string;
    running: boolean;
    starts: number;
    stops: number;
}
export declare class Applications extends EventEmitter {
    #private;
    constructor(log: Logger);
    /** Adds an application; `running` says whether it is already started (default true). */
    register(app: Application, running?: boolean): void;
    unregister(name: string): void;
    list(): ApplicationInfo[];
    /** Stops every running application, last registered first. */
    stopAll(): Promise<void>;
    /** Starts every stopped application, in registration order; returns those that failed, with why. */
    startAll(): Promise<Array<{
        name: string;
        error: Error;
    }>>;
}
//# sourceMappingURL=applications.d.ts.map