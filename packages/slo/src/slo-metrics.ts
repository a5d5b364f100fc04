import { metricSet } from '@steadfast/http';
import { Gauge, type Registry } from 'prom-client';
import type { SloStatus } from './slo-status.js';

/** One app's SLO statuses, read at scrape time. It must not throw: an unreadable SLO is simply absent. */
export type SloStatusSource = () => Promise<readonly SloStatus[]>;

/**
 * The gauges of one registry. prom-client refuses a second metric with the same name in a registry, so apps
 * sharing a registry share one set and each adds itself as a source; apps with their own registries get
 * their own set.
 */
export class SloMetrics {
  readonly sources = new Set<SloStatusSource>();
  readonly sli: Gauge<'slo'>;
  readonly budgetRemaining: Gauge<'slo'>;
  readonly burnRate: Gauge<'slo' | 'window'>;

  constructor(registry: Registry) {
    const registers = [registry];
    // The three gauges are collected in parallel; one read of the statuses serves them all.
    let reading: Promise<SloStatus[]> | undefined;
    const statuses = () => {
      reading ??= Promise.all([...this.sources].map((source) => source()))
        .then((all) => all.flat())
        .finally(() => {
          reading = undefined;
        });
      return reading;
    };
    const gauge = <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      fill: (gauge: Gauge<L>, status: SloStatus) => void,
    ) =>
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          const all = await statuses();
          this.reset();
          for (const status of all) fill(this, status);
        },
      });
    this.sli = gauge('slo_sli_ratio', 'Good events over all events in the SLO period', ['slo'], (g, s) =>
      g.set({ slo: s.name }, s.sli),
    );
    this.budgetRemaining = gauge(
      'slo_error_budget_remaining_ratio',
      'Share of the period error budget left: 1 untouched, 0 spent, below 0 overspent',
      ['slo'],
      (g, s) => g.set({ slo: s.name }, s.errorBudget.remainingRatio),
    );
    this.burnRate = gauge(
      'slo_burn_rate',
      'Error ratio over the window divided by the error budget ratio (1 spends the budget in exactly the period)',
      ['slo', 'window'],
      (g, s) => {
        for (const [window, rate] of Object.entries(s.burnRates)) g.set({ slo: s.name, window }, rate);
      },
    );
  }
}

/** The gauge set for `registry`, shared by every SLO plugin on it. */
export const sloMetricsFor = (registry: Registry): SloMetrics =>
  metricSet(registry, 'slo_sli_ratio', (r) => new SloMetrics(r));
