import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { callerOf } from '@steadfast/auth';
import { PreconditionFailedError } from '@steadfast/errors';
import { DataEnvelope, envelope, ListEnvelope, PageQuery, UuidParams } from '@steadfast/http';
import type { ServiceApp } from '@steadfast/service-kit';
import type { FastifyReply } from 'fastify';
import { NonBlankText, Text } from '../../http/text.js';
import { idempotencyKeyOf, requestHash } from '../../incidents/idempotency.js';
import type { Incident } from '../../incidents/incident.js';
import type { IncidentService } from '../../incidents/incident.service.js';
import { POSTMORTEM_TIMELINE_MAX, renderPostmortem } from '../../incidents/postmortem.js';
import { PRIORITIES, SEVERITIES, STATUSES } from '../../incidents/status.js';

const Severity = Type.Union(
  SEVERITIES.map((s) => Type.Literal(s)),
  { description: 'critical (P1), high (P2), medium (P3) or low (P4)' },
);
const Status = Type.Union(
  STATUSES.map((s) => Type.Literal(s)),
  { description: 'open → investigating → identified → monitoring → resolved' },
);
const Timestamp = Type.String({ format: 'date-time' });
const OptionalTimestamp = Type.Union([Timestamp, Type.Null()]);

export const TimelineEventSchema = Type.Object(
  {
    id: Type.Integer(),
    incidentId: Type.String({ format: 'uuid' }),
    kind: Type.Union(
      [
        'created',
        'status_changed',
        'severity_changed',
        'alert_firing',
        'alert_resolved',
        'acknowledged',
        'experiment_started',
        'experiment_ended',
        'note',
      ].map((k) => Type.Literal(k)),
    ),
    message: Type.String(),
    details: Type.Record(Type.String(), Type.Unknown()),
    createdAt: Timestamp,
  },
  { $id: 'TimelineEvent', title: 'TimelineEvent' },
);

const incidentProperties = {
  id: Type.String({ format: 'uuid' }),
  title: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  severity: Severity,
  priority: Type.Union(
    Object.values(PRIORITIES).map((p) => Type.Literal(p)),
    { description: 'The severity as a priority: critical is P1, low is P4' },
  ),
  status: Status,
  version: Type.Integer({ description: 'Bumped on every change; the ETag is its quoted value' }),
  serviceIds: Type.Array(Type.String({ format: 'uuid' })),
  services: Type.Array(Type.Object({ id: Type.String({ format: 'uuid' }), name: Type.String() })),
  groupKey: Type.Union([Type.String(), Type.Null()], {
    description: 'Alertmanager group that opened the incident',
  }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  acknowledgedAt: OptionalTimestamp,
  resolvedAt: OptionalTimestamp,
};

export const IncidentSchema = Type.Object(incidentProperties, { $id: 'Incident', title: 'Incident' });

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
export const IncidentAlertSchema = Type.Object(
  {
    fingerprint: Type.String(),
    alertname: Nullable(Type.String()),
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    summary: Nullable(Type.String()),
    startsAt: Timestamp,
    endsAt: OptionalTimestamp,
    tier: Nullable(
      Type.String({ description: 'sloth_tier: page-fast, page-slow, ticket-fast, ticket-slow' }),
    ),
    sloSeverity: Nullable(Type.String({ description: 'sloth_severity: page or ticket' })),
    longWindow: Nullable(Type.String()),
    shortWindow: Nullable(Type.String()),
    defaultWindows: Type.Boolean({
      description: 'The windows are the tier’s defaults (the alert did not carry long_window/short_window)',
    }),
    burnRateThreshold: Nullable(Type.Number()),
    errorRatio: Nullable(Type.Number({ description: 'The error ratio when the alert fired' })),
    burnRate: Nullable(Type.Number({ description: 'errorRatio / (1 − objective)' })),
    objective: Nullable(Type.Number({ description: 'As a ratio, e.g. 0.999' })),
    periodDays: Nullable(Type.Number()),
    runbookUrl: Nullable(
      Type.String({ description: 'The alert’s runbook_url annotation (http or https only)' }),
    ),
  },
  { $id: 'IncidentAlert', title: 'IncidentAlert' },
);
export const IncidentWithTimelineSchema = Type.Object(
  {
    ...incidentProperties,
    timeline: Type.Array(Type.Ref(TimelineEventSchema), {
      description:
        'The latest entries, oldest first; GET /v1/incidents/{id}/timeline pages through all of them',
    }),
    timelineTruncated: Type.Boolean({ description: 'Whether earlier entries exist than those embedded' }),
    alerts: Type.Array(Type.Ref(IncidentAlertSchema), {
      description: 'The incident’s alerts (every tier and group), the first ones by when they fired',
    }),
    alertsTruncated: Type.Boolean({ description: 'Whether it has more alerts than those embedded' }),
  },
  { $id: 'IncidentWithTimeline', title: 'IncidentWithTimeline' },
);

const Title = NonBlankText({ maxLength: 200 });
const Description = Type.Union([Text({ maxLength: 10_000 }), Type.Null()]);
const ServiceIds = Type.Array(Type.String({ format: 'uuid' }), { maxItems: 50, uniqueItems: true });
const ServiceName = NonBlankText({ maxLength: 100, description: 'A service’s name' });
const ServiceNames = Type.Array(ServiceName, {
  maxItems: 50,
  uniqueItems: true,
  description: 'Affected services by name; a name the catalog does not know is added to it',
});

export const CreateIncidentSchema = Type.Object(
  {
    title: Title,
    description: Type.Optional(Description),
    severity: Type.Optional(
      Type.Union(
        SEVERITIES.map((s) => Type.Literal(s)),
        { default: 'medium' },
      ),
    ),
    serviceIds: Type.Optional(ServiceIds),
    services: Type.Optional(ServiceNames),
  },
  { additionalProperties: false },
);
export const UpdateIncidentSchema = Type.Object(
  {
    title: Type.Optional(Title),
    description: Type.Optional(Description),
    severity: Type.Optional(Severity),
    status: Type.Optional(Status),
    serviceIds: Type.Optional(ServiceIds),
    services: Type.Optional(ServiceNames),
  },
  { additionalProperties: false, minProperties: 1 },
);
export const NOTE_MAX_LENGTH = 10_000;
export const NoteSchema = Type.Object(
  { message: NonBlankText({ maxLength: NOTE_MAX_LENGTH }) },
  { additionalProperties: false },
);

const ServiceFilter = { service: Type.Optional(ServiceName) };
const ListIncidentsQuery = PageQuery({
  status: Type.Optional(Status),
  severity: Type.Optional(Severity),
  serviceId: Type.Optional(Type.String({ format: 'uuid' })),
  ...ServiceFilter,
});
const CreateHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Text({
      minLength: 1,
      maxLength: 255,
      description: 'Retries with the same key and body get the first response; another body gets 409',
    }),
  ),
});
const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({ description: 'The ETag you read; a stale one gets 412 and changes nothing' }),
  ),
});

