import { createRequire } from 'node:module';
import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import { type Static, type TObject, Type } from '@sinclair/typebox';
import { callerOf } from '@steadfast/auth';
import { RateLimitedError } from '@steadfast/errors';
import { configFragment, METRICS_REGISTRY_PLUGIN, metricSet } from '@steadfast/http';
import type { FastifyBaseLogger, FastifyInstance, HTTPMethods } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import {
  connectRedis,
  DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
  DEFAULT_REDIS_CONNECT_TIMEOUT_MS,
  type RedisOptions,
} from './redis.js';

export const DEFAULT_RATE_LIMIT_MAX = 300;
export const DEFAULT_RATE_LIMIT_WRITE_MAX = 60;
export const DEFAULT_RATE_LIMIT_WINDOW_MS = 60_000;

const REDIS_URL = /^rediss?:\/\//;

/** The rate limiter's variables: budgets per client, and the Redis that replicas share them through. */
export const rateLimitConfig = configFragment(
  {
    RATE_LIMIT_MAX: Type.Integer({
      minimum: 1,
      default: DEFAULT_RATE_LIMIT_MAX,
      description: 'Requests per client per window: reads and unknown routes share this budget',
    }),
    RATE_LIMIT_WRITE_MAX: Type.Integer({
      minimum: 1,
      default: DEFAULT_RATE_LIMIT_WRITE_MAX,
      description: 'Requests per client per window on each POST, PUT, PATCH or DELETE route',
    }),
    RATE_LIMIT_WINDOW_MS: Type.Integer({
      minimum: 1,
      default: DEFAULT_RATE_LIMIT_WINDOW_MS,
      description: 'Rate-limit window',
    }),
    // No pattern here: a schema failure prints the value, and the URL may hold a password.
    REDIS_URL: Type.Optional(
      Type.String({ description: 'redis:// or rediss:// URL; replicas then share one rate limit' }),
    ),
    REDIS_CONNECT_TIMEOUT_MS: Type.Integer({
      minimum: 1,
      default: DEFAULT_REDIS_CONNECT_TIMEOUT_MS,
      description: 'Redis connect timeout',
    }),
    REDIS_COMMAND_TIMEOUT_MS: Type.Integer({
      minimum: 1,
      default: DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
      description: 'A rate-limit check Redis has not answered by then lets the request through',
    }),
  },
  [
    (config) =>
      config.REDIS_URL === undefined || REDIS_URL.test(config.REDIS_URL)
        ? undefined
        : `REDIS_URL: must start with redis:// or rediss:// (got a value of ${config.REDIS_URL.length} characters)`,
  ],
);

export type RateLimitConfig = Static<TObject<typeof rateLimitConfig.properties>>;

export interface RateLimitOptions {
  /** Names the service's keys in a shared Redis, so two services never share a budget. */
  service: string;
  /** Requests per client per window on reads and unknown routes. */
  max: number;
  /** Requests per client per window on each write route. */
  writeMax: number;
  windowMs: number;
  /** Counts in Redis, shared by every replica; in this process's memory without it. */
  redis?: RedisOptions;
}

export function rateLimitOptionsFrom(config: RateLimitConfig, service: string): RateLimitOptions {
  return {
    service,
    max: config.RATE_LIMIT_MAX,
    writeMax: config.RATE_LIMIT_WRITE_MAX,
    windowMs: config.RATE_LIMIT_WINDOW_MS,
    ...(config.REDIS_URL === undefined
      ? {}
      : {
          redis: {
            url: config.REDIS_URL,
            connectTimeoutMs: config.REDIS_CONNECT_TIMEOUT_MS,
            commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
          },
        }),
  };
}

const WRITE_METHODS = new Set<string>(['POST', 'PUT', 'PATCH', 'DELETE']);
const isWrite = (method: HTTPMethods | HTTPMethods[]) =>
  [method].flat().some((m) => WRITE_METHODS.has(m.toUpperCase()));

const rateLimitMetrics = (registry: Registry) =>
  metricSet(registry, 'rate_limit_store_failures_total', (r) => ({
    storeFailures: new Counter({
      name: 'rate_limit_store_failures_total',
      help: 'Requests let through unchecked because the shared rate-limit store (Redis) failed',
      registers: [r],
    }),
  }));

