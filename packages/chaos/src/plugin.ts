import { MIN_TOKEN_LENGTH } from '@steadfast/auth';
import { bool, ChaosInjectedError, InvalidOptionError, integerAtLeast } from '@steadfast/errors';
import { ERROR_HANDLER_PLUGIN, LIFECYCLE_PLUGIN, METRICS_REGISTRY_PLUGIN, routeHooks } from '@steadfast/http';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import { adminRoutes } from './admin-routes.js';
import { type AnnounceOptions, announcer } from './announce.js';
import { isExpired } from './fault.js';
import { FleetSync } from './fleet-sync.js';
import { Injector } from './injector.js';
import { metricsFor } from './metrics.js';
import { activeFaultJson, type ChaosStatus } from './status.js';
import {
  type BurnRateSource,
  DEFAULT_STOP_CHECK_INTERVAL_MS,
  type StopVerdict,
  type StopWhen,
  watchStopConditions,
} from './stop-condition.js';
import { type ChaosTables, endFaults } from './store.js';
import { FAULT_HEADER, parseFaultHeader } from './targeting.js';

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
  /**
   * The live SLOs that stop conditions (a fault's `stopWhen`, or the default set through PUT /stop-condition)
   * are checked against; absent = no stop conditions. Faults without one run until they expire.
   */
  burnRates?: BurnRateSource;
  /** How often the stop conditions of the active faults are checked (ms). */
  stopCheckIntervalMs?: number;
  /** Announces each experiment's start and end (to incidents-api); absent = no announcements. */
  announce?: AnnounceOptions;
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
   * `ChaosInjectedError` (`CHAOS_INJECTED`, 503 by default). Call it inside the resilience policy, just before the real call, so
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
    /** Present only when the plugin was registered with `enabled: true`. */
    chaos?: ChaosApi;
  }
}

function checkOptions(options: ChaosPluginOptions) {
  if (typeof options.adminToken !== 'string' || options.adminToken.length < MIN_TOKEN_LENGTH) {
    // The token itself is never echoed: this message ends up in logs.
    const got = typeof options.adminToken === 'string' ? `${options.adminToken.length} characters` : 'none';
    throw new InvalidOptionError(
      'adminToken',
      `<${got}>`,
      `a token (CHAOS_ADMIN_TOKEN) of at least ${MIN_TOKEN_LENGTH} characters`,
    );
  }
  if (typeof options.db?.selectFrom !== 'function') {
    throw new InvalidOptionError('db', options.db, 'a Kysely instance');
  }
  const positive = (name: string, value: number | undefined, fallback: number) =>
    integerAtLeast(name, value ?? fallback, 1);
  const maxDuration = positive(
    'maxDurationSeconds',
    options.maxDurationSeconds,
    DEFAULT_MAX_DURATION_SECONDS,
  );
  const defaultDuration = positive(
    'defaultDurationSeconds',
    options.defaultDurationSeconds,
    DEFAULT_DURATION_SECONDS,
  );
  if (defaultDuration > maxDuration) {
    throw new InvalidOptionError(
      'defaultDurationSeconds',
      defaultDuration,
      `at most maxDurationSeconds (${maxDuration})`,
    );
  }
  if (options.announce !== undefined) {
    const { url, token, service } = options.announce;
    if (!/^https?:\/\//.test(String(url)))
      throw new InvalidOptionError('announce.url', url, 'an http(s) URL');
    if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH) {
      throw new InvalidOptionError(
        'announce.token',
        '<hidden>',
        `a token of at least ${MIN_TOKEN_LENGTH} characters`,
      );
    }
    if (typeof service !== 'string' || service === '') {
      throw new InvalidOptionError('announce.service', service, 'the service’s name');
    }
  }
  return {
    stopCheckIntervalMs: positive(
      'stopCheckIntervalMs',
      options.stopCheckIntervalMs,
      DEFAULT_STOP_CHECK_INTERVAL_MS,
    ),
    defaultDurationSeconds: defaultDuration,
    maxDurationSeconds: maxDuration,
    maxActiveFaults: positive('maxActiveFaults', options.maxActiveFaults, DEFAULT_MAX_ACTIVE_FAULTS),
    pollIntervalMs: positive('pollIntervalMs', options.pollIntervalMs, DEFAULT_POLL_INTERVAL_MS),
    headerTargeting: bool('headerTargeting', options.headerTargeting ?? false),
  };
}

