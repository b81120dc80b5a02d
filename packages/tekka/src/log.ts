/**
 * The node's logger as its configuration says: levels per part from
 * `log.level` (else TEKKA_LOG, else the fallback), `log.format` (text on a
 * terminal, JSON otherwise), repeated lines limited by `log.rate_limit`
 * per `log.rate_interval`. A bad TEKKA_LOG is refused here, at start, with
 * a message naming the bad entry (a bad `log.level` already was, by the
 * config loader).
 */
import { consoleLogger, envLogLevels, parseLogLevels, type Logger, type LogLevels } from '@tekka/actors'
import { distConfig, type Config } from '@tekka/dist'

export function configLogger (config: Config, name = 'tekka', fallback?: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const { log } = distConfig.read(config)
  // TEKKA_LOG is checked even when log.level overrides it: a typo in it should not go unnoticed.
  const fromEnv: LogLevels | undefined = env.TEKKA_LOG !== undefined ? envLogLevels(env) : undefined
  const levels = log.level !== undefined
    ? parseLogLevels(log.level, 'log.level')
    : fromEnv ?? parseLogLevels(fallback ?? 'warn')
  return consoleLogger(name, levels, {
    format: log.format,
    rateLimit: log.rate_limit === 0 ? false : { burst: log.rate_limit, interval: log.rate_interval }
  })
}
