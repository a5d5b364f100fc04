import underPressure from '@fastify/under-pressure';
import { durationMs, OverloadedError } from '@steadfast/errors';
import { LIFECYCLE_PLUGIN, OPERATIONAL_ROUTE_CONFIG } from '@steadfast/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type CheckResult, DEFAULT_CHECK_TIMEOUT_MS, type HealthCheck, runCheck } from './check.js';
import { HEALTH_JSON, healthJson, wantsHealthJson } from './health-json.js';
import { httpStatusOf, type Readiness, readiness } from './readiness.js';

/** What the plugin reads of the resilience package (`app.resilience` has this shape). */
export interface BreakerStatesLike {
  breakerStates(): ReadonlyArray<{ name: string; state: string }>;
}

export interface LoadSheddingOptions {
  /** Mean event-loop delay (ms) above which requests are shed. */
  maxEventLoopDelayMs?: number;
  /** Event-loop utilisation (0–1) above which requests are shed. */
  maxEventLoopUtilization?: number;
  maxHeapUsedBytes?: number;
  maxRssBytes?: number;
  /** Seconds a shed client is told to wait. */
  retryAfterSeconds?: number;
  /** How often load is sampled (ms). */
  sampleIntervalMs?: number;
}

export interface HealthPluginOptions {
  checks?: HealthCheck[];
  version?: string;
  environment?: string;
  serviceId?: string;
  defaultTimeoutMs?: number;
  /** How long a readiness result is reused, so a probe storm runs the checks once (ms). */
  cacheMs?: number;
  breakers?: BreakerStatesLike;
  /** Off unless given. */
  loadShedding?: LoadSheddingOptions;
}

/** The probe routes, for orchestrator manifests: startup, readiness and liveness, plus the human summary. */
export const HEALTH_ROUTES = {
  live: '/health/live',
  ready: '/health/ready',
  startup: '/health/startup',
  summary: '/health',
} as const;

export const DEFAULT_READINESS_CACHE_MS = 1000;
export const DEFAULT_SHED_RETRY_AFTER_S = 5;

export interface ReadinessReport {
  status: Readiness;
  timestamp: string;
  checks: Record<string, Omit<CheckResult, 'name'>>;
  breakers: Array<{ name: string; state: string }>;
}

export interface HealthApi {
  addCheck(check: HealthCheck): void;
  /** The readiness report (cached for `cacheMs`). */
  report(): Promise<ReadinessReport>;
}

declare module 'fastify' {
  interface FastifyInstance {
    health: HealthApi;
  }
}

function formatUptime(seconds: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ];
  let rest = Math.floor(seconds);
  const parts: string[] = [];
  for (const [unit, size] of units) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  parts.push(`${rest}s`);
  return parts.join(' ');
}

