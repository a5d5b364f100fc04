import { type Static, Type } from '@sinclair/typebox';

const Labels = Type.Record(Type.String(), Type.String());

export const AlertSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    labels: Labels,
    annotations: Type.Optional(Labels),
    startsAt: Type.String({ format: 'date-time' }),
    endsAt: Type.Optional(Type.String()),
    generatorURL: Type.Optional(Type.String()),
    fingerprint: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { title: 'AlertmanagerAlert' },
);

/** Alertmanager's webhook body (version 4); fields it may add later are accepted and ignored. */
export const AlertmanagerPayloadSchema = Type.Object(
  {
    version: Type.String({ description: 'Alertmanager sends "4"' }),
    groupKey: Type.String({ minLength: 1, maxLength: 2000 }),
    truncatedAlerts: Type.Optional(Type.Integer({ minimum: 0 })),
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    receiver: Type.String(),
    groupLabels: Labels,
    commonLabels: Labels,
    commonAnnotations: Labels,
    externalURL: Type.String(),
    alerts: Type.Array(AlertSchema, { minItems: 1, maxItems: 1000 }),
  },
  { title: 'AlertmanagerPayload' },
);

export type AlertmanagerPayload = Static<typeof AlertmanagerPayloadSchema>;
export type AlertmanagerAlert = Static<typeof AlertSchema>;