export const chaosPlugin = fp<ChaosPluginOptions>(
  async (app: FastifyInstance, options) => {
    if (!bool('enabled', options.enabled)) return;
    const settings = checkOptions(options);

    const db = (options.db as Kysely<ChaosTables>).withoutPlugins();
    const actor = options.tokenName ?? DEFAULT_TOKEN_NAME;
    const { headerTargeting } = settings;
    const metrics = metricsFor(app.metricsRegistry);
    const announce =
      options.announce &&
      announcer(options.announce, {
        log: app.log,
        failed: (event) => metrics.announceFailures.inc({ event }),
      });
    const sync = new FleetSync({
      db,
      listenUrl: options.listenUrl,
      pollIntervalMs: settings.pollIntervalMs,
      log: app.log,
      ...(announce ? { onExpired: (faults) => announce.ended(faults, 'expired') } : {}),
    });
    const metricSource = { activeFaults: () => (sync.enabled ? sync.activeFaults().length : 0) };
    metrics.sources.add(metricSource);

    const injector = new Injector(sync, metrics);
    // Set when this replica begins shutting down: a reload from the fleet must not bring the faults back.
    let draining = false;

    const stopFaults = async (ids: readonly string[], _condition: StopWhen, verdict: StopVerdict) => {
      sync.forget(new Set(ids));
      const { description, value, threshold } = verdict;
      const record = { description, value, threshold };
      const ended = await endFaults(db, { ids }, 'stopped by condition', STOP_CONDITION_ACTOR, {
        stopCondition: record,
      });
      announce?.ended(ended, 'stopped by condition', record);
      await sync.refresh();
    };

    const api: ChaosApi = {
      beforeDependencyCall: async (name, signal) => {
        if (!draining) await injector.beforeDependencyCall(name, app.log, signal);
      },
      status() {
        const now = Date.now();
        return {
          enabled: sync.enabled,
          defaultStopWhen: sync.defaultStopWhen ?? null,
          faults: sync.faults.filter((fault) => !isExpired(fault, now)).map((f) => activeFaultJson(f, now)),
          injections: injector.counts(),
        };
      },
      refresh: () => sync.refresh(),
    };
    app.decorate('chaos', api);

    const injectHttpFaults: onRequestHookHandler = async (request, reply) => {
      if (draining || sync.httpFaults.length === 0) return;
      const route = request.routeOptions.url as string;
      const facts = {
        method: request.method,
        route,
        path: request.url.split('?', 1)[0] as string,
        faultIds: headerTargeting ? parseFaultHeader(request.headers[FAULT_HEADER]) : undefined,
      };
      const failure = await injector.beforeRequest(facts, request.log, request.id);
      if (failure?.kind === 'error') throw new ChaosInjectedError(failure.fault.id, failure.status);
      if (failure?.kind === 'abort') {
        reply.hijack();
        // app.inject()'s mock socket cannot be destroyed; destroying the response drops that request too.
        const socket = request.raw.socket as Partial<Pick<typeof request.raw.socket, 'destroy'>> | undefined;
        if (typeof socket?.destroy === 'function') socket.destroy();
        reply.raw.destroy();
      }
    };
    // Decided once per route: operational routes (probes, scrapes, this admin API) are never targeted. Routes
    // registered before this plugin are not seen, and neither are unmatched URLs (no route, nothing to target).
    app.addHook('onRoute', (route) => {
      if (!route.config?.operational) route.onRequest = [...routeHooks(route.onRequest), injectHttpFaults];
    });

    await app.register(adminRoutes, {
      prefix: ADMIN_PREFIX,
      adminToken: options.adminToken,
      actor,
      db,
      sync,
      status: api.status,
      rules: {
        defaultDurationSeconds: settings.defaultDurationSeconds,
        maxDurationSeconds: settings.maxDurationSeconds,
        headerTargeting,
        burnRates: options.burnRates,
      },
      maxActiveFaults: settings.maxActiveFaults,
      announce,
    });

    let stopWatching: (() => void) | undefined;
    app.addHook('onReady', async () => {
      await sync.start();
      if (options.burnRates) {
        stopWatching = watchStopConditions({
          source: options.burnRates,
          activeFaults: () => (draining ? [] : sync.activeFaults()),
          defaultStopWhen: () => sync.defaultStopWhen,
          stop: stopFaults,
          intervalMs: settings.stopCheckIntervalMs,
          log: app.log,
        });
      }
    });
    const release = async () => {
      stopWatching?.();
      metrics.sources.delete(metricSource);
      await sync.stop();
      await announce?.close();
    };
    // A replica that begins shutting down stops injecting at once, so the requests it drains finish promptly; the
    // fleet's faults stay in place for the other replicas.
    app.lifecycle.onShutdownStart(() => {
      draining = true;
      sync.forget('all');
    });
    app.addHook('onClose', release);
  },
  {
    name: '@steadfast/chaos',
    fastify: '5.x',
    dependencies: [LIFECYCLE_PLUGIN, METRICS_REGISTRY_PLUGIN, ERROR_HANDLER_PLUGIN],
  },
);
