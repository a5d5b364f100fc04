import { startTestApp, useTestApp } from '@steadfast/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { usersApp } from './helpers.js';

// The README's chaos scenarios, run for real: a database fault opens the breaker, the kill switch recovers.
const TOKEN = 'chaos-admin-token-for-tests';
const auth = { authorization: `Bearer ${TOKEN}` };
const BREAKER_OPEN_MS = 800;
const t = useTestApp(
  usersApp({
    CHAOS_ENABLED: 'true',
    CHAOS_ADMIN_TOKEN: TOKEN,
    DB_BREAKER_OPEN_MS: String(BREAKER_OPEN_MS),
    HEALTH_CACHE_MS: '0',
  }),
);

describe('chaos in users-api', () => {
  it('is off and invisible unless enabled', async () => {
    const off = await startTestApp(usersApp());
    try {
      expect((await off.app.inject({ url: '/admin/chaos/status', headers: auth })).statusCode).toBe(404);
    } finally {
      await off.close();
    }
  });

  it('protects the admin API with the bearer token', async () => {
    expect((await t.app.inject({ url: '/admin/chaos/status' })).statusCode).toBe(401);
    const wrong = await t.app.inject({
      url: '/admin/chaos/status',
      headers: { authorization: 'Bearer wrong-token-of-some-length' },
    });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error.code).toBe('FORBIDDEN');
    expect((await t.app.inject({ url: '/admin/chaos/status', headers: auth })).statusCode).toBe(200);
    const spec = (await t.app.inject({ url: '/docs/json' })).json();
    expect(spec.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer' });
    expect(spec.paths['/admin/chaos/faults'].post.security).toEqual([{ bearerAuth: [] }]);
    expect(spec.paths['/v1/users/'].post.security).toEqual([{ bearerAuth: [] }]);
  });

  it('database failure cascade: an injected database fault opens the breaker; the kill switch recovers', async () => {
    const { data: user } = (
      await t.app.inject({
        method: 'POST',
        url: '/v1/users',
        payload: { name: 'Chaos', email: 'chaos@example.com' },
      })
    ).json();
    const fault = await t.app.inject({
      method: 'POST',
      url: '/admin/chaos/faults',
      headers: auth,
      payload: {
        kind: 'error',
        target: { dependency: 'database' },
        probability: 1,
        status: 503,
        durationSeconds: 60,
      },
    });
    expect(fault.statusCode).toBe(201);

    const codes: string[] = [];
    for (let i = 0; i < 7; i++)
      codes.push((await t.app.inject({ url: `/v1/users/${user.id}` })).json().error?.code);
    // Five injected failures reach the breaker, which then opens; the service reports one outage code.
    expect(codes.slice(0, 5)).toEqual(Array(5).fill('CHAOS_INJECTED'));
    expect(codes.slice(5)).toEqual(['DEPENDENCY_UNAVAILABLE', 'DEPENDENCY_UNAVAILABLE']);
    const ready = (await t.app.inject({ url: '/health/ready' })).json();
    expect(ready.breakers).toEqual([{ name: 'database', state: 'open' }]);
    // Operational routes are never targeted.
    expect((await t.app.inject({ url: '/health/live' })).statusCode).toBe(200);

    const killed = await t.app.inject({ method: 'DELETE', url: '/admin/chaos/faults', headers: auth });
    expect(killed.statusCode).toBeLessThan(300);
    await new Promise((resolve) => setTimeout(resolve, BREAKER_OPEN_MS + 100));
    for (let i = 0; i < 2; i++)
      expect((await t.app.inject({ url: `/v1/users/${user.id}` })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/health/ready' })).json().breakers).toEqual([
      { name: 'database', state: 'closed' },
    ]);

    const audit = (await t.app.inject({ url: '/admin/chaos/audit', headers: auth })).json();
    expect(JSON.stringify(audit)).toContain('killed');
  });

  it('latency under load: a latency fault on a route delays only that route', async () => {
    const fault = await t.app.inject({
      method: 'POST',
      url: '/admin/chaos/faults',
      headers: auth,
      payload: {
        kind: 'latency',
        target: { route: '/v1/users', method: 'GET' },
        probability: 1,
        latencyMs: 300,
        durationSeconds: 60,
      },
    });
    expect(fault.statusCode).toBe(201);
    const timed = async (url: string) => {
      const started = performance.now();
      const response = await t.app.inject({ url });
      return { status: response.statusCode, ms: performance.now() - started };
    };
    const [a, b, c] = await Promise.all([timed('/v1/users'), timed('/v1/users'), timed('/v1/users')]);
    for (const r of [a, b, c]) {
      expect(r.status).toBe(200);
      expect(r.ms).toBeGreaterThanOrEqual(290);
    }
    // Three concurrent delays overlap rather than queue.
    expect(Math.max(a.ms, b.ms, c.ms)).toBeLessThan(900);
    // Only the three targeted requests were delayed; the probe was not touched.
    await t.app.inject({ url: '/health/ready' });
    const status = (await t.app.inject({ url: '/admin/chaos/status', headers: auth })).json().data;
    expect(status.injections.byFault[fault.json().data.id]).toBe(3);
    await t.app.inject({
      method: 'DELETE',
      url: `/admin/chaos/faults/${fault.json().data.id}`,
      headers: auth,
    });
  });

  it('stop condition: an experiment that burns the error budget too fast is ended by its stopWhen', async () => {
    const fault = await t.app.inject({
      method: 'POST',
      url: '/admin/chaos/faults',
      headers: auth,
      payload: {
        kind: 'error',
        target: { route: '/v1/users', method: 'GET' },
        probability: 1,
        durationSeconds: 600,
        stopWhen: {
          slo: 'requests-availability',
          burnRate: 14.4,
          longWindow: '1h',
          shortWindow: '5m',
          minEvents: 10,
        },
      },
    });
    expect(fault.statusCode).toBe(201);
    for (let i = 0; i < 20; i++) expect((await t.app.inject({ url: '/v1/users' })).statusCode).toBe(500);
    // 100 % errors against a 99.9 % objective is a burn of 1000, far above 14.4x; the check runs every 5 s.
    // The condition stops injection first and writes the audit after, so wait for the audit row itself.
    const endedRow = async () =>
      (await t.app.inject({ url: `/admin/chaos/audit?faultId=${fault.json().data.id}`, headers: auth }))
        .json()
        .data.find((row: { action: string }) => row.action === 'fault.ended');
    let ended = await endedRow();
    for (let waited = 0; ended === undefined && waited < 8000; waited += 200) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      ended = await endedRow();
    }
    expect(ended?.reason).toBe('stopped by condition');
    expect((await t.app.inject({ url: '/admin/chaos/faults', headers: auth })).json().data).toEqual([]);
    expect((await t.app.inject({ url: '/v1/users' })).statusCode).toBe(200);
    expect(ended.details.stopCondition).toEqual({
      description:
        'SLO requests-availability burns its error budget at 14.4x or more over 1h and 5m (at least 10 events in 5m)',
      value: expect.any(Number),
      threshold: 14.4,
    });
    expect(ended.details.stopCondition.value).toBeGreaterThanOrEqual(14.4);
  }, 20_000);
});
