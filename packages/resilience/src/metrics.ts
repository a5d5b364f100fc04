import { metricSet } from '@steadfast/http';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Bulkhead } from './bulkhead.js';
import type { CircuitBreaker, CircuitState } from './circuit-breaker.js';

export type CallOutcome = 'success' | 'failure' | 'rejected' | 'timeout';

/** What one Fastify app contributes to the gauges, read at scrape time. */
export interface MetricSource {
  breakers(): Iterable<[name: string, breaker: CircuitBreaker]>;
  bulkheads(): Iterable<[name: string, bulkhead: Bulkhead]>;
}

const STATE_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };
const STATES = Object.keys(STATE_VALUE) as CircuitState[];

/**
 * The metrics of one registry. prom-client refuses a second metric with the same name in a registry,
 * so apps sharing a registry share one set and each adds itself as a source; apps with their own
 * registries get their own set.
 */
export class ResilienceMetrics {
  readonly sources = new Set<MetricSource>();
  readonly circuitState: Gauge<'policy'>;
  readonly circuitStateInfo: Gauge<'policy' | 'state'>;
  readonly transitions: Counter<'policy' | 'from' | 'to'>;
  readonly calls: Counter<'policy' | 'outcome'>;
  readonly retryAttempts: Counter<'policy'>;
  readonly bulkheadActive: Gauge<'policy'>;
  readonly bulkheadQueued: Gauge<'policy'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const sources = this.sources;
    const circuitStateInfo = new Gauge({
      name: 'resilience_circuit_state_info',
      help: 'Circuit breaker state as one 0/1 series per state',
      labelNames: ['policy', 'state'] as const,
      registers,
      collect() {
        this.reset();
        for (const source of sources) {
          for (const [policy, breaker] of source.breakers()) {
            for (const state of STATES) this.set({ policy, state }, breaker.state === state ? 1 : 0);
          }
        }
      },
    });
    this.circuitStateInfo = circuitStateInfo;
    this.circuitState = new Gauge({
      name: 'resilience_circuit_state',
      help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
      labelNames: ['policy'] as const,
      registers,
      collect() {
        this.reset();
        for (const source of sources) {
          for (const [policy, breaker] of source.breakers()) this.set({ policy }, STATE_VALUE[breaker.state]);
        }
      },
    });
    this.transitions = new Counter({
      name: 'resilience_circuit_transitions_total',
      help: 'Circuit breaker state changes',
      labelNames: ['policy', 'from', 'to'] as const,
      registers,
    });
    this.calls = new Counter({
      name: 'resilience_calls_total',
      help: 'Calls through a named policy by outcome: success, failure, rejected or timeout',
      labelNames: ['policy', 'outcome'] as const,
      registers,
    });
    this.retryAttempts = new Counter({
      name: 'resilience_retry_attempts_total',
      help: 'Retries made (attempts after the first)',
      labelNames: ['policy'] as const,
      registers,
    });
    const bulkheadGauge = (name: string, help: string, read: (b: Bulkhead) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['policy'] as const,
        registers,
        collect() {
          this.reset();
          for (const source of sources)
            for (const [policy, b] of source.bulkheads()) this.set({ policy }, read(b));
        },
      });
    this.bulkheadActive = bulkheadGauge(
      'resilience_bulkhead_active',
      'Calls running inside a bulkhead',
      (b) => b.active,
    );
    this.bulkheadQueued = bulkheadGauge(
      'resilience_bulkhead_queued',
      'Calls waiting for a bulkhead slot',
      (b) => b.queued,
    );
  }
}

/** The metric set for `registry`, shared by every resilience plugin on it. */
export const metricsFor = (registry: Registry): ResilienceMetrics =>
  metricSet(registry, 'resilience_circuit_state', (r) => new ResilienceMetrics(r));
