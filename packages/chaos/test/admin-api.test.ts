import { describe, expect, it, vi } from 'vitest';
import { chaosPlugin } from '../src/plugin.js';
import { AUTH, auditRows, chaosTestContext, createFault, TOKEN, until } from './helpers.js';

const context = chaosTestContext();

const build = context.build;

describe('registration', () => {
  it('registers nothing at all when disabled', async () => {
    const app = await context.bare();
    const db = new Proxy({}, { get: () => expect.unreachable('the database was touched') });
    await app.register(chaosPlugin, { enabled: false, adminToken: '', db: db as never });
    app.get('/work', async () => ({ ok: true }));
    await app.ready();
    expect(app.hasDecorator('chaos')).toBe(false);
    expect(app.printRoutes({ commonPrefix: false })).not.toContain('admin');
    expect((await app.inject({ url: '/admin/chaos/status', headers: AUTH })).statusCode).toBe(404);
  });

  it('refuses a short admin token, naming CHAOS_ADMIN_TOKEN but not the token', async () => {
    const app = await context.bare();
    await expect(
      app
        .register(chaosPlugin, { enabled: true, adminToken: 'short-secret', db: context.database.db })
        .ready(),
    ).rejects.toThrow(
      'Invalid option adminToken: "<12 characters>" (expected a token (CHAOS_ADMIN_TOKEN) of at least 16 characters)',
    );
  });

  it.each([
    [
      'maxDurationSeconds',
      { maxDurationSeconds: 0 },
      'Invalid option maxDurationSeconds: 0 (expected an integer >= 1)',
    ],
    [
      'maxActiveFaults',
      { maxActiveFaults: 1.5 },
      'Invalid option maxActiveFaults: 1.5 (expected an integer >= 1)',
    ],
    [
      'pollIntervalMs',
      { pollIntervalMs: -1 },
      'Invalid option pollIntervalMs: -1 (expected an integer >= 1)',
    ],
    [
      'defaultDurationSeconds',
      { defaultDurationSeconds: 7200 },
      'Invalid option defaultDurationSeconds: 7200 (expected at most maxDurationSeconds (3600))',
    ],
    [
      'headerTargeting',
      { headerTargeting: 'yes' as never },
      'Invalid option headerTargeting: "yes" (expected true or false)',
    ],
  ])('refuses a bad %s', async (_name, bad, message) => {
    const app = await context.bare();
    await expect(
      app
        .register(chaosPlugin, { enabled: true, adminToken: TOKEN, db: context.database.db, ...bad })
        .ready(),
    ).rejects.toThrow(message);
  });
});

describe('authentication', () => {
  const routes = [
    ['POST', '/admin/chaos/enable'],
    ['POST', '/admin/chaos/disable'],
    ['POST', '/admin/chaos/latency/100'],
    ['POST', '/admin/chaos/errors/0.5'],
    ['GET', '/admin/chaos/status'],
    ['POST', '/admin/chaos/faults'],
    ['GET', '/admin/chaos/faults'],
    ['DELETE', '/admin/chaos/faults/abc'],
    ['DELETE', '/admin/chaos/faults'],
    ['GET', '/admin/chaos/faults/abc'],
    ['GET', '/admin/chaos/stop-condition'],
    ['PUT', '/admin/chaos/stop-condition'],
    ['DELETE', '/admin/chaos/stop-condition'],
    ['GET', '/admin/chaos/audit'],
  ] as const;

  it('answers 401 without a token and 403 with a wrong one, on every route, and writes nothing', async () => {
    const app = await build();
    // Each route's requests come from an address of their own, so the failure throttle (10 per client) never
    // decides the answer, however many routes there are.
    for (const [index, [method, url]] of routes.entries()) {
      const remoteAddress = `10.1.0.${index + 1}`;
      const none = await app.inject({ method, url, remoteAddress });
      expect(none.statusCode, `${method} ${url}`).toBe(401);
      expect(none.json().error.code).toBe('UNAUTHENTICATED');
      const basic = await app.inject({
        method,
        url,
        remoteAddress,
        headers: { authorization: `Basic ${TOKEN}` },
      });
      expect(basic.statusCode).toBe(401);
      const wrong = await app.inject({
        method,
        url,
        remoteAddress,
        headers: { authorization: `Bearer ${TOKEN}x` },
      });
      expect(wrong.statusCode, `${method} ${url}`).toBe(403);
      expect(wrong.json().error.code).toBe('FORBIDDEN');
    }
    expect(await auditRows(context.database.db)).toEqual([]);
  });

  it('refuses a client that keeps guessing (429 with Retry-After), even with the right token, others not', async () => {
    const app = await build();
    const guess = (remoteAddress: string, token = `${TOKEN}x`) =>
      app.inject({
        url: '/admin/chaos/status',
        remoteAddress,
        headers: { authorization: `Bearer ${token}` },
      });
    for (let attempt = 0; attempt < 10; attempt++) expect((await guess('10.0.0.9')).statusCode).toBe(403);
    const throttled = await guess('10.0.0.9', TOKEN);
    expect(throttled.statusCode).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect(throttled.json().error.code).toBe('RATE_LIMITED');
    expect((await guess('10.0.0.10', TOKEN)).statusCode).toBe(200);
  });
});

