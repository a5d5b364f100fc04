import { Type } from '@sinclair/typebox';
import { bearerGuard } from '@steadfast/auth';
import { isAppError, NotFoundError } from '@steadfast/errors';
import { DataEnvelope, envelope } from '@steadfast/http';
import type { ServiceApp } from '@steadfast/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AlertIntake, receiveInBatches } from '../../alerts/intake.js';
import { AlertmanagerPayloadSchema } from '../../alerts/payload.js';
import type { ExperimentEndedBy } from '../../db/schema.js';
import type { ExperimentService } from '../../experiments/experiment.service.js';
import { NonBlankText, Text } from '../../http/text.js';
import type { IncidentMetrics } from '../../metrics.js';

export const AlertIntakeResultSchema = Type.Object(
  {
    incidentId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    incidentCreated: Type.Boolean(),
    alerts: Type.Object({
      new: Type.Integer({ description: 'Alerts seen for the first time' }),
      resolved: Type.Integer({ description: 'Known firing alerts that resolved' }),
      duplicate: Type.Integer({
        description: 'Alerts already recorded in this state (re-sent notifications)',
      }),
    }),
  },
  { $id: 'AlertIntakeResult', title: 'AlertIntakeResult' },
);

const Timestamp = Type.String({ format: 'date-time' });

/** What chaos announces about an experiment; see the README's "Chaos integration". */
export const ExperimentAnnouncementSchema = Type.Object(
  {
    event: Type.Union([Type.Literal('started'), Type.Literal('ended')]),
    experimentId: NonBlankText({ maxLength: 128 }),
    service: NonBlankText({ maxLength: 100, description: 'The service the fault runs on, by catalog name' }),
    description: NonBlankText({ maxLength: 500, description: 'e.g. "50 % errors on /v1/users*"' }),
    at: Timestamp,
    endsAt: Type.Optional(Timestamp),
    endedBy: Type.Optional(
      Type.Union(['expired', 'deleted', 'kill-switch', 'stop-condition'].map((by) => Type.Literal(by))),
    ),
    stopCondition: Type.Optional(
      Type.Object(
        {
          description: Text({ maxLength: 500 }),
          value: Type.Number(),
          threshold: Type.Number(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'ExperimentAnnouncement' },
);

export interface IntegrationsRoutesOptions {
  intake: AlertIntake;
  experiments: ExperimentService;
  metrics: IncidentMetrics;
  alertsToken: string | undefined;
  integrationToken: string | undefined;
  /** The route's own body limit: Alertmanager sends whole groups. */
  bodyLimit: number;
}

export async function integrationsRoutes(
  app: ServiceApp,
  { intake, experiments, metrics, alertsToken, integrationToken, bodyLimit }: IntegrationsRoutesOptions,
) {
  app.addSchema(AlertIntakeResultSchema);

  app.post(
    '/alertmanager',
    {
      // Checked before the body is parsed: strangers get 401/403, not a validation report.
      onRequest: integrationGuard(alertsToken, 'Alertmanager', 'ALERTS_TOKEN'),
      config: { bearerAuth: true },
      bodyLimit,
      schema: {
        tags: ['integrations'],
        summary: 'Receive a Prometheus Alertmanager webhook notification',
        description:
          'Requires `Authorization: Bearer <ALERTS_TOKEN>` (404 when ALERTS_TOKEN is unset). A firing group opens ' +
          'an incident or joins the group’s unresolved one; alerts are deduplicated by fingerprint and startsAt ' +
          'and applied in batches, so that a retry after a failure applies only what is missing.',
        body: AlertmanagerPayloadSchema,
        response: { 200: DataEnvelope(Type.Ref(AlertIntakeResultSchema)) },
      },
    },
    async (request, reply) => {
      const result = await receiveInBatches(intake, request.body);
      for (const alert of request.body.alerts) metrics.alertsReceived.inc({ status: alert.status });
      return envelope(reply, result);
    },
  );

  app.post(
    '/chaos',
    {
      onRequest: integrationGuard(integrationToken, 'chaos', 'INTEGRATION_TOKEN'),
      config: { bearerAuth: true },
      schema: {
        tags: ['integrations'],
        summary: 'Receive a chaos experiment’s start or end',
        description:
          'Requires `Authorization: Bearer <INTEGRATION_TOKEN>` (404 when INTEGRATION_TOKEN is unset). Stored once ' +
          'per (experimentId, event): re-sends answer 202 and change nothing. The unresolved incidents on the ' +
          'experiment’s service get a timeline entry; the postmortem lists the experiments that overlapped.',
        body: ExperimentAnnouncementSchema,
        response: { 202: DataEnvelope(Type.Object({ accepted: Type.Literal(true) })) },
      },
    },
    async (request, reply) => {
      const { endedBy, ...rest } = request.body;
      await experiments.announce({ ...rest, endedBy: endedBy as ExperimentEndedBy | undefined });
      reply.code(202);
      return envelope(reply, { accepted: true as const });
    },
  );
}

/**
 * Admits an integration's bearer token. Without a configured token the route is disabled, never open: 404, a
 * client's error, so that strangers knocking cannot burn the availability SLO (a 503 would count against it).
 */
function integrationGuard(token: string | undefined, name: string, variable: string) {
  const check = token === undefined ? undefined : bearerGuard(token, { realm: `the ${name} integration` });
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!check) {
      throw new NotFoundError(
        `The ${name} integration is disabled: ${variable} is not set`,
        'INTEGRATION_DISABLED',
      );
    }
    try {
      check(request.headers.authorization, request.ip);
    } catch (error) {
      if (isAppError(error) && error.statusCode === 401) reply.header('www-authenticate', 'Bearer');
      throw error;
    }
  };
}
