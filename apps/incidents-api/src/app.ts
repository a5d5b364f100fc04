import { createService } from '@steadfast/service-kit';
import type { Kysely } from 'kysely';
import type { DestinationStream } from 'pino';
import { alertIntake } from './alerts/intake.js';
import type { IncidentsApiConfig } from './config.js';
import { migrations } from './db/migrations/index.js';
import type { Database } from './db/schema.js';
import { pruneIncidentEvents } from './events/event.repository.js';
import { incidentEventService } from './events/event.service.js';
import { IncidentEventBus } from './events/event-bus.js';
import { eventRelayPlugin } from './events/event-relay.js';
import { pruneExperimentEvents } from './experiments/experiment.repository.js';
import { experimentService } from './experiments/experiment.service.js';
import type { Publish } from './incidents/effects.js';
import { pruneIdempotencyKeys } from './incidents/idempotency.js';
import { countOpenIncidents } from './incidents/incident.repository.js';
import { incidentService } from './incidents/incident.service.js';
import { incidentMetrics } from './metrics.js';
import { pruningPlugin } from './pruning.js';
import { quietPeriodPlugin } from './quiet-period.js';
import { incidentsRoutes } from './routes/v1/incidents.js';
import { integrationsRoutes } from './routes/v1/integrations.js';
import { servicesRoutes } from './routes/v1/services.js';
import { incidentStreamRoutes } from './routes/v1/stream.js';
import { serviceCatalog } from './services/service.service.js';

export const SERVICE = {
  name: 'incidents-api',
  version: '0.1.0',
  description: 'Incidents, their timelines and postmortems; Alertmanager intake; live updates',
  migrations,
};

export interface BuildOptions {
  logStream?: DestinationStream;
}

export async function buildApp(config: IncidentsApiConfig, { logStream }: BuildOptions = {}) {
  const app = await createService({ service: SERVICE, config, ...(logStream ? { logStream } : {}) });
  const db: Kysely<Database> = app.db;

  const bus = new IncidentEventBus();
  // Every database call a request makes runs through the kit's database policy (breaker + timeout): a scrape's
  // count of open incidents too.
  const openIncidents = app.guardDatabase({ count: () => countOpenIncidents(db) });
  const metrics = incidentMetrics(app.metricsRegistry, openIncidents.count, app.log);
  const publish: Publish = (effects) => {
    metrics.observe(effects);
    bus.publish(effects.events);
  };
  const incidentOptions = {
    timelineEmbed: config.TIMELINE_EMBED_LIMIT,
    notesMax: config.NOTES_PER_INCIDENT_MAX,
  };
  const incidents = app.guardDatabase(incidentService(db, publish, incidentOptions));
  const intake = app.guardDatabase(
    alertIntake(db, publish, { resolveStatus: config.ALERTS_RESOLVE_STATUS, incidents: incidentOptions }),
  );
  const events = app.guardDatabase(incidentEventService(db));

  await app.register(eventRelayPlugin, { bus, events });
  await app.register(pruningPlugin, {
    intervalMs: config.PRUNE_INTERVAL_MS,
    steps: app.guardDatabase({
      incidentEvents: (batch: number) =>
        pruneIncidentEvents(
          db,
          { retentionHours: config.EVENT_LOG_RETENTION_HOURS, maxRows: config.EVENT_LOG_MAX_ROWS },
          batch,
        ),
      idempotencyKeys: (batch: number) => pruneIdempotencyKeys(db, batch),
      experimentEvents: (batch: number) =>
        pruneExperimentEvents(db, config.EXPERIMENT_RETENTION_HOURS, batch),
    }),
  });
  await app.register(quietPeriodPlugin, {
    periodMs: config.INCIDENT_QUIET_PERIOD_MS,
    checkMs: config.INCIDENT_QUIET_CHECK_MS,
    resolveQuiet: (periodMs: number) => incidents.resolveQuiet(periodMs),
  });
  await app.register(servicesRoutes, {
    prefix: '/v1/services',
    services: app.guardDatabase(serviceCatalog(db)),
  });
  await app.register(incidentStreamRoutes, {
    prefix: '/v1/incidents',
    events,
    bus,
    heartbeatMs: config.SSE_HEARTBEAT_MS,
    limits: {
      maxStreams: config.SSE_MAX_STREAMS,
      maxStreamsPerClient: config.SSE_MAX_STREAMS_PER_CLIENT,
      maxBufferedBytes: config.SSE_MAX_BUFFERED_BYTES,
      drainTimeoutMs: config.SSE_DRAIN_TIMEOUT_MS,
      replayMax: config.SSE_REPLAY_MAX,
    },
  });
  await app.register(incidentsRoutes, { prefix: '/v1/incidents', incidents });
  await app.register(integrationsRoutes, {
    prefix: '/v1/integrations',
    intake,
    experiments: app.guardDatabase(experimentService(db, publish, incidentOptions)),
    metrics,
    alertsToken: config.ALERTS_TOKEN,
    integrationToken: config.INTEGRATION_TOKEN,
    bodyLimit: config.ALERTS_BODY_LIMIT_BYTES,
  });
  return app;
}