describe('faults as resources', () => {
  it('creates, lists and removes a fault, with the audit trail and the envelope', async () => {
    const app = await build();
    const created = await app.inject({
      method: 'POST',
      url: '/admin/chaos/faults',
      headers: AUTH,
      payload: {
        kind: 'error',
        target: { route: '/work' },
        probability: 1,
        status: 503,
        durationSeconds: 60,
      },
    });
    expect(created.statusCode).toBe(201);
    const { data, meta } = created.json();
    expect(meta).toEqual({ requestId: expect.any(String), durationMs: expect.any(Number) });
    expect(data).toMatchObject({
      kind: 'error',
      target: { route: '/work' },
      status: 503,
      createdBy: 'test-token',
    });
    expect(Date.parse(data.expiresAt) - Date.parse(data.createdAt)).toBe(60_000);

    const list = (await app.inject({ url: '/admin/chaos/faults', headers: AUTH })).json().data;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: data.id, currentStep: { index: 0, probability: 1 } });
    expect(list[0].remainingSeconds).toBeGreaterThan(58);

    const removed = await app.inject({
      method: 'DELETE',
      url: `/admin/chaos/faults/${data.id}`,
      headers: AUTH,
    });
    expect(removed.statusCode).toBe(204);
    const again = await app.inject({
      method: 'DELETE',
      url: `/admin/chaos/faults/${data.id}`,
      headers: AUTH,
    });
    expect(again.statusCode).toBe(404);
    expect((await app.inject({ url: '/work' })).statusCode).toBe(200);

    const audit = (await app.inject({ url: '/admin/chaos/audit', headers: AUTH })).json().data;
    expect(audit.map((e: { action: string; reason: string | null }) => [e.action, e.reason])).toEqual([
      ['fault.ended', 'removed'],
      ['fault.created', null],
    ]);
    expect(audit[0]).toMatchObject({ actor: 'test-token', faultId: data.id });
    expect(audit[1].details).toMatchObject({ id: data.id, kind: 'error', probability: 1 });
  });

  it.each([
    ['an unknown kind', { kind: 'melt', target: {}, probability: 1 }, 'body.kind'],
    ['a probability over 1', { kind: 'error', target: {}, probability: 1.5 }, 'body.probability'],
    ['no target', { kind: 'error', probability: 1 }, 'body.target'],
    ['an unknown field', { kind: 'error', target: {}, probability: 1, colour: 'red' }, 'colour'],
    ['an unknown target field', { kind: 'error', target: { host: 'x' }, probability: 1 }, 'host'],
    [
      'a duration over the max',
      { kind: 'error', target: {}, probability: 1, durationSeconds: 3601 },
      'body.durationSeconds',
    ],
    ['a latency fault without latencyMs', { kind: 'latency', target: {}, probability: 1 }, 'body.latencyMs'],
    ['an error status of 302', { kind: 'error', target: {}, probability: 1, status: 302 }, 'body.status'],
  ])('answers 400 for %s and writes nothing', async (_name, payload, field) => {
    const app = await build();
    const response = await app.inject({ method: 'POST', url: '/admin/chaos/faults', headers: AUTH, payload });
    expect(response.statusCode).toBe(400);
    expect(JSON.stringify(response.json().error.details)).toContain(field.replace('body.', ''));
    expect(await auditRows(context.database.db)).toEqual([]);
    expect(await context.database.db.selectFrom('chaos_faults').selectAll().execute()).toEqual([]);
  });

  it('caps the active faults with 409 CHAOS_TOO_MANY_FAULTS, writing nothing more', async () => {
    const app = await build({ maxActiveFaults: 2 });
    await createFault(app, { kind: 'error', target: { route: '/a' }, probability: 1 });
    await createFault(app, { kind: 'error', target: { route: '/b' }, probability: 1 });
    const third = await app.inject({
      method: 'POST',
      url: '/admin/chaos/faults',
      headers: AUTH,
      payload: { kind: 'error', target: { route: '/c' }, probability: 1 },
    });
    expect(third.statusCode).toBe(409);
    expect(third.json().error).toMatchObject({
      code: 'CHAOS_TOO_MANY_FAULTS',
      details: { active: 2, maxActiveFaults: 2 },
    });
    expect(await auditRows(context.database.db)).toHaveLength(2);
  });

  it('kill switch removes every fault, recording each as killed', async () => {
    const app = await build();
    const a = await createFault(app, { kind: 'error', target: { route: '/work' }, probability: 1 });
    const b = await createFault(app, { kind: 'latency', target: {}, probability: 1, latencyMs: 50 });
    expect((await app.inject({ url: '/work' })).statusCode).toBe(500);
    const killed = await app.inject({ method: 'DELETE', url: '/admin/chaos/faults', headers: AUTH });
    expect(killed.statusCode).toBe(200);
    expect(killed.json().data.removed).toBe(2);
    expect((await app.inject({ url: '/work' })).statusCode).toBe(200);
    const ended = (await auditRows(context.database.db)).filter((row) => row.action === 'fault.ended');
    expect(ended.map((row) => [row.fault_id, row.reason]).sort()).toEqual(
      [
        [a.id, 'killed'],
        [b.id, 'killed'],
      ].sort(),
    );
  });

  it('expires a fault after its duration and records it as expired', async () => {
    const app = await build();
    const fault = await createFault(app, { kind: 'error', target: {}, probability: 1, durationSeconds: 1 });
    expect((await app.inject({ url: '/work' })).statusCode).toBe(500);
    await until(async () => (await app.inject({ url: '/work' })).statusCode === 200, 1500);
    await until(
      async () => (await auditRows(context.database.db)).some((row) => row.reason === 'expired'),
      1000,
    );
    const rows = (await auditRows(context.database.db)).filter((row) => row.action === 'fault.ended');
    expect(rows).toEqual([
      expect.objectContaining({ fault_id: fault.id, reason: 'expired', actor: 'system' }),
    ]);
    expect(app.chaos!.status().faults).toEqual([]);
  });

  it('advances a ramp step by step', async () => {
    const app = await build();
    // The step is a function of the clock: freeze Date so a slow machine cannot skip past step 0 before we look.
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: start });
    try {
      await createFault(app, {
        kind: 'latency',
        target: { route: '/nothing-here' },
        probability: 0.01,
        latencyMs: 200,
        durationSeconds: 60,
        ramp: [{ afterSeconds: 0.3, probability: 0.03, latencyMs: 400 }],
      });
      const step = async () =>
        (await app.inject({ url: '/admin/chaos/status', headers: AUTH })).json().data.faults[0].currentStep;
      expect(await step()).toEqual({ index: 0, probability: 0.01, latencyMs: 200 });
      vi.setSystemTime(start + 299);
      expect((await step()).index).toBe(0);
      vi.setSystemTime(start + 300);
      expect(await step()).toEqual({ index: 1, probability: 0.03, latencyMs: 400 });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the granular endpoints', () => {
  it('creates and replaces the global latency fault, and 0 removes it', async () => {
    const app = await build();
    const first = await app.inject({ method: 'POST', url: '/admin/chaos/latency/100', headers: AUTH });
    expect(first.statusCode).toBe(200);
    expect(first.json().data).toMatchObject({
      kind: 'latency',
      latencyMs: 100,
      origin: 'quick',
      durationSeconds: 300,
    });
    const second = await app.inject({
      method: 'POST',
      url: '/admin/chaos/latency/20?durationSeconds=30',
      headers: AUTH,
    });
    expect(second.json().data).toMatchObject({ latencyMs: 20, durationSeconds: 30 });
    expect(app.chaos!.status().faults.map((f) => f.latencyMs)).toEqual([20]);
    const reasons = (await auditRows(context.database.db)).map((row) => row.reason).filter(Boolean);
    expect(reasons).toEqual(['replaced']);

    await app.inject({ method: 'POST', url: '/admin/chaos/latency/0', headers: AUTH });
    expect(app.chaos!.status().faults).toEqual([]);
  });

  it('sets an error rate, with an optional status', async () => {
    const app = await build();
    const response = await app.inject({
      method: 'POST',
      url: '/admin/chaos/errors/1?status=502',
      headers: AUTH,
    });
    expect(response.json().data).toMatchObject({ kind: 'error', probability: 1, status: 502 });
    const failed = await app.inject({ url: '/work' });
    expect(failed.statusCode).toBe(502);
    // The service's own error envelope: a server error names the experiment in its message, details stay private.
    expect(failed.json().error).toEqual({
      code: 'CHAOS_INJECTED',
      type: 'server',
      message: `Injected by chaos experiment ${response.json().data.id}`,
      details: null,
      requestId: expect.any(String),
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
      timestamp: expect.any(String),
    });
  });

  it.each([
    '/admin/chaos/latency/10001',
    '/admin/chaos/latency/-1',
    '/admin/chaos/latency/abc',
    '/admin/chaos/errors/1.5',
    '/admin/chaos/errors/-0.1',
  ])('answers 400 for POST %s and writes nothing', async (url) => {
    const app = await build();
    expect((await app.inject({ method: 'POST', url, headers: AUTH })).statusCode).toBe(400);
    expect(await auditRows(context.database.db)).toEqual([]);
  });

  it('pauses injection with disable, keeping the faults, and resumes with enable', async () => {
    const app = await build();
    await app.inject({ method: 'POST', url: '/admin/chaos/errors/1', headers: AUTH });
    const disabled = await app.inject({ method: 'POST', url: '/admin/chaos/disable', headers: AUTH });
    expect(disabled.json().data).toMatchObject({ enabled: false, faults: [expect.any(Object)] });
    expect((await app.inject({ url: '/work' })).statusCode).toBe(200);
    await app.inject({ method: 'POST', url: '/admin/chaos/enable', headers: AUTH });
    expect((await app.inject({ url: '/work' })).statusCode).toBe(500);
    const settings = await context.database.db.selectFrom('chaos_settings').selectAll().executeTakeFirst();
    expect(settings).toMatchObject({ injection_enabled: true, updated_by: 'test-token' });
    const actions = (await auditRows(context.database.db)).map((row) => row.action);
    expect(actions).toEqual(['fault.created', 'injection.disabled', 'injection.enabled']);
  });
});

