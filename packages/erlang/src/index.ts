/**
 * @tekka/erlang: Erlang/OTP's distribution protocol for tekka nodes, so a
 * tekka node can join real Erlang and Elixir nodes (the tekka protocol stays
 * the default between tekka nodes).
 */

// the external term format (./etf/index.ts has the mapping to JavaScript values)
export * from './etf/index.js'
