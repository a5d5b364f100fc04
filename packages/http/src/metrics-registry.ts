import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type Metric, Registry } from 'prom-client';

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

const metricSets = new WeakMap<Registry, Map<string, { metrics: unknown; sentinel: Metric | undefined }>>();

/**
 * The metric set a package keeps in `registry`, made on first use and made again if the registry was cleared
 * since. prom-client refuses a second metric of the same name in one registry, so every plugin instance (and every
 * app) on one registry shares one set. `sentinel` is the name of a metric the set registers: while the registry
 * still holds that very metric, the set is still there.
 */
export function metricSet<M>(registry: Registry, sentinel: string, create: (registry: Registry) => M): M {
  let sets = metricSets.get(registry);
  if (sets === undefined) {
    sets = new Map();
    metricSets.set(registry, sets);
  }
  const existing = sets.get(sentinel);
  if (existing !== undefined && registry.getSingleMetric(sentinel) === existing.sentinel) {
    return existing.metrics as M;
  }
  const metrics = create(registry);
  sets.set(sentinel, { metrics, sentinel: registry.getSingleMetric(sentinel) });
  return metrics;
}
