import { TekkaError } from '@tekka/actors';
/** The cookie file's name in the home directory (Erlang: `.erlang.cookie`). */
export declare const COOKIE_FILE_NAME = ".tekka.cookie";
/** Environment variable holding the cookie. */
export declare const COOKIE_ENV = "TEKKA_COOKIE";
/** A cookie that cannot be used: empty, malformed, or a file with loose permissions. */
export declare class CookieError extends TekkaError {
    /** The cookie file concerned, when the problem is with the file. */
    readonly file: string | undefined;
    constructor(message: string, file?: string, cause?: unknown);
}
export type CookieSource = 'flag' | 'env' | 'config' | 'file';
export interface ResolvedCookie {
    readonly cookie: string;
    /** Where it came from, for the start-up log line (never log the cookie itself). */
    readonly source: CookieSource;
    /** The cookie file, when source is `file`. */
    readonly file?: string;
    /** True when this call created the cookie file. */
    readonly created?: boolean;
}
export interface ResolveCookieOptions {
    /** The `--cookie` value, if given. */
    flag?: string;
    /** Environment to read TEKKA_COOKIE from. Default `process.env`. */
    env?: NodeJS.ProcessEnv;
    /** `node.cookie` from the loaded configuration, if set. */
    config?: string;
    /** Directory holding `.tekka.cookie`. Default the user's home directory. */
    home?: string;
}
/**
 * Why a cookie text cannot be used, or `undefined`. Cookies are at most 255
 * characters (an Erlang atom) and have no control characters, so one always
 * survives a file, an environment variable and a command line unchanged.
 */
export declare function cookieProblem(cookie: string): string | undefined;
/** 20 random uppercase letters, as Erlang generates for `.erlang.cookie` (about 94 bits). */
export declare function generateCookie(): string;
/** `<home>/.tekka.cookie`. */
export declare function cookieFilePath(home?: string): string;
/**
 * The cookie to use: `flag`, else TEKKA_COOKIE, else `config`, else the cookie
 * file (created on first use). An empty flag or variable is refused rather
 * than skipped: falling through to another cookie would only surface later as
 * a handshake failure that names no cause.
 */
export declare function resolveCookie(opts?: ResolveCookieOptions): ResolvedCookie;
/**
 * Read a cookie file; `undefined` if it does not exist. Refuses a file that
 * group or others may read or write (as Erlang does: a cookie anyone can read
 * lets anyone run code on the node), one that is not a regular file, and an
 * empty one. The cookie is the first line, without surrounding whitespace.
 */
export declare function readCookieFile(file: string): string | undefined;
/**
 * Create the cookie file with a new random cookie, mode 0400. The file is
 * written under a temporary name and hard-linked into place, so two nodes
 * starting at once never see a half-written file: the second link fails with
 * EEXIST and that node reads the winner's cookie instead.
 */
export declare function createCookieFile(file: string): {
    cookie: string;
    created: boolean;
};
//# sourceMappingURL=cookie.d.ts.map