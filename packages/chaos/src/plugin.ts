import { MIN_TOKEN_LENGTH } from '@steadfast/auth';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import { register as globalRegistry, type Registry } from 'prom-client';
import { adminRoutes } from './admin-routes.js';
import { isExpired } from './fault.js';
import { FleetSync } from './fleet-sync.js';
import { chaosError, Injector } from './injector.js';
import { metricsFor } from './metrics.js';
import { activeFaultJson, type ChaosStatus } from './status.js';
import { type StopCondition, watchStopCondition } from './stop-condition.js';
import { type ChaosTables, endFaults } from './store.js';
import { FAULT_HEADER, parseFaultHeader } from './targeting.js';

/** What the plugin reads of the service's lifecycle (the service kit's `app.lifecycle` has this shape). */
export interface ShutdownLifecycleLike {
  addShutdownHandler(name: string, run: () => Promise<void> | void, timeoutMs?: number): void;
}

export interface ChaosPluginOptions {
  /** When false the plugin registers nothing at all: no routes, no hooks, no decorator. */
  enabled: boolean;
  /** The bearer token of the admin API (CHAOS_ADMIN_TOKEN), at least 16 characters. */
  adminToken: string;
  /** Who the token belongs to, as the audit records it. */
  tokenName?: string;
  /** The service's Kysely handle (any schema: the plugin only touches its own chaos_* tables). */
  // biome-ignore lint/suspicious/noExplicitAny: a service's Kysely<Database> must be accepted whatever its tables
  db: Kysely<any>;
  /** A PostgreSQL connection string for LISTEN; absent = polling only. */
  listenUrl?: string;
  defaultDurationSeconds?: number;
  maxDurationSeconds?: number;
  maxActiveFaults?: number;
  /** How often each replica reloads the faults in case a notification was lost (ms). */
  pollIntervalMs?: number;
  /** Lets requests opt into faults with `target.header` through `x-chaos-fault: <id>`. Off by default. */
  headerTargeting?: boolean;
  /** Where metrics go. Default: prom-client's global registry. */
  registry?: Registry;
  /** Asked every `intervalMs` while faults are active; when it says stop, every fault is removed. */
  stopCondition?: StopCondition;
  lifecycle?: ShutdownLifecycleLike;
}

export const DEFAULT_TOKEN_NAME = 'chaos-admin';
export const DEFAULT_DURATION_SECONDS = 300;
export const DEFAULT_MAX_DURATION_SECONDS = 3600;
export const DEFAULT_MAX_ACTIVE_FAULTS = 10;
export const DEFAULT_POLL_INTERVAL_MS = 1000;
export const ADMIN_PREFIX = '/admin/chaos';
export const STOP_CONDITION_ACTOR = 'stop-condition';

export interface ChaosApi {
  /**
   * Applies the dependency faults matching `name`: waits their latency (abortable by `signal`), then may throw
   * `AppError('CHAOS_INJECTED', 503)`. Call it inside the resilience policy, just before the real call, so
   * the breaker, retry and timeout see the fault as they would a real outage.
   */
  beforeDependencyCall(name: string, signal?: AbortSignal): Promise<void>;
  /** This replica's view: the global switch, the active faults and its injection counts. */
  status(): ChaosStatus;
  /** Reloads the faults from PostgreSQL now. */
  refresh(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    chaos: ChaosApi;
  }
  interface FastifyContextConfig {
    /** Health, metrics and admin routes: never targeted by chaos faults. */
    operational?: boolean;
    /** The route needs `Authorization: Bearer <token>` (documented as such in OpenAPI by the service kit). */
    bearerAuth?: boolean;
  }
}

function assertPositiveInteger(name: string, value: number | undefined) {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new TypeError(`@steadfast/chaos: option ${name} must be a positive integer, got ${String(value)}`);
  }
}

function checkOptions(options: ChaosPluginOptions) {
  if (typeof options.adminToken !== 'string' || options.adminToken.length < MIN_TOKEN_LENGTH) {
    const got = typeof options.adminToken === 'string' ? `${options.adminToken.length} characters` : 'none';
    // The token itself is never echoed: this message ends up in logs.
    throw new TypeError(
      `@steadfast/chaos: option adminToken (CHAOS_ADMIN_TOKEN) must be at least ${MIN_TOKEN_LENGTH} characters, got ${got}`,
    );
  }
  if (typeof options.db?.selectFrom !== 'function') {
    throw new TypeError(`@steadfast/chaos: option db must be a Kysely instance, got ${String(options.db)}`);
  }
  assertPositiveInteger('defaultDurationSeconds', options.defaultDurationSeconds);
  assertPositiveInteger('maxDurationSeconds', options.maxDurationSeconds);
  assertPositiveInteger('maxActiveFaults', options.maxActiveFaults);
  assertPositiveInteger('pollIntervalMs', options.pollIntervalMs);
  assertPositiveInteger('stopCondition.intervalMs', options.stopCondition?.intervalMs);
  const defaultDuration = options.defaultDurationSeconds ?? DEFAULT_DURATION_SECONDS;
  const maxDuration = options.maxDurationSeconds ?? DEFAULT_MAX_DURATION_SECONDS;
  if (defaultDuration > maxDuration) {
    throw new TypeError(
      `@steadfast/chaos: option defaultDurationSeconds must not exceed maxDurationSeconds (${maxDuration}), got ${defaultDuration}`,
    );
  }
}

