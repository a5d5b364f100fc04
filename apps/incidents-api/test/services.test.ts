import { useTestApp } from '@steadfast/service-kit/testing';
import { describe, expect, it } from 'vitest';
import {
  count,
  createIncident,
  createService,
  incidentsApp,
  MISSING,
  patchIncident,
  TABLES,
  UUID,
} from './helpers.js';

const t = useTestApp({ ...incidentsApp(), truncate: TABLES });

describe('POST /v1/services', () => {
  it('registers a service and answers 201 with Location', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/services',
      payload: { name: 'checkout', owner: 'team-payments', tier: 1, description: 'Takes the money' },
    });
    expect(response.statusCode).toBe(201);
    const { data } = response.json();
    expect(data).toMatchObject({
      name: 'checkout',
      owner: 'team-payments',
      tier: 1,
      description: 'Takes the money',
    });
    expect(data.id).toMatch(UUID);
    expect(response.headers.location).toBe(`/v1/services/${data.id}`);
  });

  it('defaults owner, tier and description to null', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/v1/services', payload: { name: 'search' } });
    expect(response.json().data).toMatchObject({ owner: null, tier: null, description: null });
  });

  it('rejects a taken name with 409 SERVICE_NAME_TAKEN', async () => {
    await createService(t.app, { name: 'checkout' });
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/services',
      payload: { name: 'checkout' },
    });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.code).toBe('SERVICE_NAME_TAKEN');
    expect(await count(t.app, 'services')).toBe(1);
  });

  it.each([
    [{}, 'body.name'],
    [{ name: '' }, 'body.name'],
    [{ name: '  ' }, 'body.name'],
    [{ name: 'x', tier: 0 }, 'body.tier'],
    [{ name: 'x', tier: 5 }, 'body.tier'],
    [{ name: 'x', tier: '1' }, 'body.tier'],
    [{ name: 'x', colour: 'red' }, 'body.colour'],
  ])('rejects %j with 400 naming %s', async (payload, field) => {
    const response = await t.app.inject({ method: 'POST', url: '/v1/services', payload });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(await count(t.app, 'services')).toBe(0);
  });
});

describe('GET /v1/services', () => {
  it('pages newest first with a cursor', async () => {
    for (const name of ['a', 'b', 'c']) await createService(t.app, { name });
    const first = (await t.app.inject({ url: '/v1/services?limit=2' })).json();
    expect(first.data.map((s: { name: string }) => s.name)).toEqual(['c', 'b']);
    const second = (
      await t.app.inject({ url: `/v1/services?limit=2&cursor=${first.meta.nextCursor}` })
    ).json();
    expect(second.data.map((s: { name: string }) => s.name)).toEqual(['a']);
    expect(second.meta.nextCursor).toBeNull();
  });

  it('rejects a bad limit or cursor with 400', async () => {
    for (const query of ['limit=0', 'limit=101', 'cursor=nope']) {
      expect((await t.app.inject({ url: `/v1/services?${query}` })).statusCode).toBe(400);
    }
  });
});

describe('GET, PATCH and DELETE /v1/services/:id', () => {
  it('gets, changes (null clears) and deletes a service', async () => {
    const service = await createService(t.app, { name: 'api', owner: 'core', tier: 2 });
    expect((await t.app.inject({ url: `/v1/services/${service.id}` })).json().data.name).toBe('api');
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/services/${service.id}`,
      payload: { name: 'api-gateway', owner: null, tier: 1 },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().data).toMatchObject({ name: 'api-gateway', owner: null, tier: 1 });
    const deleted = await t.app.inject({ method: 'DELETE', url: `/v1/services/${service.id}` });
    expect(deleted.statusCode).toBe(204);
    expect((await t.app.inject({ url: `/v1/services/${service.id}` })).statusCode).toBe(404);
  });

  it('answers 404 for an absent service, 400 for a bad id or body, 409 for a taken name', async () => {
    const a = await createService(t.app, { name: 'a' });
    await createService(t.app, { name: 'b' });
    expect((await t.app.inject({ url: `/v1/services/${MISSING}` })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/v1/services/42' })).statusCode).toBe(400);
    const patch = (payload: object, id = a.id) =>
      t.app.inject({ method: 'PATCH', url: `/v1/services/${id}`, payload });
    expect((await patch({})).statusCode).toBe(400);
    expect((await patch({ name: 'x' }, MISSING)).statusCode).toBe(404);
    const taken = await patch({ name: 'b' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('SERVICE_NAME_TAKEN');
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/services/${MISSING}` })).statusCode).toBe(404);
  });

  it('refuses to delete a service with unresolved incidents, and allows it once they are resolved', async () => {
    const service = await createService(t.app);
    const incident = await createIncident(t.app, { serviceIds: [service.id] });
    const refused = await t.app.inject({ method: 'DELETE', url: `/v1/services/${service.id}` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('SERVICE_HAS_OPEN_INCIDENTS');
    expect(await count(t.app, 'services')).toBe(1);

    expect((await patchIncident(t.app, incident.id, { status: 'resolved' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/services/${service.id}` })).statusCode).toBe(
      204,
    );
    const after = (await t.app.inject({ url: `/v1/incidents/${incident.id}` })).json().data;
    expect(after.serviceIds).toEqual([]);
  });
});
