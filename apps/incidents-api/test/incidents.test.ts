import { startTestApp, useTestApp } from '@steadfast/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { idempotencyKeyOf } from '../src/incidents/idempotency.js';
import { STATUSES } from '../src/incidents/status.js';
import {
  CHAOS_ADMIN_TOKEN,
  count,
  createIncident,
  createService,
  failGuardedDatabaseCalls,
  incidentsApp,
  MISSING,
  patchIncident,
  TABLES,
  UUID,
} from './helpers.js';

const t = useTestApp({ ...incidentsApp(), truncate: TABLES });

const post = (payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/v1/incidents', payload: payload as object, headers });

describe('POST /v1/incidents', () => {
  it('opens an incident: 201, Location, ETag, priority and a creation timeline entry', async () => {
    const service = await createService(t.app, { name: 'checkout' });
    const response = await post({
      title: 'Checkout fails',
      description: 'Card payments time out',
      severity: 'critical',
      serviceIds: [service.id],
    });
    expect(response.statusCode).toBe(201);
    const { data } = response.json();
    expect(data).toMatchObject({
      title: 'Checkout fails',
      description: 'Card payments time out',
      severity: 'critical',
      priority: 'P1',
      status: 'open',
      version: 1,
      serviceIds: [service.id],
      services: [{ id: service.id, name: 'checkout' }],
      acknowledgedAt: null,
      resolvedAt: null,
      groupKey: null,
    });
    expect(data.id).toMatch(UUID);
    expect(response.headers.location).toBe(`/v1/incidents/${data.id}`);
    expect(response.headers.etag).toBe('"1"');
    expect(data.timeline).toHaveLength(1);
    expect(data.timeline[0]).toMatchObject({ kind: 'created', incidentId: data.id });
  });

  it('defaults the severity to medium (P3) and trims the title', async () => {
    const { data } = (await post({ title: '  Slow search  ' })).json();
    expect(data).toMatchObject({ title: 'Slow search', severity: 'medium', priority: 'P3', services: [] });
  });

  it('names an unknown service id with 400 UNKNOWN_SERVICE and writes nothing', async () => {
    const service = await createService(t.app);
    const response = await post({ title: 'x', serviceIds: [service.id, MISSING] });
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('UNKNOWN_SERVICE');
    expect(error.message).toContain(MISSING);
    expect(error.details).toEqual([{ field: 'body.serviceIds[1]', message: `no service has id ${MISSING}` }]);
    expect(await count(t.app, 'incidents')).toBe(0);
  });

  it.each([
    [{}, 'body.title'],
    [{ title: '' }, 'body.title'],
    [{ title: '   ' }, 'body.title'],
    [{ title: 'x'.repeat(201) }, 'body.title'],
    [{ title: 'x', severity: 'urgent' }, 'body.severity'],
    [{ title: 'x', serviceIds: ['nope'] }, 'body.serviceIds.0'],
    [{ title: 'x', status: 'resolved' }, 'body.status'],
  ])('rejects %j with 400 naming %s', async (payload, field) => {
    const response = await post(payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(await count(t.app, 'incidents')).toBe(0);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first response for a retry with the same key and body', async () => {
    const payload = { title: 'Retry me', severity: 'high' };
    const first = await post(payload, { 'idempotency-key': 'key-1' });
    const retry = await post({ severity: 'high', title: 'Retry me' }, { 'idempotency-key': 'key-1' });
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers.etag).toBe(first.headers.etag);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await count(t.app, 'incidents')).toBe(1);
  });

  it('rejects a reused key with a different body with 409 IDEMPOTENCY_KEY_REUSED', async () => {
    await post({ title: 'First' }, { 'idempotency-key': 'key-2' });
    const response = await post({ title: 'Second' }, { 'idempotency-key': 'key-2' });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await count(t.app, 'incidents')).toBe(1);
  });

  it('scopes keys to the caller: another client cannot pre-claim or replay them', async () => {
    const from = (remoteAddress: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/incidents',
        remoteAddress,
        headers: { 'idempotency-key': 'shared-key' },
        payload: { title: `From ${remoteAddress}` },
      });
    const attacker = await from('10.0.0.66');
    const victim = await from('10.0.0.7');
    expect([attacker.statusCode, victim.statusCode]).toEqual([201, 201]);
    expect(victim.headers['idempotent-replayed']).toBeUndefined();
    expect(victim.json().data.title).toBe('From 10.0.0.7');
    expect(await count(t.app, 'incidents')).toBe(2);
  });

  it('gives one incident to concurrent retries with the same key', async () => {
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => post({ title: 'Concurrent' }, { 'idempotency-key': 'key-3' })),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(8).fill(201));
    expect(new Set(responses.map((r) => r.json().data.id)).size).toBe(1);
    expect(await count(t.app, 'incidents')).toBe(1);
    expect(await count(t.app, 'incident_events')).toBe(1);
  });

  it('forgets a key after 24 hours', async () => {
    await post({ title: 'Old' }, { 'idempotency-key': 'key-5' });
    await t.app.db
      .updateTable('idempotency_keys')
      .set({ created_at: new Date(Date.now() - 25 * 3600_000) } as never)
      .where('key', '=', idempotencyKeyOf('ip:127.0.0.1', 'key-5')) // keys are stored per caller
      .execute();
    const reused = await post({ title: 'New' }, { 'idempotency-key': 'key-5' });
    expect(reused.statusCode).toBe(201);
    expect(reused.headers['idempotent-replayed']).toBeUndefined();
    expect(await count(t.app, 'incidents')).toBe(2);
  });

  it('does not keep a key whose request failed, so it can be retried', async () => {
    const failed = await post({ title: 'x', serviceIds: [MISSING] }, { 'idempotency-key': 'key-4' });
    expect(failed.statusCode).toBe(400);
    expect(await count(t.app, 'idempotency_keys')).toBe(0);
  });
});

