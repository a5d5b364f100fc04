import Fastify from 'fastify';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { metricSet, metricsRegistryPlugin } from '../src/index.js';

const widgets = (registry: Registry) => ({
  made: new Counter({ name: 'widgets_total', help: 'widgets', registers: [registry] }),
});

describe('metricSet', () => {
  it('makes one set per registry and shares it', () => {
    const [a, b] = [new Registry(), new Registry()];
    const first = metricSet(a, 'widgets_total', widgets);
    expect(metricSet(a, 'widgets_total', widgets)).toBe(first);
    expect(metricSet(b, 'widgets_total', widgets)).not.toBe(first);
  });

  it('makes the set again once the registry was cleared', async () => {
    const registry = new Registry();
    const first = metricSet(registry, 'widgets_total', widgets);
    registry.clear();
    const second = metricSet(registry, 'widgets_total', widgets);
    expect(second).not.toBe(first);
    second.made.inc(2);
    expect(await registry.metrics()).toContain('widgets_total 2');
  });
});

describe('metricsRegistryPlugin', () => {
  it('gives each app its own registry, labelled with the service when one is named', async () => {
    const [a, b] = [Fastify(), Fastify()];
    await a.register(metricsRegistryPlugin, { service: 'orders' });
    await b.register(metricsRegistryPlugin);
    expect(a.metricsRegistry).not.toBe(b.metricsRegistry);
    metricSet(a.metricsRegistry, 'widgets_total', widgets).made.inc();
    metricSet(b.metricsRegistry, 'widgets_total', widgets).made.inc();
    expect(await a.metricsRegistry.metrics()).toContain('widgets_total{service="orders"} 1');
    expect(await b.metricsRegistry.metrics()).toContain('widgets_total 1');
    await Promise.all([a.close(), b.close()]);
  });
});
