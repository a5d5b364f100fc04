import { type Static, Type } from '@sinclair/typebox';
import { serviceConfigSchema } from '@steadfast/service-kit';
import { DEFAULT_ALERTS_BODY_LIMIT_BYTES } from './alerts/intake.js';
import { DEFAULT_NOTES_MAX, DEFAULT_TIMELINE_EMBED } from './incidents/incident.service.js';
import { DEFAULT_PRUNING } from './pruning.js';
import { DEFAULT_QUIET } from './quiet-period.js';
import { DEFAULT_STREAM_LIMITS } from './routes/v1/stream.js';

export const IncidentsApiConfigSchema = serviceConfigSchema({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3002, description: 'Port to listen on' }),
  DATA_DIR: Type.String({
    minLength: 1,
    default: '.data/incidents-api',
    description: 'Embedded PostgreSQL data',
  }),
  ALERTS_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      description: 'Bearer token Alertmanager sends; unset disables /v1/integrations/alertmanager (404)',
    }),
  ),
  INTEGRATION_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      description:
        'Bearer token chaos sends its experiments with; unset disables /v1/integrations/chaos (404)',
    }),
  ),
  INCIDENT_QUIET_PERIOD_MS: Type.Integer({
    minimum: 0,
    default: DEFAULT_QUIET.periodMs,
    description:
      'How long a monitoring incident’s alerts must stay resolved (and nothing change) before it is resolved; 0: never',
  }),
  INCIDENT_QUIET_CHECK_MS: Type.Integer({
    minimum: 1000,
    default: DEFAULT_QUIET.checkMs,
    description: 'How often monitoring incidents are checked for the quiet period',
  }),
  EXPERIMENT_RETENTION_HOURS: Type.Integer({
    minimum: 1,
    default: DEFAULT_PRUNING.experimentRetentionHours,
    description: 'Chaos experiment announcements older than this are pruned (their timeline entries stay)',
  }),
  ALERTS_RESOLVE_STATUS: Type.Union([Type.Literal('monitoring'), Type.Literal('resolved')], {
    default: 'monitoring',
    description: 'Where an incident goes when every alert of its group has resolved',
  }),
  ALERTS_BODY_LIMIT_BYTES: Type.Integer({
    minimum: 1024,
    default: DEFAULT_ALERTS_BODY_LIMIT_BYTES,
    description: 'Largest Alertmanager notification accepted (Alertmanager sends whole groups)',
  }),
  TIMELINE_EMBED_LIMIT: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: DEFAULT_TIMELINE_EMBED,
    description: 'Latest timeline entries embedded in an incident; the rest are paged at /timeline',
  }),
  NOTES_PER_INCIDENT_MAX: Type.Integer({
    minimum: 1,
    default: DEFAULT_NOTES_MAX,
    description: 'Notes one incident may hold; one more is 409 NOTES_LIMIT_REACHED',
  }),
  SSE_HEARTBEAT_MS: Type.Integer({
    minimum: 10,
    default: 15_000,
    description: 'Interval of the comment lines that keep /v1/incidents/stream connections alive',
  }),
  SSE_MAX_STREAMS: Type.Integer({
    minimum: 1,
    default: DEFAULT_STREAM_LIMITS.maxStreams,
    description: 'Open streams per process; one more is 503 with Retry-After',
  }),
  SSE_MAX_STREAMS_PER_CLIENT: Type.Integer({
    minimum: 1,
    default: DEFAULT_STREAM_LIMITS.maxStreamsPerClient,
    description: 'Open streams per client (token subject, or address with auth off); one more is 429',
  }),
  SSE_MAX_BUFFERED_BYTES: Type.Integer({
    minimum: 1024,
    default: DEFAULT_STREAM_LIMITS.maxBufferedBytes,
    description: 'Bytes a stream may hold for a client that does not read before it is dropped',
  }),
  SSE_DRAIN_TIMEOUT_MS: Type.Integer({
    minimum: 10,
    default: DEFAULT_STREAM_LIMITS.drainTimeoutMs,
    description: 'How long a client may leave its socket buffer full before it is dropped',
  }),
  SSE_REPLAY_MAX: Type.Integer({
    minimum: 1,
    default: DEFAULT_STREAM_LIMITS.replayMax,
    description:
      'Most events replayed after Last-Event-ID; further behind, the latest ones and replay.truncated',
  }),
  EVENT_LOG_RETENTION_HOURS: Type.Integer({
    minimum: 1,
    default: DEFAULT_PRUNING.retentionHours,
    description: 'Stream events older than this are pruned',
  }),
  EVENT_LOG_MAX_ROWS: Type.Integer({
    minimum: 1,
    default: DEFAULT_PRUNING.maxRows,
    description: 'Stream events kept at most (the newest)',
  }),
  PRUNE_INTERVAL_MS: Type.Integer({
    minimum: 1000,
    default: DEFAULT_PRUNING.intervalMs,
    description: 'How often the event log, experiments and expired idempotency keys are pruned',
  }),
});

export type IncidentsApiConfig = Static<typeof IncidentsApiConfigSchema>;
