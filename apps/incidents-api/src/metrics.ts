import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Severity } from './db/schema.js';
import type { Effects } from './incidents/effects.js';
import { SEVERITIES } from './incidents/status.js';

// Incidents are acknowledged in minutes and resolved in minutes to days.
const DURATION_BUCKETS = [60, 300, 600, 1800, 3600, 7200, 14_400, 43_200, 86_400, 259_200, 604_800];

/** The incident metrics on the service's registry; open incidents are counted in the database at scrape time. */
export function incidentMetrics(
  registry: Registry,
  countOpen: () => Promise<Map<Severity, number>>,
  log: FastifyBaseLogger,
) {
  new Gauge({
    name: 'incidents_open',
    help: 'Incidents not yet resolved, by severity',
    labelNames: ['severity'] as const,
    registers: [registry],
    async collect() {
      try {
        const counts = await countOpen();
        for (const severity of SEVERITIES) this.set({ severity }, counts.get(severity) ?? 0);
      } catch (error) {
        // A scrape during an outage keeps the last counts rather than failing the whole scrape.
        log.warn({ err: error }, 'incidents_open: could not count open incidents');
      }
    },
  });
  const timeToAcknowledge = new Histogram({
    name: 'incident_time_to_acknowledge_seconds',
    help: 'Time from an incident opening to its leaving the open status',
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const timeToResolve = new Histogram({
    name: 'incident_time_to_resolve_seconds',
    help: 'Time from an incident opening to its resolution',
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const alertsReceived = new Counter({
    name: 'alerts_received_total',
    help: 'Alerts received from Alertmanager, by the status they were sent with',
    labelNames: ['status'] as const,
    registers: [registry],
  });

  return {
    alertsReceived,
    /** Records the timings of committed changes. */
    observe(effects: Effects) {
      for (const seconds of effects.acknowledgedAfter) timeToAcknowledge.observe(seconds);
      for (const seconds of effects.resolvedAfter) timeToResolve.observe(seconds);
    },
  };
}

export type IncidentMetrics = ReturnType<typeof incidentMetrics>;