describe('metrics', () => {
  it('counts injections by kind and target and gauges the active faults', async () => {
    const app = await build();
    const registry = app.metricsRegistry;
    await createFault(app, { kind: 'error', target: { route: '/v1/users/:id' }, probability: 1 });
    await app.inject({ url: '/v1/users/1' });
    await app.inject({ url: '/v1/users/2' });
    const text = await registry.metrics();
    expect(text).toContain('chaos_injections_total{kind="error",target="GET /v1/users/:id"} 2');
    expect(text).toContain('chaos_active_faults 1');
    const status = (await app.inject({ url: '/admin/chaos/status', headers: AUTH })).json().data;
    expect(status.injections).toMatchObject({ total: 2, byKind: { error: 2 } });
  });
});

describe('shutdown', () => {
  it('stops injecting on this replica as soon as shutdown begins, leaving the fleet’s faults in place', async () => {
    const app = await build();
    await createFault(app, { kind: 'error', target: {}, probability: 1 });
    await createFault(app, { kind: 'error', target: { dependency: 'database' }, probability: 1 });
    expect((await app.inject({ url: '/work' })).statusCode).toBe(500);
    await expect(app.chaos!.beforeDependencyCall('database')).rejects.toMatchObject({
      code: 'CHAOS_INJECTED',
    });
    app.lifecycle.beginShutdown('SIGTERM');
    await app.chaos!.refresh(); // a reload from the fleet while draining must not bring the faults back
    expect((await app.inject({ url: '/work' })).statusCode).toBe(200);
    await expect(app.chaos!.beforeDependencyCall('database')).resolves.toBeUndefined();
    expect(
      await context.database.db
        .selectFrom('chaos_faults')
        .where('ended_at', 'is', null)
        .selectAll()
        .execute(),
    ).toHaveLength(2);
  });
});
