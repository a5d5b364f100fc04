import { useTestApp } from '@steadfast/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { usersApp } from './helpers.js';

const t = useTestApp({ ...usersApp(), truncate: ['users'] });

const create = (payload: unknown) =>
  t.app.inject({ method: 'POST', url: '/v1/users', payload: payload as object });
const userCount = async () =>
  Number(
    (
      await t.app.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING = '00000000-0000-4000-8000-000000000000';

describe('POST /v1/users', () => {
  it('creates a user, lowercases the email, and answers 201 with Location', async () => {
    const response = await create({ name: 'Ada Lovelace', email: '  Ada@Example.COM '.trim() });
    expect(response.statusCode).toBe(201);
    const { data, meta } = response.json();
    expect(data).toMatchObject({
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      muted: false,
      deviceId: null,
    });
    expect(data.id).toMatch(UUID);
    expect(data.createdAt).toBe(data.updatedAt);
    expect(response.headers.location).toBe(`/v1/users/${data.id}`);
    expect(meta.requestId).toBe(response.headers['x-request-id']);
    expect(meta.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('rejects a duplicate email, in any case, with 409 EMAIL_TAKEN', async () => {
    await create({ name: 'A', email: 'dup@example.com' });
    const response = await create({ name: 'B', email: 'DUP@example.com' });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.code).toBe('EMAIL_TAKEN');
    expect(await userCount()).toBe(1);
  });

  it('gives exactly one 201 to concurrent creates of the same email', async () => {
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => create({ name: 'Race', email: 'race@example.com' })),
    );
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(11);
    expect(await userCount()).toBe(1);
  });

  it.each([
    [{ email: 'a@example.com' }, 'body.name'],
    [{ name: '', email: 'a@example.com' }, 'body.name'],
    [{ name: '   ', email: 'a@example.com' }, 'body.name'],
    [{ name: 'x'.repeat(256), email: 'a@example.com' }, 'body.name'],
    [{ name: 'A' }, 'body.email'],
    [{ name: 'A', email: 'not-an-email' }, 'body.email'],
    [{ name: 'A', email: 'a@example.com', admin: true }, 'body.admin'],
    [{ name: 42, email: 'a@example.com', extra: 1 }, 'body.extra'],
  ])('rejects %j with 400 naming %s and writes nothing', async (payload, field) => {
    const response = await create(payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('VALIDATION_FAILED');
    expect(response.json().error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(await userCount()).toBe(0);
  });

  it('accepts a name of exactly 255 characters', async () => {
    expect((await create({ name: 'x'.repeat(255), email: 'long@example.com' })).statusCode).toBe(201);
  });

  it('stores quotes and SQL fragments literally', async () => {
    const name = `Robert'); DROP TABLE users;-- "\\ \u0000x`.replace('\u0000', '');
    const response = await create({ name, email: "o'brien+sql@example.com" });
    expect(response.statusCode).toBe(201);
    const fetched = await t.app.inject({ url: `/v1/users/${response.json().data.id}` });
    expect(fetched.json().data.name).toBe(name);
    expect(fetched.json().data.email).toBe("o'brien+sql@example.com");
    expect(await userCount()).toBe(1);
  });

  it('answers malformed JSON with 400, an oversized body with 413, and other types with 415', async () => {
    const malformed = await t.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "A", "email": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('MALFORMED_BODY');
    const huge = await create({ name: 'A', email: 'a@example.com', pad: 'x'.repeat(1_100_000) });
    expect(huge.statusCode).toBe(413);
    const form = await t.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=A&email=a@example.com',
    });
    expect(form.statusCode).toBe(415);
    expect(await userCount()).toBe(0);
  });
});

describe('GET /v1/users/:id', () => {
  it('returns the user', async () => {
    const { data } = (await create({ name: 'Grace', email: 'grace@example.com' })).json();
    const response = await t.app.inject({ url: `/v1/users/${data.id}` });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toEqual(data);
  });

  it('answers 400 for an id that is not a UUID and 404 for an absent one', async () => {
    const bad = await t.app.inject({ url: '/v1/users/123' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details).toEqual([{ field: 'params.id', message: 'must match format "uuid"' }]);
    const absent = await t.app.inject({ url: `/v1/users/${MISSING}` });
    expect(absent.statusCode).toBe(404);
    expect(absent.json().error.code).toBe('NOT_FOUND');
  });
});

describe('GET /v1/users', () => {
  it('pages through every user exactly once, newest first', async () => {
    for (let i = 0; i < 45; i++) await create({ name: `User ${i}`, email: `u${i}@example.com` });
    const seen: string[] = [];
    let cursor: string | null = null;
    const sizes: number[] = [];
    do {
      const url: string = cursor ? `/v1/users?limit=20&cursor=${cursor}` : '/v1/users?limit=20';
      const response = await t.app.inject({ url });
      expect(response.statusCode).toBe(200);
      const body = response.json();
      sizes.push(body.meta.count);
      seen.push(...body.data.map((user: { name: string }) => user.name));
      cursor = body.meta.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([20, 20, 5]);
    expect(seen).toEqual(Array.from({ length: 45 }, (_, i) => `User ${44 - i}`));
  });

  it('keeps the cursor stable when users are added between pages', async () => {
    for (let i = 0; i < 5; i++) await create({ name: `Old ${i}`, email: `old${i}@example.com` });
    const first = (await t.app.inject({ url: '/v1/users?limit=2' })).json();
    await create({ name: 'Newer', email: 'newer@example.com' });
    const second = (await t.app.inject({ url: `/v1/users?limit=10&cursor=${first.meta.nextCursor}` })).json();
    expect(second.data.map((u: { name: string }) => u.name)).toEqual(['Old 2', 'Old 1', 'Old 0']);
    expect(second.meta.nextCursor).toBeNull();
  });

  it('defaults to 20 and returns an empty page when there are no users', async () => {
    const empty = (await t.app.inject({ url: '/v1/users' })).json();
    expect(empty.data).toEqual([]);
    expect(empty.meta).toMatchObject({ count: 0, nextCursor: null });
    for (let i = 0; i < 21; i++) await create({ name: `U${i}`, email: `d${i}@example.com` });
    expect((await t.app.inject({ url: '/v1/users' })).json().meta.count).toBe(20);
  });

  it.each([
    'limit=0',
    'limit=101',
    'limit=abc',
    'cursor=not-a-cursor',
    `cursor=${Buffer.from('1.x').toString('base64url')}`,
    'sort=name',
  ])('rejects %s with 400', async (query) => {
    const response = await t.app.inject({ url: `/v1/users?${query}` });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('VALIDATION_FAILED');
  });
});

describe('PATCH /v1/users/:id', () => {
  it('changes only the given fields and bumps updatedAt', async () => {
    const { data } = (await create({ name: 'Old', email: 'keep@example.com' })).json();
    const response = await t.app.inject({
      method: 'PATCH',
      url: `/v1/users/${data.id}`,
      payload: { name: 'New' },
    });
    expect(response.statusCode).toBe(200);
    const updated = response.json().data;
    expect(updated).toMatchObject({
      id: data.id,
      name: 'New',
      email: 'keep@example.com',
      createdAt: data.createdAt,
    });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(data.updatedAt) - 1);
    expect(updated.updatedAt).not.toBe(data.updatedAt);
    const email = await t.app.inject({
      method: 'PATCH',
      url: `/v1/users/${data.id}`,
      payload: { email: 'NEW@Example.com' },
    });
    expect(email.json().data).toMatchObject({ name: 'New', email: 'new@example.com' });
  });

  it('rejects a taken email with 409, an empty or bad body with 400, and an absent user with 404', async () => {
    await create({ name: 'A', email: 'a@example.com' });
    const { data } = (await create({ name: 'B', email: 'b@example.com' })).json();
    const taken = await t.app.inject({
      method: 'PATCH',
      url: `/v1/users/${data.id}`,
      payload: { email: 'A@example.com' },
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('EMAIL_TAKEN');
    const empty = await t.app.inject({ method: 'PATCH', url: `/v1/users/${data.id}`, payload: {} });
    expect(empty.statusCode).toBe(400);
    const bad = await t.app.inject({
      method: 'PATCH',
      url: `/v1/users/${data.id}`,
      payload: { email: 'nope', id: 'x' },
    });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .error.details.map((d: { field: string }) => d.field)
        .sort(),
    ).toEqual(['body.email', 'body.id']);
    const absent = await t.app.inject({
      method: 'PATCH',
      url: `/v1/users/${MISSING}`,
      payload: { name: 'x' },
    });
    expect(absent.statusCode).toBe(404);
    const unchanged = (await t.app.inject({ url: `/v1/users/${data.id}` })).json().data;
    expect(unchanged).toMatchObject({ name: 'B', email: 'b@example.com', updatedAt: data.updatedAt });
  });
});

describe('PATCH /v1/users/:id/state', () => {
  it('sets and clears the call state', async () => {
    const { data } = (await create({ name: 'Caller', email: 'call@example.com' })).json();
    const set = await t.app.inject({
      method: 'PATCH',
      url: `/v1/users/${data.id}/state`,
      payload: { muted: true, deviceId: 'mic-1', deviceLabel: 'USB Microphone' },
    });
    expect(set.statusCode).toBe(200);
    expect(set.json().data).toMatchObject({ muted: true, deviceId: 'mic-1', deviceLabel: 'USB Microphone' });
    const cleared = await t.app.inject({
      method: 'PATCH',
      url: `/v1/users/${data.id}/state`,
      payload: { deviceId: null },
    });
    expect(cleared.json().data).toMatchObject({ muted: true, deviceId: null, deviceLabel: 'USB Microphone' });
    expect((await t.app.inject({ url: `/v1/users/${data.id}` })).json().data.deviceId).toBeNull();
  });

  it('rejects an empty, unknown or mistyped state with 400 and an absent user with 404', async () => {
    const { data } = (await create({ name: 'Caller', email: 'call2@example.com' })).json();
    for (const payload of [{}, { volume: 3 }, { muted: 'loud' }, { deviceId: '' }]) {
      const response = await t.app.inject({ method: 'PATCH', url: `/v1/users/${data.id}/state`, payload });
      expect([JSON.stringify(payload), response.statusCode]).toEqual([JSON.stringify(payload), 400]);
    }
    const absent = await t.app.inject({
      method: 'PATCH',
      url: `/v1/users/${MISSING}/state`,
      payload: { muted: true },
    });
    expect(absent.statusCode).toBe(404);
  });
});

describe('DELETE /v1/users/:id', () => {
  it('deletes with 204, then answers 404', async () => {
    const { data } = (await create({ name: 'Gone', email: 'gone@example.com' })).json();
    const deleted = await t.app.inject({ method: 'DELETE', url: `/v1/users/${data.id}` });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect((await t.app.inject({ url: `/v1/users/${data.id}` })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/users/${data.id}` })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/users/nope' })).statusCode).toBe(400);
  });
});

describe('docs', () => {
  it('documents every users route in OpenAPI', async () => {
    const spec = (await t.app.inject({ url: '/docs/json' })).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/users/', '/v1/users/{id}', '/v1/users/{id}/state']),
    );
    expect(spec.paths['/v1/users/{id}'].patch.responses['200']).toBeDefined();
    expect(spec.components.schemas.User).toBeDefined();
  });
});

describe('GET /v1/slo', () => {
  it('reports the live availability and latency SLOs from this service’s traffic', async () => {
    const availability = async () =>
      (await t.app.inject({ url: '/v1/slo/requests-availability' })).json().data as {
        events: { good: number; total: number };
      };
    const before = await availability();
    await create({ name: 'Counted', email: 'counted@example.com' });
    await create({ name: 'Counted', email: 'counted@example.com' });
    await t.app.inject({ url: `/v1/users/${MISSING}` });
    await t.app.inject({ url: '/health/ready' });
    const after = await availability();
    // Three API requests (a 409 and a 404 are not the service's failures); probes are not counted.
    expect(after.events.total - before.events.total).toBe(3);
    expect(after.events.good - before.events.good).toBe(3);

    const list = (await t.app.inject({ url: '/v1/slo' })).json();
    expect(list.meta.count).toBe(2);
    const [avail, latency] = list.data;
    expect(avail).toMatchObject({
      name: 'requests-availability',
      objective: 0.999,
      periodDays: 30,
      sli: 1,
      policy: 'normal',
      errorBudget: { totalMinutes: 43.2, consumedMinutes: 0, remainingRatio: 1 },
    });
    expect(Object.keys(avail.burnRates).sort()).toEqual(['1d', '1h', '2h', '30m', '3d', '5m', '6h']);
    expect(avail.alerts.map((a: { severity: string }) => a.severity)).toEqual([
      'page',
      'page',
      'ticket',
      'ticket',
    ]);
    expect(latency).toMatchObject({ name: 'requests-latency', objective: 0.99 });

    const unknown = await t.app.inject({ url: '/v1/slo/nope' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('NOT_FOUND');
    expect((await t.app.inject({ url: '/metrics' })).body).toMatch(
      /slo_error_budget_remaining_ratio\{slo="requests-availability"/,
    );
  });
});
