import { NotFoundError } from '@steadfast/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import { register as globalRegistry, type Registry } from 'prom-client';
import { InvalidSloInputError } from './errors.js';
import { type LiveSlis, liveSlis } from './live-slis.js';
import type { LiveSloDefinition } from './live-slo.js';
import { sloMetricsFor } from './slo-metrics.js';
import { SloListResponseSchema, type SloParams, SloParamsSchema, SloResponseSchema } from './slo-schema.js';

export const DEFAULT_FLUSH_INTERVAL_MS = 10_000;
/** setTimeout's ceiling; a longer interval would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
export const SLI_FLUSH_HANDLER = 'SLI flush';

/** What the plugin uses of the service's lifecycle (the service kit's `app.lifecycle` has this shape). */
export interface ShutdownHandlerHost {
  addShutdownHandler(name: string, run: () => Promise<void>, timeoutMs?: number): void;
}

export interface SloPluginOptions {
  slos: LiveSloDefinition[];
  /** Any Kysely handle on a database where `sloMigrations` ran. */
  // biome-ignore lint/suspicious/noExplicitAny: each app passes its own Kysely<AppDatabase>
  db: Kysely<any>;
  /** Where the gauges go. Default: `app.metricsRegistry` when the service kit set one, else prom-client's global registry. */
  registry?: Registry;
  /** How often counts are written to the database (ms); a crash loses at most this much. */
  flushIntervalMs?: number;
  /**
   * Runs the final flush as the `SLI flush` shutdown handler, before the pool closes. Default: `app.lifecycle`
   * when the service kit is registered; otherwise the final flush runs in an onClose hook.
   */
  lifecycle?: ShutdownHandlerHost;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The live SLIs: `status()` for the figures, `flush()` to write the counts now. */
    slo: LiveSlis;
  }
  interface FastifyContextConfig {
    /** Health, metrics and admin routes: not counted by the SLIs. */
    operational?: boolean;
  }
}

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const SLO_ROUTE = { config: { operational: true } };
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

const isShutdownHandlerHost = (value: unknown): value is ShutdownHandlerHost =>
  typeof (value as Partial<ShutdownHandlerHost> | null)?.addShutdownHandler === 'function';

function assertOptions(options: SloPluginOptions): void {
  if (typeof options.db?.selectFrom !== 'function') {
    throw new InvalidSloInputError('db', options.db, 'a Kysely instance');
  }
  const interval = options.flushIntervalMs;
  if (interval !== undefined && !(Number.isInteger(interval) && interval > 0 && interval <= MAX_TIMER_MS)) {
    throw new InvalidSloInputError(
      'flushIntervalMs',
      interval,
      `a whole number of ms between 1 and ${MAX_TIMER_MS}`,
    );
  }
  if (options.lifecycle !== undefined && !isShutdownHandlerHost(options.lifecycle)) {
    throw new InvalidSloInputError('lifecycle', options.lifecycle, 'an object with addShutdownHandler()');
  }
}

function meta(request: FastifyRequest, reply: FastifyReply) {
  return { requestId: request.id, durationMs: Math.round(reply.elapsedTime * 100) / 100 };
}

async function sloPluginImpl(app: FastifyInstance, options: SloPluginOptions): Promise<void> {
  assertOptions(options);
  const slis = liveSlis({ slos: options.slos, db: options.db });
  const flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
  const decorated = app as unknown as { lifecycle?: unknown; metricsRegistry?: Registry };
  const lifecycle =
    options.lifecycle ?? (isShutdownHandlerHost(decorated.lifecycle) ? decorated.lifecycle : undefined);
  const registry = options.registry ?? decorated.metricsRegistry ?? globalRegistry;

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

  app.addHook('onResponse', (request, reply, done) => {
    // Unmatched URLs (the not-found handler) are scanners and typos, not the service's requests.
    if (!request.is404 && request.routeOptions.config?.operational !== true) {
      slis.record({
        method: request.method,
        route: request.routeOptions.url,
        statusCode: reply.statusCode,
        durationMs: reply.elapsedTime,
      });
    }
    done();
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
    // With a lifecycle the handler runs later, after every onClose hook and before the pool closes.
    if (lifecycle === undefined) await finalFlush().catch(() => undefined);
  });
  lifecycle?.addShutdownHandler(SLI_FLUSH_HANDLER, finalFlush);

  const metrics = sloMetricsFor(registry);
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
    async (request, reply) => {
      const data = await slis.status();
      return { data, meta: { ...meta(request, reply), count: data.length } };
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
      return { data, meta: meta(request, reply) };
    },
  );
}

/**
 * Live SLIs: counts every request that is not `operational` as good or bad for each SLO, flushes the
 * per-minute counts to PostgreSQL, and serves `GET /v1/slo`, `GET /v1/slo/:name` and the `slo_*` gauges.
 */
export const sloPlugin = fp(sloPluginImpl, {
  name: '@steadfast/slo',
  fastify: '5.x',
});
export default sloPlugin;
