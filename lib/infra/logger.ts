import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level = process.env.SCAIWAVE_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Tokens and keys must never reach log sinks, whatever a handler logs.
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.secret', '*.token', 'apiKey'],
      censor: '[redacted]',
    },
  });
}
