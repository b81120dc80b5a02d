/**
 * Shapes and units the strategies' config keys share (their specs sit with
 * each strategy). A node name itself is checked by dist's `nodeNameProblem`;
 * these are the parts a key holds on its own.
 */

export const SECONDS = 1000
export const MINUTES = 60 * SECONDS
export const HOURS = 60 * MINUTES

/** The short name of a node (before the `@`). */
export const NAME_PART = /^[A-Za-z0-9_-]+$/
export const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/
/** A DNS name to query: a hostname whose labels may also start with `_` (SRV names: `_tekka._tcp.example.com`). */
export const QUERY_NAME = /^(?=.{1,253}$)_?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\._?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/
/** A Kubernetes object name (RFC 1123 label). */
export const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
