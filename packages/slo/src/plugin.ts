import { InvalidOptionError, integerAtLeast, NotFoundError } from '@steadfast/errors';
import {
  envelope,
  LIFECYCLE_PLUGIN,
  METRICS_REGISTRY_PLUGIN,
  OPERATIONAL_ROUTE_CONFIG,
  routeHooks,
} from '@steadfast/http';
import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import { InvalidSloInputError } from './errors.js';
import { type LiveSlis, liveSlis } from './live-slis.js';
import type { LiveSloDefinition } from './live-slo.js';
import { sloMetricsFor } from './slo-metrics.js';
import {
  type SloHistoryQuery,
  SloHistoryQuerySchema,
  SloHistoryResponseSchema,
  SloListResponseSchema,
  type SloParams,
  SloParamsSchema,
  SloResponseSchema,
} from './slo-schema.js';

export const DEFAULT_FLUSH_INTERVAL_MS = 10_000;
/** Flushing more often than this only adds database load: the buckets are per minute. */
export const MIN_FLUSH_INTERVAL_MS = 100;
/** setTimeout's ceiling; a longer interval would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
export const SLI_FLUSH_HANDLER = 'SLI flush';

export interface SloPluginOptions {
  slos: LiveSloDefinition[];
  /** Any Kysely handle on a database where `sloMigrations` ran. */
  // biome-ignore lint/suspicious/noExplicitAny: each app passes its own Kysely<AppDatabase>
  db: Kysely<any>;
  /** How often counts are written to the database (ms); a crash loses at most this much. */
  flushIntervalMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The live SLIs: `status()` for the figures, `flush()` to write the counts now. */
    slo: LiveSlis;
  }
}

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const SLO_ROUTE = { config: OPERATIONAL_ROUTE_CONFIG };
// Built apart from the route options: `summary` and `tags` are @fastify/swagger's additions to the schema.
const LIST_SCHEMA = {
  summary: 'Status of every SLO of this service',
  tags: ['slo'],
  response: { 200: SloListResponseSchema },
};
const ONE_SCHEMA = {
  summary: 'Status of one SLO',
  tags: ['slo'],
  params: SloParamsSchema,
  response: { 200: SloResponseSchema },
};

const HISTORY_SCHEMA = {
  summary: 'SLI and burn rate of one SLO over time, with its alert thresholds',
  tags: ['slo'],
  params: SloParamsSchema,
  querystring: SloHistoryQuerySchema,
  response: { 200: SloHistoryResponseSchema },
};

function checkOptions(options: SloPluginOptions): number {
  if (typeof options.db?.selectFrom !== 'function') {
    throw new InvalidOptionError('db', options.db, 'a Kysely instance');
  }
  const interval = integerAtLeast(
    'flushIntervalMs',
    options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS,
    MIN_FLUSH_INTERVAL_MS,
  );
  if (interval > MAX_TIMER_MS)
    throw new InvalidOptionError('flushIntervalMs', interval, `at most ${MAX_TIMER_MS} ms`);
  return interval;
}

async function sloPluginImpl(app: FastifyInstance, options: SloPluginOptions): Promise<void> {
  const flushIntervalMs = checkOptions(options);
  const slis = liveSlis({ slos: options.slos, db: options.db });

  app.decorate('slo', slis);

  app.addHook('onReady', async () => {
    // Route thresholds name routes; a typo would silently fall back to the SLO's threshold.
    slis.slos.forEach((slo, i) => {
      for (const key of slo.routeThresholdsMs.keys()) {
        const [method, url] = key.startsWith('/') ? [undefined, key] : key.split(' ', 2);
        const methods = method === undefined ? HTTP_METHODS : [method];
        if (!methods.some((m) => app.hasRoute({ method: m as (typeof HTTP_METHODS)[number], url: url! }))) {
          throw new InvalidSloInputError(
            `slos[${i}].routeThresholdsMs`,
            key,
            'keys that name registered routes',
          );
        }
      }
    });
  });

  const recordSli: onResponseHookHandler = (request, reply, done) => {
    slis.record({
      method: request.method,
      route: request.routeOptions.url,
      statusCode: reply.statusCode,
      durationMs: reply.elapsedTime,
    });
    done();
  };
  // Decided once per route: operational routes are not counted, and neither are unmatched URLs (scanners and
  // typos reach the not-found handler, which has no route hooks). Routes registered before this plugin are not seen.
  app.addHook('onRoute', (route) => {
    if (route.config?.operational) return;
    route.onResponse = [...routeHooks(route.onResponse), recordSli];
    route.config = { ...route.config, sli: true };
  });

  // Scheduled after each flush ends, so a slow database never has two flushes in flight.
  let timer: NodeJS.Timeout | undefined;
  let closing = false;
  const schedule = () => {
    if (closing) return;
    timer = setTimeout(async () => {
      try {
        await slis.flush();
      } catch (err) {
        app.log.warn(
          { err, pendingMinutes: slis.pendingMinutes },
          'SLI flush failed; counts kept for the next flush',
        );
      }
      schedule();
    }, flushIntervalMs);
    timer.unref();
  };
  schedule();

  const finalFlush = async () => {
    try {
      await slis.flush();
    } catch (err) {
      app.log.error(
        { err, pendingMinutes: slis.pendingMinutes },
        'final SLI flush failed; unflushed counts are lost',
      );
      throw err;
    }
  };
  app.addHook('onClose', async () => {
    closing = true;
    clearTimeout(timer);
  });
  // After every onClose hook (the server has drained) and before the pool closes.
  app.lifecycle.addShutdownHandler(SLI_FLUSH_HANDLER, finalFlush);

  const metrics = sloMetricsFor(app.metricsRegistry);
  const source = () =>
    slis.status().catch((err: unknown) => {
      app.log.warn({ err }, 'SLO status unavailable for the metrics scrape');
      return [];
    });
  metrics.sources.add(source);
  app.addHook('onClose', async () => {
    metrics.sources.delete(source);
  });

  app.get(
    '/v1/slo',
    {
      ...SLO_ROUTE,
      schema: LIST_SCHEMA,
    },
    async (_request, reply) => {
      const data = await slis.status();
      return envelope(reply, data, { count: data.length });
    },
  );

  app.get<{ Params: SloParams }>(
    '/v1/slo/:name',
    {
      ...SLO_ROUTE,
      schema: ONE_SCHEMA,
    },
    async (request, reply) => {
      const { name } = request.params;
      const [data] = slis.slos.some((slo) => slo.name === name) ? await slis.status([name]) : [];
      if (data === undefined) throw new NotFoundError(`SLO ${name} does not exist`);
      return envelope(reply, data);
    },
  );

  app.get<{ Params: SloParams; Querystring: SloHistoryQuery }>(
    '/v1/slo/:name/history',
    {
      ...SLO_ROUTE,
      schema: HISTORY_SCHEMA,
    },
    async (request, reply) => {
      const { name } = request.params;
      const data = await slis.history(name, request.query.window);
      if (data === undefined) throw new NotFoundError(`SLO ${name} does not exist`);
      return envelope(reply, data);
    },
  );
}

/**
 * Live SLIs: counts every request that is not `operational` as good or bad for each SLO, flushes the
 * per-minute counts to PostgreSQL, and serves `GET /v1/slo`, `GET /v1/slo/:name`, `GET /v1/slo/:name/history`
 * and the `slo_*` gauges.
 */
export const sloPlugin = fp(sloPluginImpl, {
  name: '@steadfast/slo',
  fastify: '5.x',
  dependencies: [LIFECYCLE_PLUGIN, METRICS_REGISTRY_PLUGIN],
});
export default sloPlugin;
