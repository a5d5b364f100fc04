import { useTestApp } from '@steadfast/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { createIncident, incidentsApp, MISSING, patchIncident, TABLES } from './helpers.js';

const t = useTestApp({ ...incidentsApp(), truncate: TABLES });

const acknowledge = (id: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: `/v1/incidents/${id}/acknowledge`, headers });

describe('POST /v1/incidents/:id/acknowledge', () => {
  it('stamps acknowledgedAt, moves an open incident to investigating and says who, once', async () => {
    const { id } = await createIncident(t.app);
    const first = await acknowledge(id, { 'if-match': '"1"' });
    expect(first.statusCode).toBe(200);
    expect(first.headers.etag).toBe('"2"');
    const data = first.json().data;
    expect(data).toMatchObject({ status: 'investigating', version: 2 });
    expect(data.acknowledgedAt).not.toBeNull();
    expect(data.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'created',
      'acknowledged',
      'status_changed',
    ]);
    expect(data.timeline[1].message).toMatch(/^Acknowledged by ip:/);

    // Again, even with the now stale If-Match: nothing changes (a retry after a lost answer is safe).
    const again = await acknowledge(id, { 'if-match': '"1"' });
    expect(again.statusCode).toBe(200);
    expect(again.json().data).toMatchObject({ version: 2, acknowledgedAt: data.acknowledgedAt });
  });

  it('keeps the status of an incident past open', async () => {
    const { id } = await createIncident(t.app);
    await patchIncident(t.app, id, { status: 'identified' });
    const data = (await acknowledge(id)).json().data;
    expect(data.status).toBe('identified');
    expect(data.acknowledgedAt).not.toBeNull();
  });

  it('answers 412 for a stale If-Match and changes nothing', async () => {
    const { id } = await createIncident(t.app);
    await patchIncident(t.app, id, { title: 'Renamed' });
    const stale = await acknowledge(id, { 'if-match': '"1"' });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().error.code).toBe('PRECONDITION_FAILED');
    expect((await t.app.inject({ url: `/v1/incidents/${id}` })).json().data.acknowledgedAt).toBeNull();
    expect((await acknowledge(id, { 'if-match': 'garbage' })).statusCode).toBe(412);
  });

  it('answers 409 INCIDENT_RESOLVED for a resolved incident no one acknowledged, 404 and 400 for bad ids', async () => {
    const { id } = await createIncident(t.app);
    await patchIncident(t.app, id, { status: 'resolved' });
    const late = await acknowledge(id);
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('INCIDENT_RESOLVED');
    expect((await acknowledge(MISSING)).statusCode).toBe(404);
    expect((await acknowledge('not-a-uuid')).statusCode).toBe(400);
  });

  it('is the only way to acknowledge: PATCH moving the status stamps nothing, and MTTA counts only it', async () => {
    const { id } = await createIncident(t.app);
    const moved = (await patchIncident(t.app, id, { status: 'investigating' })).json().data;
    expect(moved.acknowledgedAt).toBeNull();
    const before = /incident_time_to_acknowledge_seconds_count\{service="incidents-api"\} (\d+)/.exec(
      (await t.app.inject({ url: '/metrics' })).body,
    )?.[1];
    await acknowledge(id);
    const after = /incident_time_to_acknowledge_seconds_count\{service="incidents-api"\} (\d+)/.exec(
      (await t.app.inject({ url: '/metrics' })).body,
    )?.[1];
    expect(Number(after)).toBe(Number(before ?? 0) + 1);
    const postmortem = (await t.app.inject({ url: `/v1/incidents/${id}/postmortem` })).body;
    expect(postmortem).toMatch(/\| Time to acknowledge \| \d+ s \|/);
  });
});

describe('PATCH /v1/incidents/:id with services by name', () => {
  it('replaces the services with those named (and by id), adding unknown names to the catalog', async () => {
    const { id } = await createIncident(t.app, { services: ['checkout'] });
    const response = await patchIncident(t.app, id, { services: ['payments', 'checkout'] });
    expect(response.statusCode).toBe(200);
    expect(response.json().data.services.map((s: { name: string }) => s.name)).toEqual([
      'checkout',
      'payments',
    ]);
    const created = (await t.app.inject({ url: '/v1/services?limit=100' })).json().data;
    expect(created.find((s: { name: string }) => s.name === 'payments').description).toBe(
      'Created when an incident named it',
    );
    // The same set again is no change.
    expect((await patchIncident(t.app, id, { services: ['checkout', 'payments'] })).json().data.version).toBe(
      2,
    );
  });

  it.each([
    ['a blank name', { services: ['  '] }],
    ['a name over 100 characters', { services: ['x'.repeat(101)] }],
    ['a repeated name', { services: ['a', 'a'] }],
    ['a NUL', { services: ['a\u0000b'] }],
  ])('refuses %s with 400 and changes nothing', async (_case, body) => {
    const { id } = await createIncident(t.app);
    const response = await patchIncident(t.app, id, body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('VALIDATION_FAILED');
    expect((await t.app.inject({ url: `/v1/incidents/${id}` })).json().data.version).toBe(1);
  });

  it('names an unknown service id with 400 UNKNOWN_SERVICE beside names', async () => {
    const { id } = await createIncident(t.app);
    const response = await patchIncident(t.app, id, { services: ['checkout'], serviceIds: [MISSING] });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('UNKNOWN_SERVICE');
    const services = (await t.app.inject({ url: '/v1/services' })).json().data;
    expect(services).toEqual([]);
  });
});
