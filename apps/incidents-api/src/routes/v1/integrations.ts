import { Type } from '@sinclair/typebox';
import { bearerGuard } from '@steadfast/auth';
import { isAppError, NotFoundError } from '@steadfast/errors';
import { DataEnvelope, envelope } from '@steadfast/http';
import type { ServiceApp } from '@steadfast/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AlertIntake, receiveInBatches } from '../../alerts/intake.js';
import { AlertmanagerPayloadSchema } from '../../alerts/payload.js';
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

export interface IntegrationsRoutesOptions {
  intake: AlertIntake;
  metrics: IncidentMetrics;
  alertsToken: string | undefined;
  /** The route's own body limit: Alertmanager sends whole groups. */
  bodyLimit: number;
}

export async function integrationsRoutes(
  app: ServiceApp,
  { intake, metrics, alertsToken, bodyLimit }: IntegrationsRoutesOptions,
) {
  app.addSchema(AlertIntakeResultSchema);

  app.post(
    '/alertmanager',
    {
      // Checked before the body is parsed: strangers get 401/403, not a validation report.
      onRequest: alertsGuard(alertsToken),
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
}

/**
 * Admits Alertmanager's bearer token. Without a configured ALERTS_TOKEN the route is disabled, never open: 404,
 * a client's error, so that strangers knocking cannot burn the availability SLO (a 503 would count against it).
 */
function alertsGuard(token: string | undefined) {
  const check =
    token === undefined ? undefined : bearerGuard(token, { realm: 'the Alertmanager integration' });
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!check) {
      throw new NotFoundError(
        'The Alertmanager integration is disabled: ALERTS_TOKEN is not set',
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
