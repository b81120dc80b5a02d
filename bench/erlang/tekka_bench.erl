%% The Erlang/OTP side of tekka's side-by-side: the workloads of
%% packages/actors/bench/local.ts and packages/dist/bench/remote.ts, written
%% as an Erlang programmer would, with the same counts (TEKKA_BENCH_SCALE),
%% the same warm-up (one uncounted run; a quarter-size one for the remote
%% workloads), the same median / min / max over TEKKA_BENCH_RUNS runs and
%% the same JSON lines, the bench names prefixed with "erlang."
%% (`{"bench":"erlang.local.oneway","value":...,"unit":"msg/s","min":...,
%% "max":...,"runs":5,...}`). TEKKA_BENCH_ONLY selects by the tekka name
%% (`local.oneway`) as it does for tekka's benches.
%%
%% Compiled and run by bench/erlang/run.mjs (scripts/bench.mjs calls it):
%%   erl -noshell +P 2097152 -pa DIR -run tekka_bench local
%%   erl -noshell -name PEER@127.0.0.1 -setcookie C -pa DIR -run tekka_bench peer
%%   erl -noshell -name MAIN@127.0.0.1 -setcookie C -pa DIR -run tekka_bench remote PEER@127.0.0.1
%% Each halts when its stdin closes, so none outlives the script that
%% started it, however that one ends.
-module(tekka_bench).
-behaviour(gen_server).

-export([info/0, local/0, peer/0, remote/1]).
%% Called on the peer node by rpc.
-export([sink/2, ponger/0]).
-export([init/1, handle_call/3, handle_cast/2]).