const DetailEnvelope = DataEnvelope(Type.Ref(IncidentWithTimelineSchema));
type DetailBody = Static<typeof DetailEnvelope>;
const tags = ['incidents'];

const etagOf = (incident: Pick<Incident, 'version'>) => `"${incident.version}"`;

/** The version an If-Match names; `*` (or no header) means any. Anything unreadable can match nothing. */
function expectedVersion(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!match?.[1]) {
    throw new PreconditionFailedError(`If-Match ${JSON.stringify(header)} names no version`);
  }
  return Number(match[1]);
}

export interface IncidentsRoutesOptions {
  incidents: IncidentService;
}

export async function incidentsRoutes(app: ServiceApp, { incidents }: IncidentsRoutesOptions) {
  app.addSchema(TimelineEventSchema);
  app.addSchema(IncidentSchema);
  app.addSchema(IncidentAlertSchema);
  app.addSchema(IncidentWithTimelineSchema);

  const withEtag = (reply: FastifyReply, incident: Incident) => reply.header('etag', etagOf(incident));

  app.post(
    '/',
    {
      config: { scope: 'incidents:write' },
      schema: {
        tags,
        summary: 'Open an incident',
        description:
          'Send `Idempotency-Key` to make retries safe: the first response is stored and replayed.',
        headers: CreateHeaders,
        body: CreateIncidentSchema,
        response: { 201: DetailEnvelope },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      if (key === undefined) {
        const incident = await incidents.open(request.body);
        withEtag(reply, incident).code(201).header('location', `/v1/incidents/${incident.id}`);
        return envelope(reply, incident);
      }
      const response = await incidents.openOnce(request.body, {
        // Keys are per caller: another client can neither pre-claim this key nor read its stored response.
        key: idempotencyKeyOf(callerOf(request), key),
        hash: requestHash(request.body),
        render: (incident) => ({
          statusCode: 201,
          headers: { location: `/v1/incidents/${incident.id}`, etag: etagOf(incident) },
          body: envelope(reply, incident),
        }),
      });
      reply.code(response.statusCode as 201).headers(response.headers);
      if (response.replayed) reply.header('idempotent-replayed', 'true');
      return response.body as DetailBody;
    },
  );

  app.get(
    '/',
    {
      config: { scope: 'incidents:read' },
      schema: {
        tags,
        summary: 'List incidents, newest first, by status, severity or affected service',
        querystring: ListIncidentsQuery,
        response: { 200: ListEnvelope(Type.Ref(IncidentSchema)) },
      },
    },
    async (request, reply) => {
      const { limit, cursor, ...filter } = request.query;
      const page = await incidents.list(filter, { limit, cursor });
      return envelope(reply, page.incidents, { count: page.incidents.length, nextCursor: page.nextCursor });
    },
  );

  app.get(
    '/active',
    {
      config: { scope: 'incidents:read' },
      schema: {
        tags,
        summary: 'List unresolved incidents, newest first',
        querystring: PageQuery(ServiceFilter),
        response: { 200: ListEnvelope(Type.Ref(IncidentSchema)) },
      },
    },
    async (request, reply) => {
      const { limit, cursor, service } = request.query;
      const page = await incidents.list({ active: true, service }, { limit, cursor });
      return envelope(reply, page.incidents, { count: page.incidents.length, nextCursor: page.nextCursor });
    },
  );

  app.get(
    '/:id',
    {
      config: { scope: 'incidents:read' },
      schema: {
        tags,
        summary: 'Get an incident with the latest entries of its timeline',
        params: UuidParams,
        response: { 200: DetailEnvelope },
      },
    },
    async (request, reply) => {
      const incident = await incidents.get(request.params.id);
      withEtag(reply, incident);
      return envelope(reply, incident);
    },
  );

  app.patch(
    '/:id',
    {
      config: { scope: 'incidents:write' },
      schema: {
        tags,
        summary: 'Change an incident (title, description, severity, status, services)',
        description:
          'Status moves forward any number of steps, or from resolved back to investigating; anything else is ' +
          '422 INVALID_STATE_TRANSITION. `serviceIds` and `services` (names, added to the catalog when unknown) ' +
          'together replace the affected services. A status change acknowledges nothing: POST …/acknowledge does. ' +
          'Send the ETag as If-Match to refuse overwriting another editor (412).',
        params: UuidParams,
        headers: IfMatchHeaders,
        body: UpdateIncidentSchema,
        response: { 200: DetailEnvelope },
      },
    },
    async (request, reply) => {
      const incident = await incidents.change(
        request.params.id,
        request.body,
        expectedVersion(request.headers['if-match']),
      );
      withEtag(reply, incident);
      return envelope(reply, incident);
    },
  );

  app.post(
    '/:id/acknowledge',
    {
      config: { scope: 'incidents:write' },
      schema: {
        tags,
        summary: 'Acknowledge an incident: a person takes it on',
        description:
          'Stamps acknowledgedAt (time to acknowledge counts only this) and moves an open incident to ' +
          'investigating. Acknowledging an acknowledged incident answers 200 and changes nothing; a resolved one ' +
          'that no one acknowledged is 409 INCIDENT_RESOLVED. If-Match as on PATCH (412).',
        params: UuidParams,
        headers: IfMatchHeaders,
        response: { 200: DetailEnvelope },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const incident = await incidents.acknowledge(
        request.params.id,
        caller,
        expectedVersion(request.headers['if-match']),
      );
      withEtag(reply, incident);
      return envelope(reply, incident);
    },
  );

  app.get(
    '/:id/timeline',
    {
      config: { scope: 'incidents:read' },
      schema: {
        tags,
        summary: 'An incident’s timeline, oldest first, a page at a time',
        params: UuidParams,
        querystring: PageQuery(),
        response: { 200: ListEnvelope(Type.Ref(TimelineEventSchema)) },
      },
    },
    async (request, reply) => {
      const { limit, cursor } = request.query;
      const page = await incidents.timeline(request.params.id, { limit, cursor });
      return envelope(reply, page.entries, { count: page.entries.length, nextCursor: page.nextCursor });
    },
  );

  app.post(
    '/:id/timeline',
    {
      config: { scope: 'incidents:write' },
      schema: {
        tags,
        summary: 'Add a note to an incident’s timeline',
        description:
          'An incident holds at most NOTES_PER_INCIDENT_MAX notes; one more is 409 NOTES_LIMIT_REACHED.',
        params: UuidParams,
        body: NoteSchema,
        response: { 201: DataEnvelope(Type.Ref(TimelineEventSchema)) },
      },
    },
    async (request, reply) => {
      const { event, incident } = await incidents.addNote(request.params.id, request.body.message);
      withEtag(reply, incident).code(201).header('location', `/v1/incidents/${incident.id}/timeline`);
      return envelope(reply, event);
    },
  );

  app.get(
    '/:id/postmortem',
    {
      config: { scope: 'incidents:read' },
      schema: {
        tags,
        summary: 'A post-incident review in Markdown, filled from the incident',
        params: UuidParams,
        response: {
          200: {
            description: 'text/markdown; charset=utf-8',
            content: { 'text/markdown': { schema: Type.String() } },
          },
        },
      },
    },
    async (request, reply) => {
      const review = await incidents.review(request.params.id, POSTMORTEM_TIMELINE_MAX);
      return reply
        .header('etag', etagOf(review.incident))
        .type('text/markdown; charset=utf-8')
        .send(renderPostmortem(review));
    },
  );
}
