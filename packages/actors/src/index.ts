/**
 * @tekka/actors — Erlang's process model for TypeScript.
 *
 * ```ts
 * import { createRuntime } from '@tekka/actors'
 *
 * const rt = createRuntime()
 * const echo = rt.spawn(async (ctx) => {
 *   for (;;) {
 *     const { from, text } = await ctx.receive<{ from: Pid, text: string }>()
 *     ctx.send(from, text.toUpperCase())
 *   }
 * })
 * const reply = await rt.run(async (ctx) => {
 *   ctx.send(echo, { from: ctx.self, text: 'hi' })
 *   return await ctx.receive()
 * })
 * ```
 */
export { Pid, Ref, comparePids, parsePid, isRemoteName } from './pid.js'
export type { Dest, RemoteName } from './pid.js'
export {
  TekkaError, NoProcError, NameTakenError, CallTimeoutError, CallExitError, BadArgError, ProcessExitedError,
  StartError, BadReturnError, NoHandlerError, ChildNotFoundError, ChildRunningError, ChildRestartingError, ChildExistsError, TimeoutError,
  ACTORS_ERRORS, registerErrors, errorClassOf, formatReason
} from './errors.js'
export type { ActorsErrorCode, TekkaErrorClass } from './errors.js'
export { EventStream, EVENT_CHANNEL, logEvents, nextEvent } from './events.js'
export type { TekkaEvents, TekkaEvent, TekkaEventType, EventHeader, SupervisorChildEvent } from './events.js'
export { systemClock, SimulatedClock, settle } from './clock.js'
export type { Clock, Timer } from './clock.js'
export { TimeoutQueue, timeoutsFor } from './timeouts.js'
export type { Timeouts, TimeoutTarget } from './timeouts.js'
export { createLogger, consoleLogger, silentLogger, memoryLogger, formatRecord, formatJson, envLogLevels, envLogFormat, resolveLogFormat } from './logger.js'
export type { Logger, LogLevel, LogLevels, LogFormat, LogRecord, LogSink, ConsoleLoggerOptions } from './logger.js'
export { parseLogLevels, levelFor, LOG_LEVELS, DEFAULT_LOG_LEVEL } from './log-levels.js'
export { rateLimitedSink } from './log-rate.js'
export type { RateLimitOptions } from './log-rate.js'
export { plainValue } from './log-format.js'
export { NORMAL, KILL, KILLED, NOPROC, NOCONNECTION, SHUTDOWN, isExitMessage, isDownMessage, isShutdown, isNormalExit, downFor, exitFrom } from './reasons.js'
export type { ExitMessage, DownMessage } from './reasons.js'
export { TIMEOUT } from './process.js'
export type { ProcessContext, ProcessFn, SpawnOptions, ReceiveOptions, Match, Timeout, ProcessStatus } from './process.js'
export { Runtime, createRuntime } from './runtime.js'
export type { RuntimeOptions, RemoteRouter, RemoteInbound, ProcessInfo } from './runtime.js'
export { NamedTables } from './tables.js'
export { Scheduler } from './scheduler.js'
export type { SchedulerOptions } from './scheduler.js'
export { startGenServer, call, cast, replyTo, stopServer, reply, noreply, stop, DEFAULT_CALL_TIMEOUT } from './gen-server.js'
export type { GenServer, From, Owner, StartOptions, CallOptions, CallResult, CastResult, ReplyResult, NoReplyResult, StopResult } from './gen-server.js'
export { startSupervisor, startChild, terminateChild, restartChild, deleteChild, whichChildren, countChildren } from './supervisor.js'
export type { ChildSpec, SupervisorSpec, SupervisorOptions, Strategy, RestartType, Shutdown, ChildType, ChildInfo, ChildCounts } from './supervisor.js'
