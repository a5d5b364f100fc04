import { type Static, Type } from '@sinclair/typebox';
import { Text, TextRecord } from '../http/text.js';

const Labels = TextRecord();

export const AlertSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    labels: Labels,
    annotations: Type.Optional(Labels),
    startsAt: Type.String({ format: 'date-time' }),
    endsAt: Type.Optional(Text()),
    generatorURL: Type.Optional(Text()),
    fingerprint: Text({ minLength: 1, maxLength: 200 }),
  },
  { title: 'AlertmanagerAlert' },
);

/**
 * Alertmanager's webhook body (version 4); fields it may add later are accepted and ignored. A group may hold any
 * number of alerts (Alertmanager sends them all unless `max_alerts` is set): the route's body limit bounds them.
 */
export const AlertmanagerPayloadSchema = Type.Object(
  {
    version: Text({ description: 'Alertmanager sends "4"' }),
    groupKey: Text({ minLength: 1, maxLength: 10_000 }),
    truncatedAlerts: Type.Optional(Type.Integer({ minimum: 0 })),
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    receiver: Text(),
    groupLabels: Labels,
    commonLabels: Labels,
    commonAnnotations: Labels,
    externalURL: Text(),
    alerts: Type.Array(AlertSchema, { minItems: 1 }),
  },
  { title: 'AlertmanagerPayload' },
);

export type AlertmanagerPayload = Static<typeof AlertmanagerPayloadSchema>;
export type AlertmanagerAlert = Static<typeof AlertSchema>;