describe('GET /v1/incidents/:id', () => {
  it('returns the incident with its timeline and ETag', async () => {
    const incident = await createIncident(t.app);
    const response = await t.app.inject({ url: `/v1/incidents/${incident.id}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers.etag).toBe('"1"');
    expect(response.json().data.timeline.map((e: { kind: string }) => e.kind)).toEqual(['created']);
  });

  it('answers 400 for a bad id and 404 for an absent one', async () => {
    expect((await t.app.inject({ url: '/v1/incidents/x' })).statusCode).toBe(400);
    const absent = await t.app.inject({ url: `/v1/incidents/${MISSING}` });
    expect(absent.statusCode).toBe(404);
    expect(absent.json().error.code).toBe('NOT_FOUND');
  });
});

describe('GET /v1/incidents and /v1/incidents/active', () => {
  it('filters by status, severity and service, and pages newest first', async () => {
    const service = await createService(t.app);
    const a = await createIncident(t.app, { title: 'A', severity: 'critical', serviceIds: [service.id] });
    const b = await createIncident(t.app, { title: 'B', severity: 'low' });
    const c = await createIncident(t.app, { title: 'C', severity: 'critical' });
    await patchIncident(t.app, c.id, { status: 'resolved' });

    const titles = async (query: string) =>
      (await t.app.inject({ url: `/v1/incidents?${query}` }))
        .json()
        .data.map((i: { title: string }) => i.title);
    expect(await titles('')).toEqual(['C', 'B', 'A']);
    expect(await titles('severity=critical')).toEqual(['C', 'A']);
    expect(await titles('status=resolved')).toEqual(['C']);
    expect(await titles('status=open&severity=critical')).toEqual(['A']);
    expect(await titles(`serviceId=${service.id}`)).toEqual(['A']);

    const first = (await t.app.inject({ url: '/v1/incidents?limit=2' })).json();
    expect(first.meta).toMatchObject({ count: 2 });
    const second = (
      await t.app.inject({ url: `/v1/incidents?limit=2&cursor=${first.meta.nextCursor}` })
    ).json();
    expect(second.data.map((i: { id: string }) => i.id)).toEqual([a.id]);
    expect(second.meta.nextCursor).toBeNull();

    const active = (await t.app.inject({ url: '/v1/incidents/active' })).json();
    expect(active.data.map((i: { id: string }) => i.id)).toEqual([b.id, a.id]);
  });

  it.each(['limit=0', 'limit=101', 'status=done', 'severity=p1', 'serviceId=x', 'cursor=bad', 'sort=x'])(
    'rejects %s with 400',
    async (query) => {
      expect((await t.app.inject({ url: `/v1/incidents?${query}` })).statusCode).toBe(400);
    },
  );
});

describe('PATCH /v1/incidents/:id', () => {
  it('changes fields, bumps the version and ETag, and writes status and severity to the timeline', async () => {
    const service = await createService(t.app);
    const incident = await createIncident(t.app, { severity: 'low' });
    const response = await patchIncident(t.app, incident.id, {
      title: 'Renamed',
      description: 'More detail',
      severity: 'high',
      status: 'identified',
      serviceIds: [service.id],
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers.etag).toBe('"2"');
    const { data } = response.json();
    expect(data).toMatchObject({
      title: 'Renamed',
      description: 'More detail',
      severity: 'high',
      priority: 'P2',
      status: 'identified',
      version: 2,
      serviceIds: [service.id],
    });
    // A status set in passing acknowledges nothing: POST …/acknowledge does.
    expect(data.acknowledgedAt).toBeNull();
    expect(data.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'created',
      'severity_changed',
      'status_changed',
    ]);
    expect(data.timeline[2].details).toMatchObject({ from: 'open', to: 'identified' });
  });

  it('keeps acknowledgedAt, stamps resolvedAt on resolve, and clears resolvedAt on reopen', async () => {
    const incident = await createIncident(t.app);
    const acknowledged = await t.app.inject({
      method: 'POST',
      url: `/v1/incidents/${incident.id}/acknowledge`,
    });
    const acknowledgedAt = acknowledged.json().data.acknowledgedAt;
    expect(acknowledgedAt).not.toBeNull();
    const resolved = (await patchIncident(t.app, incident.id, { status: 'resolved' })).json().data;
    expect(resolved.acknowledgedAt).toBe(acknowledgedAt);
    expect(resolved.resolvedAt).not.toBeNull();
    const reopened = (await patchIncident(t.app, incident.id, { status: 'investigating' })).json().data;
    expect(reopened).toMatchObject({ status: 'investigating', resolvedAt: null, acknowledgedAt });
  });

  it('keeps the version when nothing changes', async () => {
    const incident = await createIncident(t.app, { severity: 'high' });
    const response = await patchIncident(t.app, incident.id, { severity: 'high', status: 'open' });
    expect(response.statusCode).toBe(200);
    expect(response.json().data.version).toBe(1);
  });

  it('answers 404 for an absent incident and 400 for an empty or unknown body', async () => {
    const incident = await createIncident(t.app);
    expect((await patchIncident(t.app, MISSING, { title: 'x' })).statusCode).toBe(404);
    expect((await patchIncident(t.app, incident.id, {})).statusCode).toBe(400);
    expect((await patchIncident(t.app, incident.id, { version: 3 })).statusCode).toBe(400);
    expect((await patchIncident(t.app, incident.id, { serviceIds: [MISSING] })).json().error.code).toBe(
      'UNKNOWN_SERVICE',
    );
  });
});

describe('status transitions', () => {
  const allowed = (from: string, to: string) =>
    from === 'resolved'
      ? to === 'investigating'
      : STATUSES.indexOf(to as never) > STATUSES.indexOf(from as never);
  const cases = STATUSES.flatMap((from) =>
    STATUSES.filter((to) => to !== from).map((to) => [from, to, allowed(from, to)] as const),
  );

  it('allows 11 of the 20 transitions', () => {
    expect(cases.filter(([, , ok]) => ok)).toHaveLength(11);
  });

  it.each(cases)('%s -> %s allowed: %s', async (from, to, ok) => {
    const incident = await createIncident(t.app);
    if (from !== 'open')
      expect((await patchIncident(t.app, incident.id, { status: from })).statusCode).toBe(200);
    const response = await patchIncident(t.app, incident.id, { status: to });
    if (ok) {
      expect(response.statusCode).toBe(200);
      expect(response.json().data.status).toBe(to);
    } else {
      expect(response.statusCode).toBe(422);
      expect(response.json().error).toMatchObject({
        code: 'INVALID_STATE_TRANSITION',
        details: { from, to },
      });
      const after = (await t.app.inject({ url: `/v1/incidents/${incident.id}` })).json().data;
      expect(after.status).toBe(from);
    }
  });
});

describe('If-Match', () => {
  it('gives one 200 and one 412 to two concurrent PATCHes with the same ETag', async () => {
    const incident = await createIncident(t.app);
    const etag = (await t.app.inject({ url: `/v1/incidents/${incident.id}` })).headers.etag as string;
    const [a, b] = await Promise.all([
      patchIncident(t.app, incident.id, { title: 'Editor A' }, { 'if-match': etag }),
      patchIncident(t.app, incident.id, { title: 'Editor B' }, { 'if-match': etag }),
    ]);
    expect([a?.statusCode, b?.statusCode].sort()).toEqual([200, 412]);
    const loser = a?.statusCode === 412 ? a : b;
    expect(loser?.json().error.code).toBe('PRECONDITION_FAILED');
    const winner = a?.statusCode === 200 ? a : b;
    const after = (await t.app.inject({ url: `/v1/incidents/${incident.id}` })).json().data;
    expect(after.title).toBe(winner?.json().data.title);
    expect(after.version).toBe(2);
  });

  it('accepts the current ETag and *, and refuses a stale or unreadable one without changing anything', async () => {
    const incident = await createIncident(t.app);
    expect(
      (await patchIncident(t.app, incident.id, { title: 'One' }, { 'if-match': '"1"' })).statusCode,
    ).toBe(200);
    expect((await patchIncident(t.app, incident.id, { title: 'Two' }, { 'if-match': '*' })).statusCode).toBe(
      200,
    );
    const stale = await patchIncident(t.app, incident.id, { title: 'Stale' }, { 'if-match': '"1"' });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().error.details).toEqual({ currentVersion: 3 });
    expect(
      (await patchIncident(t.app, incident.id, { title: 'x' }, { 'if-match': 'garbage' })).statusCode,
    ).toBe(412);
    expect((await t.app.inject({ url: `/v1/incidents/${incident.id}` })).json().data.title).toBe('Two');
  });
});

describe('timeline notes', () => {
  it('adds notes (201) and lists the timeline in order', async () => {
    const incident = await createIncident(t.app);
    const note = await t.app.inject({
      method: 'POST',
      url: `/v1/incidents/${incident.id}/timeline`,
      payload: { message: 'Rolled back the deploy' },
    });
    expect(note.statusCode).toBe(201);
    expect(note.json().data).toMatchObject({ kind: 'note', message: 'Rolled back the deploy' });
    expect(note.headers.etag).toBe('"2"');
    await patchIncident(t.app, incident.id, { status: 'monitoring' });
    const timeline = await t.app.inject({ url: `/v1/incidents/${incident.id}/timeline` });
    expect(timeline.statusCode).toBe(200);
    expect(timeline.json().data.map((e: { kind: string }) => e.kind)).toEqual([
      'created',
      'note',
      'status_changed',
    ]);
    expect(timeline.json().meta.count).toBe(3);
  });

  it('answers 400 for an empty note and 404 for an absent incident', async () => {
    const incident = await createIncident(t.app);
    const url = `/v1/incidents/${incident.id}/timeline`;
    expect((await t.app.inject({ method: 'POST', url, payload: { message: ' ' } })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url, payload: {} })).statusCode).toBe(400);
    const absent = `/v1/incidents/${MISSING}/timeline`;
    expect((await t.app.inject({ method: 'POST', url: absent, payload: { message: 'x' } })).statusCode).toBe(
      404,
    );
    expect((await t.app.inject({ url: absent })).statusCode).toBe(404);
  });
});

describe('GET /v1/incidents/:id/postmortem', () => {
  it('renders a Markdown review, with — for times not reached yet', async () => {
    const service = await createService(t.app, { name: 'checkout' });
    const incident = await createIncident(t.app, {
      title: 'Checkout | down',
      description: 'Payments failed for EU customers.',
      severity: 'high',
      serviceIds: [service.id],
    });
    const open = await t.app.inject({ url: `/v1/incidents/${incident.id}/postmortem` });
    expect(open.statusCode).toBe(200);
    expect(open.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(open.body).toContain('# Post-incident review: Checkout \\| down');
    expect(open.body).toContain('| Severity | high (P2) |');
    expect(open.body).toContain('| Affected services | checkout |');
    expect(open.body).toContain('| Time to acknowledge | — |');
    expect(open.body).toContain('| Action | Owner | Priority |');
    expect(open.body).toContain('_No alert fired: the incident was opened by hand._');
    expect(open.body).toContain('| Time to resolve | — |');
    expect(open.body).toContain('Payments failed for EU customers.');
    for (const section of [
      '## Summary',
      '## Impact',
      '## Timeline',
      '## Detection',
      '## Response',
      '## Root cause',
      '## Action items',
      '## Lessons learned',
    ]) {
      expect(open.body).toContain(section);
    }

    await patchIncident(t.app, incident.id, { status: 'resolved' });
    const resolved = (await t.app.inject({ url: `/v1/incidents/${incident.id}/postmortem` })).body;
    expect(resolved).toMatch(/\| Time to resolve \| \d+ s \|/);
    expect(resolved).toContain('| status_changed | Status changed from open to resolved |');
  });

  it('answers 404 for an absent incident', async () => {
    expect((await t.app.inject({ url: `/v1/incidents/${MISSING}/postmortem` })).statusCode).toBe(404);
  });
});

describe('metrics and docs', () => {
  it('exposes open incidents by severity and the acknowledge and resolve histograms', async () => {
    await createIncident(t.app, { severity: 'critical' });
    await createIncident(t.app, { severity: 'critical' });
    const done = await createIncident(t.app, { severity: 'low' });
    await t.app.inject({ method: 'POST', url: `/v1/incidents/${done.id}/acknowledge` });
    await patchIncident(t.app, done.id, { status: 'resolved' });
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/incidents_open\{severity="critical",service="incidents-api"\} 2/);
    expect(metrics).toMatch(/incidents_open\{severity="low",service="incidents-api"\} 0/);
    expect(metrics).toMatch(/incident_time_to_acknowledge_seconds_count\{service="incidents-api"\} [1-9]/);
    expect(metrics).toMatch(/incident_time_to_resolve_seconds_count\{service="incidents-api"\} [1-9]/);
  });

  it('counts open incidents through the database guard: while guarded calls fail, a scrape keeps the last counts', async () => {
    const chaotic = await startTestApp(incidentsApp({ CHAOS_ENABLED: 'true', CHAOS_ADMIN_TOKEN }));
    try {
      const critical = async () =>
        /incidents_open\{severity="critical",service="incidents-api"\} (\d+)/.exec(
          (await chaotic.app.inject({ url: '/metrics' })).body,
        )?.[1];
      await createIncident(chaotic.app, { severity: 'critical' });
      expect(await critical()).toBe('1');
      await failGuardedDatabaseCalls(chaotic.app);
      await chaotic.app.db
        .insertInto('incidents')
        .values({ title: 'Past the API', severity: 'critical' })
        .execute();
      expect(await critical()).toBe('1');
    } finally {
      await chaotic.close();
    }
  });

  it('documents every route in OpenAPI', async () => {
    const spec = (await t.app.inject({ url: '/docs/json' })).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/v1/services/',
        '/v1/services/{id}',
        '/v1/incidents/',
        '/v1/incidents/active',
        '/v1/incidents/stream',
        '/v1/incidents/{id}',
        '/v1/incidents/{id}/timeline',
        '/v1/incidents/{id}/postmortem',
        '/v1/integrations/alertmanager',
      ]),
    );
    expect(spec.components.schemas.Incident).toBeDefined();
    expect(spec.paths['/v1/incidents/{id}'].patch.responses['200']).toBeDefined();
  });
});
