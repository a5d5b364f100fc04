import type { DestinationStream, LoggerOptions } from 'pino';
import { destination, stdSerializers, stdTimeFunctions } from 'pino';
import pretty from 'pino-pretty';

/** Keys that must never reach a log line, at the top level or one object down. */
const SECRET_KEYS = ['authorization', 'cookie', 'set-cookie', 'password', 'token', 'secret', 'apiKey'];

// Each redact path costs time on every log call, so each key is listed once, in the one syntax that fits it.
const pathOf = (key: string) => (/^\w+$/.test(key) ? `.${key}` : `["${key}"]`);

export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((key) => [pathOf(key).replace(/^\./, ''), `*${pathOf(key)}`]),
  '*.headers.authorization',
  '*.headers.cookie',
];

/** Fields of driver errors that can hold SQL text or row data; logged errors keep their code and message only. */
const DRIVER_FIELDS = ['query', 'internalQuery', 'where', 'detail', 'parameters'];

function serializeError(error: Error): Record<string, unknown> {
  const serialized = stdSerializers.err(error) as unknown as Record<string, unknown>;
  for (const field of DRIVER_FIELDS) delete serialized[field];
  return serialized;
}

export interface LoggerSettings {
  service: string;
  level: string;
}

export function loggerOptions({ service, level }: LoggerSettings): LoggerOptions {
  return {
    level,
    base: { service },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: { err: serializeError, error: serializeError },
  };
}

/**
 * Where a service's log lines go: readable lines for a person at a terminal in development, JSON everywhere else
 * (pipes, files, log collectors). pino-pretty runs in-process, so a line is on screen before the process exits.
 */
export function logDestination(
  nodeEnv: string,
  isTerminal = process.stdout.isTTY === true,
): DestinationStream {
  if (nodeEnv === 'development' && isTerminal) {
    return pretty({ translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  }
  // Asynchronous stdout: a log line no longer costs the request a write syscall; pino flushes it on exit.
  return destination({ dest: 1, sync: false });
}
