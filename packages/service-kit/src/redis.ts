import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';

export const DEFAULT_REDIS_CONNECT_TIMEOUT_MS = 1000;
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 250;

export interface RedisOptions {
  /** `redis://` or `rediss://`; holds the password when there is one, so never log it. */
  url: string;
  connectTimeoutMs: number;
  /** A command still unanswered after this fails, so a slow Redis never holds a request. */
  commandTimeoutMs: number;
}

/**
 * A Redis client that fails fast rather than waits: while it is disconnected every command fails at once (no
 * offline queue, no retries of a command), and it keeps reconnecting in the background (ioredis's default backoff,
 * up to 2 s between attempts). Callers decide what a failed command means; a lost connection is only logged at
 * debug here, since ioredis reports one on every reconnect attempt.
 */
export function connectRedis(options: RedisOptions, log: FastifyBaseLogger): Redis {
  const redis = new Redis(options.url, {
    connectTimeout: options.connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });
  redis.on('error', (error: Error) =>
    log.debug({ err: error, component: 'redis' }, 'redis connection error'),
  );
  return redis;
}
