/**
 * @tekka/testing — what every tekka package's tests share (private, never
 * published).
 *
 * The root export has only modules without side effects; the others are
 * subpaths, since some install exit hooks when loaded:
 *
 * - `@tekka/testing/wait`: `sleep`, `eventually` (until a check passes, real time), `withTimeout`, `until` (event-loop turns), `rejects`
 * - `sized`, `testTier` (root): a randomized test's size, full in `npm test`, smaller in the unit tier
 * - `@tekka/testing/errors`: every error class of this package and its code (`TESTING_ERRORS`)
 * - `@tekka/testing/system`: `requireRoot`, `requireCommand`: a test that lacks them fails naming what is missing and how to get it
 * - `@tekka/testing/tiers`: the unit / system tier of a compiled test file, from its import graph (`node scripts/test.mjs --unit`)
 * - `@tekka/testing/ports`: free TCP ports and port ranges on loopback addresses
 * - `@tekka/testing/procs`: real OS processes (`spawnNode`, the `tekka` command's path), killed on every exit path
 * - `@tekka/testing/exit-hooks`: clean-ups that run however the test process ends
 * - `@tekka/testing/iptables`: real partitions between loopback addresses (root; `requireIptables`), removed on every exit path
 * - `@tekka/testing/netns`: network namespaces joined by a bridge (root; `requireNetns`), for multicast tests
 * - `@tekka/testing/certs`: a CA and node certificates made with openssl
 * - `@tekka/testing/erlang`: a running `erl` (`requireErlang`) that encodes, decodes and compares terms, for @tekka/erlang's tests
 * - `@tekka/testing/erl-node`: real Erlang/OTP (`requireErl`): a test's own epmd (`Epmd`) and erl nodes driven by stdin (`ErlNode`), with epmd or ekka's port rule
 * - `@tekka/testing/etcd-server`, `/dnsmasq` (`requireEtcd`, `requireDnsmasq`), `/k8s-apiserver` (a fake API server in this process), `/server-process`: the discovery strategies' servers
 * - `@tekka/testing/sim/clock`, `/sim/network`, `/sim/rng`: a simulated clock and an in-memory network for deterministic cluster simulations
 * - `@tekka/testing/bench`: the benchmark harness (JSON lines, medians, baselines)
 * - `@tekka/testing/compliance/strategy`: the suite every discovery strategy passes against its real server
 * - `@tekka/testing/dns-packet`: the dns-packet codec, typed, for tests that build DNS answers by hand
 *
 * ```ts
 * import { eventually } from '@tekka/testing/wait'
 * import { freePortRange } from '@tekka/testing/ports'
 *
 * const base = await freePortRange(3)
 * await eventually(() => node.nodes().length === 2, { timeout: 5000, message: 'both peers up' })
 * ```
 */
export * from './errors.js'
export * from './wait.js'
export * from './ports.js'
export * from './system.js'
export * from './scale.js'
