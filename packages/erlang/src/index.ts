/**
 * @tekka/erlang: Erlang/OTP's distribution protocol for tekka nodes, so a
 * tekka node can join real Erlang and Elixir nodes (the tekka protocol stays
 * the default between tekka nodes).
 */
export {}
