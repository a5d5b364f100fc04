import { METRICS_REGISTRY_PLUGIN, OPERATIONAL_ROUTE_CONFIG } from '@steadfast/http';
import type { FastifyInstance } from 'fastify';
import fastifyMetricsModule from 'fastify-metrics';
import fp from 'fastify-plugin';
import * as promClient from 'prom-client';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Request metrics and process metrics at /metrics, on the app's own registry (`app.metricsRegistry`). */
export const metricsPlugin = fp(
  async (app: FastifyInstance) => {
    const registry = app.metricsRegistry;

    const requests = new promClient.Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      registers: [registry],
    });
    app.addHook('onResponse', (request, reply, done) => {
      if (request.routeOptions.url !== '/metrics') {
        requests.inc({
          method: request.method,
          route: request.routeOptions.url ?? '__unknown__',
          status_code: String(reply.statusCode),
        });
      }
      done();
    });

    // fastify-metrics is CommonJS with an ES default export; from ESM that is the module's `default`.
    await app.register(fastifyMetricsModule.default, {
      endpoint: {
        url: '/metrics',
        method: 'GET',
        logLevel: 'warn',
        config: { ...OPERATIONAL_ROUTE_CONFIG },
        schema: { hide: true },
        handler: () => undefined,
      },
      // Handing the plugin a client whose default registry is ours keeps every metric in one registry, so
      // nothing is merged at scrape time (merging drops the `service` default label).
      promClient: { ...promClient, register: registry },
      defaultMetrics: { enabled: true, register: registry },
      routeMetrics: {
        enabled: { histogram: true, summary: false },
        routeBlacklist: ['/metrics'],
        overrides: {
          histogram: { buckets: DURATION_BUCKETS, registers: [registry] },
          summary: { registers: [registry] },
        },
      },
    });
  },
  { name: '@steadfast/service-kit/metrics', fastify: '5.x', dependencies: [METRICS_REGISTRY_PLUGIN] },
);