type StoreCallback = Parameters<FastifyRateLimitStore['incr']>[1];
type RouteInfo = Parameters<FastifyRateLimitStore['child']>[0];
/** The store @fastify/rate-limit builds itself from its `redis` option, used here to observe its failures. */
interface LibraryRedisStore {
  incr(key: string, callback: StoreCallback, timeWindow: number, max: number): void;
  child(route: unknown): LibraryRedisStore;
}
type LibraryRedisStoreCtor = new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  redis: Redis,
  nameSpace: string,
) => LibraryRedisStore;
// The package has no exports map and ships the store as a plain CommonJS file without types.
const RedisStore = createRequire(import.meta.url)(
  '@fastify/rate-limit/store/RedisStore',
) as LibraryRedisStoreCtor;

/** Whether the shared store answers; logs each change once, however many requests see it. */
class StoreHealth {
  private failing = false;

  constructor(
    private readonly log: FastifyBaseLogger,
    private readonly failures: Counter,
  ) {}

  succeeded() {
    if (!this.failing) return;
    this.failing = false;
    this.log.info('rate-limit store is back: limits are shared again');
  }

  failed(error: Error) {
    this.failures.inc();
    if (this.failing) return;
    this.failing = true;
    this.log.warn({ err: error }, 'rate-limit store unavailable: requests are let through unchecked');
  }
}

/** The library's Redis store, reporting each outcome to `health`; the library itself fails open (`skipOnError`). */
class ObservedRedisStore implements FastifyRateLimitStore {
  constructor(
    private readonly inner: LibraryRedisStore,
    private readonly health: StoreHealth,
  ) {}

  incr(key: string, callback: StoreCallback, timeWindow?: number, max?: number) {
    this.inner.incr(
      key,
      (error, result) => {
        if (error) this.health.failed(error);
        else this.health.succeeded();
        callback(error, result);
      },
      timeWindow as number,
      max as number,
    );
  }

  child(route: RouteInfo) {
    return new ObservedRedisStore(this.inner.child(route), this.health);
  }
}

export const RATE_LIMIT_PLUGIN = '@steadfast/service-kit/rate-limit';

/**
 * @fastify/rate-limit on every route but the operational ones, per caller (`callerOf`: the token's subject when
 * the route authenticated one, else the client address): reads and unknown routes (404s) share `max`, each write
 * route has its own `writeMax`. With `redis` the counts live in Redis, so every replica enforces the same limit;
 * when Redis fails, requests are let through (a warning, `rate_limit_store_failures_total`) until it answers again.
 */
export const rateLimitPlugin = fp<RateLimitOptions>(
  async (app: FastifyInstance, options) => {
    // Before the limiter's own onRoute hook reads `config.rateLimit`.
    app.addHook('onRoute', (route) => {
      if (route.config?.operational) route.config = { ...route.config, rateLimit: false };
      else if (route.config?.rateLimit === undefined && isWrite(route.method)) {
        route.config = { ...route.config, rateLimit: { max: options.writeMax } };
      }
    });

    let store: (new () => FastifyRateLimitStore) | undefined;
    if (options.redis) {
      const redis = connectRedis(options.redis, app.log);
      app.addHook('onClose', () => redis.disconnect());
      const health = new StoreHealth(app.log, rateLimitMetrics(app.metricsRegistry).storeFailures);
      const shared = new RedisStore(false, false, redis, `rate-limit:${options.service}:`);
      // The library instantiates the store class it is given.
      store = class extends ObservedRedisStore {
        constructor() {
          super(shared, health);
        }
      };
    }

    await app.register(rateLimit, {
      global: true,
      max: options.max,
      timeWindow: options.windowMs,
      keyGenerator: callerOf,
      skipOnError: true,
      ...(store ? { store } : {}),
      errorResponseBuilder: (_request, context) =>
        new RateLimitedError(Math.max(1, Math.ceil(context.ttl / 1000))),
    });

    // Unknown routes have no route options for the limiter's onRoute hook: limit them here, on the read budget.
    // A callback hook, so a matched request (every one the limiter's own hook has counted) costs no promise here.
    const limitUnmatched = app.rateLimit();
    app.addHook('onRequest', (request, reply, done) => {
      if (!request.is404) return done();
      limitUnmatched.call(app, request, reply).then(() => done(), done);
    });
  },
  { name: RATE_LIMIT_PLUGIN, fastify: '5.x', dependencies: [METRICS_REGISTRY_PLUGIN] },
);