export const healthPlugin = fp<HealthPluginOptions>(
  async (app: FastifyInstance, options) => {
    const defaultTimeoutMs = durationMs(
      'defaultTimeoutMs',
      options.defaultTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS,
    );
    const cacheMs = durationMs('cacheMs', options.cacheMs ?? DEFAULT_READINESS_CACHE_MS, { allowZero: true });
    const checks: HealthCheck[] = [...(options.checks ?? [])];
    const { lifecycle } = app;

    let cached: { at: number; results: Promise<CheckResult[]> } | undefined;
    const results = () => {
      const now = performance.now();
      if (!cached || now - cached.at >= cacheMs) {
        cached = { at: now, results: Promise.all(checks.map((check) => runCheck(check, defaultTimeoutMs))) };
      }
      return cached.results;
    };

    const report = async (): Promise<ReadinessReport> => {
      const checked = await results();
      const breakers = (options.breakers?.breakerStates() ?? []).map(({ name, state }) => ({ name, state }));
      const status = readiness(checked, {
        startupComplete: lifecycle.startupComplete,
        shuttingDown: lifecycle.shuttingDown,
        openBreakers: breakers.filter((b) => b.state === 'open').length,
      });
      return {
        status,
        timestamp: new Date().toISOString(),
        checks: Object.fromEntries(checked.map(({ name, ...rest }) => [name, rest])),
        breakers,
      };
    };

    app.decorate('health', {
      addCheck(check: HealthCheck) {
        if (checks.some((existing) => existing.name === check.name)) {
          throw new Error(`@steadfast/health: a check named ${check.name} is already registered`);
        }
        checks.push(check);
        cached = undefined;
      },
      report,
    } satisfies HealthApi);

    const send = (
      request: FastifyRequest,
      reply: FastifyReply,
      body: ReadinessReport,
      extra: object = {},
    ) => {
      reply.code(httpStatusOf(body.status));
      if (wantsHealthJson(request.headers.accept)) {
        const rendered = healthJson(
          body.status,
          Object.entries(body.checks).map(([name, check]) => ({ name, ...check })),
          { version: options.version, serviceId: options.serviceId, time: body.timestamp },
        );
        return reply.type(HEALTH_JSON).send(JSON.stringify(rendered));
      }
      return reply.send({ ...body, ...extra });
    };

    app.get(HEALTH_ROUTES.live, { config: OPERATIONAL_ROUTE_CONFIG }, async () => ({
      status: 'alive',
      timestamp: new Date().toISOString(),
    }));

    app.get(HEALTH_ROUTES.ready, { config: OPERATIONAL_ROUTE_CONFIG }, async (request, reply) =>
      send(request, reply, await report()),
    );

    app.get(HEALTH_ROUTES.startup, { config: OPERATIONAL_ROUTE_CONFIG }, async (_request, reply) => {
      const done = lifecycle.startupComplete;
      reply.code(done ? 200 : 503);
      return {
        status: done ? 'started' : 'starting',
        startupDurationMs: lifecycle.startupDurationMs,
        steps: lifecycle.steps,
      };
    });

    app.get(HEALTH_ROUTES.summary, { config: OPERATIONAL_ROUTE_CONFIG }, async (request, reply) => {
      const memory = process.memoryUsage();
      const uptime = process.uptime();
      return send(request, reply, await report(), {
        version: options.version ?? null,
        environment: options.environment ?? null,
        uptime: { seconds: Math.floor(uptime), human: formatUptime(uptime) },
        memory: { heapUsedBytes: memory.heapUsed, heapTotalBytes: memory.heapTotal, rssBytes: memory.rss },
        startup: { complete: lifecycle.startupComplete, durationMs: lifecycle.startupDurationMs },
      });
    });

    if (options.loadShedding) {
      const shed = options.loadShedding;
      const retryAfter = shed.retryAfterSeconds ?? DEFAULT_SHED_RETRY_AFTER_S;
      await app.register(underPressure, {
        ...(shed.maxEventLoopDelayMs === undefined ? {} : { maxEventLoopDelay: shed.maxEventLoopDelayMs }),
        ...(shed.maxEventLoopUtilization === undefined
          ? {}
          : { maxEventLoopUtilization: shed.maxEventLoopUtilization }),
        ...(shed.maxHeapUsedBytes === undefined ? {} : { maxHeapUsedBytes: shed.maxHeapUsedBytes }),
        ...(shed.maxRssBytes === undefined ? {} : { maxRssBytes: shed.maxRssBytes }),
        ...(shed.sampleIntervalMs === undefined ? {} : { sampleInterval: shed.sampleIntervalMs }),
        pressureHandler: async (
          request: FastifyRequest,
          _reply: FastifyReply,
          type: string,
          value: unknown,
        ) => {
          // Called only while under pressure, so reading the route's flag here costs nothing on the normal path.
          if (request.routeOptions.config?.operational) return;
          request.log.warn({ type, value }, 'shedding load');
          throw new OverloadedError(retryAfter);
        },
      });
    }

    app.addHook('onClose', async () => {
      for (const check of checks) (check as Partial<{ dispose(): void }>).dispose?.();
    });
  },
  { name: '@steadfast/health', fastify: '5.x', dependencies: [LIFECYCLE_PLUGIN] },
);