-define(ONEWAY_MESSAGES, 1000000).
-define(PINGPONG_ROUND_TRIPS, 200000).
-define(CALLS, 200000).
-define(SPAWN_PROCESSES, 1000000).
-define(REMOTE_ONEWAY_MESSAGES, 1000000).
-define(REMOTE_PINGPONG_ROUND_TRIPS, 20000).
-define(PAYLOAD_BYTES, 32).
%% A run with no result by then has lost messages: it fails, not hangs (as the harness's withTimeout).
-define(RUN_TIMEOUT_MS, 120000).

%% ---- entry points (erl -run) ----------------------------------------------------

%% One JSON line about this runtime, for the header of the bench table.
info() ->
    main(fun() ->
        line([{otp, str(erlang:system_info(otp_release))},
              {erts, str(erlang:system_info(version))},
              {schedulers, erlang:system_info(schedulers_online)},
              {epmd, str(filename:join([code:root_dir(), "erts-" ++ erlang:system_info(version), "bin", "epmd"]))}])
    end).

local() ->
    main(fun() ->
        watch_stdin(1),
        local_benches()
    end).

%% The other node of the remote benchmarks: says it is up, then serves rpc until its stdin closes.
peer() ->
    watch_stdin(0),
    io:format("tekka_bench peer ready ~s~n", [node()]).

remote([PeerName]) ->
    main(fun() ->
        watch_stdin(1),
        Peer = list_to_atom(PeerName),
        case net_kernel:connect_node(Peer) of
            true -> remote_benches(Peer);
            _ -> error({cannot_connect, Peer})
        end
    end).

main(F) ->
    try
        check_env(),
        F(),
        halt(0)
    catch Class:Reason:Stack ->
        io:format(standard_error, "tekka_bench: ~p:~p~n  ~p~n", [Class, Reason, Stack]),
        halt(1)
    end.

%% Halts this node with `Status` when stdin reaches its end: the script that
%% started it has gone (or is stopping the peer). Run it with stdin a pipe
%% held open, as run.mjs does, not </dev/null.
watch_stdin(Status) ->
    spawn(fun Loop() ->
        case io:get_line("") of
            Line when is_list(Line); is_binary(Line) -> Loop();
            _ ->
                Status =/= 0 andalso io:format(standard_error, "tekka_bench: stdin closed, stopping~n", []),
                halt(Status)
        end
    end).

%% ---- environment (as @tekka/testing/bench's benchEnv) ------------------------------

check_env() -> runs(), scale(), ok.

runs() -> max(1, ceil(env_number("TEKKA_BENCH_RUNS", 5, fun(_) -> true end, "a number of runs"))).

scale() -> env_number("TEKKA_BENCH_SCALE", 1, fun(N) -> N >= 0 end, "a scale factor (a number >= 0)").

scaled(N) -> max(1, round(N * scale())).

env_number(Key, Default, Ok, What) ->
    case string:trim(os:getenv(Key, "")) of
        "" -> Default;
        Raw ->
            N = case {string:to_float(Raw), string:to_integer(Raw)} of
                    {{F, ""}, _} -> F;
                    {_, {I, ""}} -> I;
                    _ -> undefined
                end,
            case is_number(N) andalso Ok(N) of
                true -> N;
                false -> error({bad_env, Key ++ "=" ++ Raw ++ ": expected " ++ What})
            end
    end.

%% Whether TEKKA_BENCH_ONLY asks for `Name` (a tekka name, "local.oneway"): an
%% entry is a prefix of it, or names one of its rows; "erlang.local" works too.
wanted(Name) ->
    Only = [strip_prefix("erlang.", string:trim(O)) || O <- string:split(os:getenv("TEKKA_BENCH_ONLY", ""), ",", all)],
    case [O || O <- Only, O =/= ""] of
        [] -> true;
        Os -> lists:any(fun(O) -> lists:prefix(O, Name) orelse lists:prefix(Name ++ ".", O) end, Os)
    end.

strip_prefix(P, S) ->
    case lists:prefix(P, S) of
        true -> lists:nthtail(length(P), S);
        false -> S
    end.

%% ---- local --------------------------------------------------------------------------

local_benches() ->
    Runs = runs(),
    Oneway = scaled(?ONEWAY_MESSAGES),
    Pingpong = scaled(?PINGPONG_ROUND_TRIPS),
    Spawn = scaled(?SPAWN_PROCESSES),
    Calls = scaled(?CALLS),
    when_wanted("local.oneway", fun() ->
        Xs = repeat(fun() -> oneway(Oneway) end, Oneway, Runs),
        emit("local.oneway", "msg/s", Xs, [{messages, Oneway}, {payloadBytes, ?PAYLOAD_BYTES}])
    end),
    when_wanted("local.pingpong", fun() ->
        Xs = repeat(fun() -> pingpong(Pingpong) end, Pingpong, Runs),
        emit("local.pingpong", "round trips/s", Xs, [{roundTrips, Pingpong}])
    end),
    when_wanted("local.spawn", fun() ->
        Rs = repeat(fun() -> spawn_idle(Spawn) end, Spawn, Runs),
        Extra = [{processes, Spawn}, {memory, str("erlang:memory(processes_used) per idle process")}],
        emit("local.spawn", "s to spawn", [S || {S, _, _} <- Rs], Extra),
        emit("local.spawn.stop", "s to stop", [S || {_, S, _} <- Rs], Extra),
        emit("local.spawn.heap", "bytes/process", [H || {_, _, H} <- Rs], Extra)
    end),
    when_wanted("local.call", fun() ->
        Xs = repeat(fun() -> gen_call(Calls) end, Calls, Runs),
        emit("local.call", "calls/s", Xs, [{calls, Calls}])
    end).

%% A receiver counts `N` messages of {I, Payload}; a sender sends them, as fast as it may.
oneway(N) ->
    Payload = payload(),
    T0 = now_ns(),
    Receiver = spawn_reporter(fun() -> receive_n(N) end),
    spawn(fun() -> send_n(Receiver, N, fun(I) -> {I, Payload} end) end),
    await_reporter(Receiver),
    N / seconds_since(T0).

%% A pinger sends its pid, a ponger sends back a number, `N` times.
pingpong(N) ->
    T0 = now_ns(),
    Ponger = spawn(fun() -> pong_n(N) end),
    Pinger = spawn_reporter(fun() -> ping_n(Ponger, N) end),
    await_reporter(Pinger),
    N / seconds_since(T0).

pong_n(0) -> ok;
pong_n(I) ->
    receive From -> From ! I, pong_n(I - 1) end.

ping_n(_, 0) -> ok;
ping_n(Ponger, I) ->
    Ponger ! self(),
    receive _ -> ping_n(Ponger, I - 1) end.

%% `N` gen_server:call round trips to a server that replies at once.
gen_call(N) ->
    {ok, Server} = gen_server:start(?MODULE, 0, []),
    T0 = now_ns(),
    Caller = spawn_reporter(fun() -> call_n(Server, N) end),
    await_reporter(Caller),
    Rate = N / seconds_since(T0),
    gen_server:stop(Server),
    Rate.

call_n(_, 0) -> ok;
call_n(Server, I) ->
    _ = gen_server:call(Server, next),
    call_n(Server, I - 1).

init(N) -> {ok, N}.
handle_call(next, _From, N) -> {reply, N, N + 1}.
handle_cast(_, N) -> {noreply, N}.

%% `N` processes, each counted once it runs and then waiting in receive: the
%% time until all wait, the memory they hold, the time until all have exited.
spawn_idle(N) ->
    Started = counters:new(1, [write_concurrency]),
    Idle = fun() -> counters:add(Started, 1, 1), receive _ -> ok end end,
    Before = erlang:system_info(process_count),
    M0 = process_memory(),
    T0 = now_ns(),
    Pids = [spawn(Idle) || _ <- lists:seq(1, N)],
    wait_until(fun() -> counters:get(Started, 1) >= N end),
    Spawn = seconds_since(T0),
    % The list of pids is the caller's (as the pids array is tekka's): process_memory leaves it out.
    Heap = (process_memory() - M0) / N,
    T1 = now_ns(),
    lists:foreach(fun(P) -> P ! stop end, Pids),
    wait_until(fun() -> erlang:system_info(process_count) =< Before end),
    {Spawn, seconds_since(T1), Heap}.

%% The memory of every process but this one.
process_memory() ->
    garbage_collect(),
    {memory, Self} = process_info(self(), memory),
    erlang:memory(processes_used) - Self.

wait_until(Done) ->
    case Done() of
        true -> ok;
        false -> receive after 1 -> wait_until(Done) end
    end.

%% ---- remote -------------------------------------------------------------------------

remote_benches(Peer) ->
    Runs = runs(),
    Oneway = scaled(?REMOTE_ONEWAY_MESSAGES),
    Pingpong = scaled(?REMOTE_PINGPONG_ROUND_TRIPS),
    when_wanted("remote.oneway", fun() ->
        Xs = repeat(fun(N) -> remote_oneway(Peer, N) end, Oneway, Runs),
        emit("remote.oneway", "msg/s", Xs, [{messages, Oneway}, {payloadBytes, ?PAYLOAD_BYTES}])
    end),
    when_wanted("remote.pingpong", fun() ->
        Rs = repeat(fun(N) -> remote_pingpong(Peer, N) end, Pingpong, Runs),
        P50s = [P || {_, P, _} <- Rs],
        P99s = [P || {_, _, P} <- Rs],
        emit("remote.pingpong", "round trips/s", [R || {R, _, _} <- Rs],
             [{roundTrips, Pingpong}, {p50Us, round4(median(P50s))}, {p99Us, round4(median(P99s))}]),
        emit("remote.pingpong.p50", "\x{b5}s", P50s, []),
        emit("remote.pingpong.p99", "\x{b5}s", P99s, [])
    end).

%% `N` messages of a 32-byte binary from a process here to a sink on the peer, which reports when all have arrived.
remote_oneway(Peer, N) ->
    Payload = payload(),
    Ref = make_ref(),
    Sink = rpc:call(Peer, ?MODULE, sink, [N, {self(), Ref}]),
    true = is_pid(Sink),
    T0 = now_ns(),
    spawn(fun() -> send_n(Sink, N, fun(_) -> Payload end) end),
    receive {Ref, done} -> ok
    after ?RUN_TIMEOUT_MS -> error({timeout, "remote.oneway"})
    end,
    N / seconds_since(T0).

sink(N, {To, Ref}) ->
    spawn(fun() -> receive_n(N), To ! {Ref, done} end).

%% `N` round trips between a process here and a ponger on the peer: {rate, p50 µs, p99 µs}.
remote_pingpong(Peer, N) ->
    Ponger = rpc:call(Peer, ?MODULE, ponger, []),
    true = is_pid(Ponger),
    Pinger = spawn_reporter(fun() ->
        T0 = now_ns(),
        Lat = remote_ping_n(Ponger, N, []),
        {N / seconds_since(T0), Lat}
    end),
    {Rate, Lat} = await_reporter(Pinger),
    Ponger ! stop,
    Sorted = list_to_tuple(lists:sort(Lat)),
    At = fun(Q) -> element(min(N - 1, floor(Q * (N - 1))) + 1, Sorted) / 1000 end,
    {Rate, At(0.5), At(0.99)}.

remote_ping_n(_, 0, Lat) -> Lat;
remote_ping_n(Ponger, I, Lat) ->
    S = now_ns(),
    Ponger ! self(),
    receive pong -> ok
    after ?RUN_TIMEOUT_MS -> error({timeout, "remote.pingpong"})
    end,
    remote_ping_n(Ponger, I - 1, [now_ns() - S | Lat]).

ponger() ->
    spawn(fun Loop() ->
        receive
            stop -> ok;
            From -> From ! pong, Loop()
        end
    end).

%% ---- running ------------------------------------------------------------------------

when_wanted(Name, F) ->
    case wanted(Name) of
        true -> F();
        false -> ok
    end.

%% One uncounted warm-up run, then `Runs` runs, each in a process of its own
%% (a fresh heap, as the harness's GC before each run). A fun of arity 1 is
%% handed the count: the remote workloads warm up at a quarter of it, as
%% remote.ts does.
repeat(F, N, Runs) when is_function(F, 1) ->
    _ = fresh(fun() -> F(max(1, round(N / 4))) end),
    [fresh(fun() -> F(N) end) || _ <- lists:seq(1, Runs)];
repeat(F, _N, Runs) ->
    _ = fresh(F),
    [fresh(F) || _ <- lists:seq(1, Runs)].

fresh(F) ->
    garbage_collect(),
    await_reporter(spawn_reporter(F)).

%% A process that runs `F` and sends back what it returned.
spawn_reporter(F) ->
    Parent = self(),
    spawn(fun() -> Parent ! {self(), F()} end).

await_reporter(Pid) ->
    Ref = monitor(process, Pid),
    receive
        {Pid, Result} -> demonitor(Ref, [flush]), Result;
        {'DOWN', Ref, process, Pid, Reason} -> error({run_failed, Reason})
    after ?RUN_TIMEOUT_MS -> error(run_timeout)
    end.

send_n(_, 0, _) -> ok;
send_n(To, I, Msg) ->
    To ! Msg(I),
    send_n(To, I - 1, Msg).

receive_n(0) -> ok;
receive_n(I) ->
    receive _ -> receive_n(I - 1) end.

payload() -> binary:copy(<<"x">>, ?PAYLOAD_BYTES).

now_ns() -> erlang:monotonic_time(nanosecond).

seconds_since(T0) -> (now_ns() - T0) / 1.0e9.

%% ---- output (the harness's emit) -----------------------------------------------------

median(Xs) ->
    {V, _, _} = stats(Xs),
    V.

stats(Xs) ->
    S = list_to_tuple(lists:sort(Xs)),
    N = tuple_size(S),
    Mid = N div 2,
    V = case N rem 2 of
            1 -> element(Mid + 1, S);
            0 -> (element(Mid, S) + element(Mid + 1, S)) / 2
        end,
    {V, element(1, S), element(N, S)}.

emit(Name, Unit, Xs, Extra) ->
    {V, Min, Max} = stats(Xs),
    line([{bench, str("erlang." ++ Name)},
          {value, round4(V)},
          {unit, str(Unit)},
          {min, round4(Min)},
          {max, round4(Max)},
          {runs, length(Xs)}
          | Extra] ++ [{otp, str(erlang:system_info(otp_release))}, {schedulers, erlang:system_info(schedulers_online)}]).

%% To 4 significant digits, as the harness rounds.
round4(X) when X == 0 -> 0;
round4(X) ->
    E = 3 - floor(math:log10(abs(X))),
    R = case E >= 0 of
            true -> round(X * math:pow(10, E)) / math:pow(10, E);
            false -> float(round(X / math:pow(10, -E)) * round(math:pow(10, -E)))
        end,
    case R == round(R) andalso abs(R) < 1.0e15 of
        true -> round(R);
        false -> R
    end.

%% A JSON object on one line of stdout; values are integers, floats or {str, Chars}.
line(Fields) ->
    Body = lists:join(",", [[json_string(atom_to_list(K)), ":", json_value(V)] || {K, V} <- Fields]),
    io:put_chars(["{", Body, "}\n"]).

str(S) -> {str, S}.

json_value({str, S}) -> json_string(S);
json_value(I) when is_integer(I) -> integer_to_list(I);
json_value(F) when is_float(F) -> io_lib:format("~p", [F]).

%% ASCII only, so the line reads the same whatever the io device's encoding.
json_string(S) ->
    ["\"", [json_char(C) || C <- S], "\""].

json_char($") -> "\\\"";
json_char($\\) -> "\\\\";
json_char(C) when C < 32; C > 126 -> io_lib:format("\\u~4.16.0b", [C]);
json_char(C) -> C.
