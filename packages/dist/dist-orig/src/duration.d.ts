/**
 * Durations as operators write them in `tekka.conf` (`500ms`, `8s`, `1m`,
 * `1h`, `1h30m`) and as code reads them (milliseconds). One parser so the
 * config, the command line and tests agree on what `8s` means.
 */
/** What `parseDuration` accepts, worded for error messages. */
export declare const DURATION_FORMAT = "500ms, 8s, 1m, 1h, 1h30m; a plain integer is milliseconds";
/**
 * Milliseconds for a duration text, or `undefined` when it is not one.
 *
 * A plain non-negative integer is milliseconds (as Erlang timeouts are), so
 * `tick_time = 8000` and `tick_time = 8s` agree. Units are ms, s, m, h and d;
 * parts may be chained largest first (`1h30m`, `1m500ms`). Fractions and
 * negative values are refused: they are almost always typos in a config file.
 */
export declare function parseDuration(text: string): number | undefined;
/** Shortest exact text for a number of milliseconds: 8000 -> `8s`, 90000 -> `1m30s`, 0 -> `0ms`. */
export declare function formatDuration(ms: number): string;
//# sourceMappingURL=duration.d.ts.map