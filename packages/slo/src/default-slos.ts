import { InvalidSloInputError } from './errors.js';
import type { LiveSloDefinition } from './live-slo.js';
import { DEFAULT_PERIOD_DAYS } from './specs.js';

export const DEFAULT_AVAILABILITY_OBJECTIVE = 0.999;
export const DEFAULT_LATENCY_OBJECTIVE = 0.99;
export const DEFAULT_LATENCY_THRESHOLD_MS = 500;

/**
 * The two SLOs every service starts with, the same as its Prometheus spec in deploy/prometheus/slos:
 * 99.9 % of requests do not fail with a 5xx, and 99 % are answered within 500 ms, over 30 days.
 */
export function defaultServiceSlos(service: string): LiveSloDefinition[] {
  if (typeof service !== 'string' || service.trim() === '') {
    throw new InvalidSloInputError('service', service, 'a service name such as "users-api"');
  }
  return [
    {
      name: 'requests-availability',
      description: `Requests to ${service} that do not fail with a 5xx.`,
      kind: 'availability',
      objective: DEFAULT_AVAILABILITY_OBJECTIVE,
      periodDays: DEFAULT_PERIOD_DAYS,
    },
    {
      name: 'requests-latency',
      description: `Requests to ${service} answered within ${DEFAULT_LATENCY_THRESHOLD_MS} ms.`,
      kind: 'latency',
      objective: DEFAULT_LATENCY_OBJECTIVE,
      periodDays: DEFAULT_PERIOD_DAYS,
      thresholdMs: DEFAULT_LATENCY_THRESHOLD_MS,
    },
  ];
}
