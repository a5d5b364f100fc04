import { type Static, Type } from '@sinclair/typebox';
import { serviceConfigSchema } from '@steadfast/service-kit';

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
      description: 'Bearer token Alertmanager sends; unset disables /v1/integrations/alertmanager (503)',
    }),
  ),
  ALERTS_RESOLVE_STATUS: Type.Union([Type.Literal('monitoring'), Type.Literal('resolved')], {
    default: 'monitoring',
    description: 'Where an incident goes when every alert of its group has resolved',
  }),
  SSE_HEARTBEAT_MS: Type.Integer({
    minimum: 10,
    default: 15_000,
    description: 'Interval of the comment lines that keep /v1/incidents/stream connections alive',
  }),
});

export type IncidentsApiConfig = Static<typeof IncidentsApiConfigSchema>;
