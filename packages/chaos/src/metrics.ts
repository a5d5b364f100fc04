import { metricSet } from '@steadfast/http';
import { Counter, Gauge, type Registry } from 'prom-client';

/** What one Fastify app contributes to the active-faults gauge, read at scrape time. */
export interface ActiveFaultSource {
  activeFaults(): number;
}

/**
 * The metrics of one registry. prom-client refuses a second metric with the same name in a registry, so
 * apps sharing a registry share one set and each adds itself as a source.
 */
export class ChaosMetrics {
  readonly sources = new Set<ActiveFaultSource>();
  readonly injections: Counter<'kind' | 'target'>;
  readonly activeFaults: Gauge;
  readonly announceFailures: Counter<'event'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const sources = this.sources;
    this.injections = new Counter({
      name: 'chaos_injections_total',
      help: 'Faults injected, by kind (latency, error, abort) and target (METHOD route, or dependency:name)',
      labelNames: ['kind', 'target'] as const,
      registers,
    });
    this.announceFailures = new Counter({
      name: 'chaos_announcements_failed_total',
      help: 'Experiment announcements (started, ended) given up after every retry',
      labelNames: ['event'] as const,
      registers,
    });
    this.activeFaults = new Gauge({
      name: 'chaos_active_faults',
      help: 'Chaos faults active now (not expired, not removed)',
      registers,
      collect() {
        let total = 0;
        for (const source of sources) total += source.activeFaults();
        this.set(total);
      },
    });
  }
}

/** The metric set for `registry`, shared by every chaos plugin on it. */
export const metricsFor = (registry: Registry): ChaosMetrics =>
  metricSet(registry, 'chaos_injections_total', (r) => new ChaosMetrics(r));