export const chaosPlugin = fp<ChaosPluginOptions>(
  async (app: FastifyInstance, options) => {
    if (typeof options.enabled !== 'boolean') {
      throw new TypeError(
        `@steadfast/chaos: option enabled must be a boolean, got ${String(options.enabled)}`,
      );
    }
    if (!options.enabled) return;
    checkOptions(options);

    const db = (options.db as Kysely<ChaosTables>).withoutPlugins();
    const actor = options.tokenName ?? DEFAULT_TOKEN_NAME;
    const headerTargeting = options.headerTargeting ?? false;
    const sync = new FleetSync({
      db,
      listenUrl: options.listenUrl,
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      log: app.log,
    });
    const metrics = metricsFor(options.registry ?? globalRegistry);
    const metricSource = { activeFaults: () => (sync.enabled ? sync.activeFaults().length : 0) };
    metrics.sources.add(metricSource);

    const injector = new Injector(sync, metrics);

    const stopAll = async (reason: string) => {
      sync.forget('all');
      await endFaults(db, {}, 'stopped by condition', STOP_CONDITION_ACTOR, { reason });
      await sync.refresh();
    };

    const api: ChaosApi = {
      beforeDependencyCall: (name, signal) => injector.beforeDependencyCall(name, app.log, signal),
      status() {
        const now = Date.now();
        return {
          enabled: sync.enabled,
          faults: sync.faults.filter((fault) => !isExpired(fault, now)).map((f) => activeFaultJson(f, now)),
          injections: injector.counts(),
        };
      },
      refresh: () => sync.refresh(),
    };
    app.decorate('chaos', api);

    app.addHook('onRequest', async (request, reply) => {
      if (sync.httpFaults.length === 0) return;
      const route = request.routeOptions.url;
      if (route === undefined || request.routeOptions.config?.operational || route.startsWith(ADMIN_PREFIX)) {
        return;
      }
      const facts = {
        method: request.method,
        route,
        path: request.url.split('?', 1)[0] as string,
        faultIds: headerTargeting ? parseFaultHeader(request.headers[FAULT_HEADER]) : undefined,
      };
      const failure = await injector.beforeRequest(facts, request.log, request.id);
      if (failure?.kind === 'error') throw chaosError(failure.fault, failure.status);
      if (failure?.kind === 'abort') {
        reply.hijack();
        // app.inject()'s mock socket cannot be destroyed; destroying the response drops that request too.
        const socket = request.raw.socket as Partial<Pick<typeof request.raw.socket, 'destroy'>> | undefined;
        if (typeof socket?.destroy === 'function') socket.destroy();
        reply.raw.destroy();
      }
    });

    await app.register(adminRoutes, {
      prefix: ADMIN_PREFIX,
      adminToken: options.adminToken,
      actor,
      db,
      sync,
      status: api.status,
      rules: {
        defaultDurationSeconds: options.defaultDurationSeconds ?? DEFAULT_DURATION_SECONDS,
        maxDurationSeconds: options.maxDurationSeconds ?? DEFAULT_MAX_DURATION_SECONDS,
        headerTargeting,
      },
      maxActiveFaults: options.maxActiveFaults ?? DEFAULT_MAX_ACTIVE_FAULTS,
    });

    let stopWatching: (() => void) | undefined;
    app.addHook('onReady', async () => {
      await sync.start();
      if (options.stopCondition) {
        stopWatching = watchStopCondition(options.stopCondition, {
          hasActiveFaults: () => sync.activeFaults().length > 0,
          stopAll,
          log: app.log,
        });
      }
    });
    const release = async () => {
      stopWatching?.();
      metrics.sources.delete(metricSource);
      await sync.stop();
    };
    // A replica that is draining stops injecting, so its in-flight requests finish promptly.
    options.lifecycle?.addShutdownHandler('chaos', async () => {
      sync.forget('all');
      await release();
    });
    app.addHook('onClose', release);
  },
  { name: '@steadfast/chaos', fastify: '5.x' },
);
