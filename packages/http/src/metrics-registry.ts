import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's Prometheus registry; every package and the app add their metrics to it. */
    metricsRegistry: Registry;
  }
}

export interface MetricsRegistryOptions {
  /** Added to every metric as the `service` label; none when absent. */
  service?: string;
}

export const METRICS_REGISTRY_PLUGIN = '@steadfast/http/metrics-registry';

/**
 * One registry per app, so two apps in one process (tests, a multi-app host) never collide on metric names and
 * nothing is merged at scrape time. Plugins that add metrics declare this plugin in their `dependencies`.
 */
export const metricsRegistryPlugin = fp<MetricsRegistryOptions>(
  async (app: FastifyInstance, { service }) => {
    const registry = new Registry();
    if (service !== undefined) registry.setDefaultLabels({ service });
    app.decorate('metricsRegistry', registry);
  },
  { name: METRICS_REGISTRY_PLUGIN, fastify: '5.x' },
);
