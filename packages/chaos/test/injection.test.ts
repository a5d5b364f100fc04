import { isAppError } from '@steadfast/errors';
import { describe, expect, it } from 'vitest';
import { AUTH, chaosTestContext, createFault } from './helpers.js';

const context = chaosTestContext();

const build = context.build;

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await run();
  return [result, performance.now() - started];
}

describe('HTTP latency', () => {
  it('delays a matching request by latency plus jitter, as logged, and no other request', async () => {
    const logs: string[] = [];
    const app = await build({}, logs);
    const fault = await createFault(app, {
      kind: 'latency',
      target: { route: '/work' },
      probability: 1,
      latencyMs: 150,
      jitterMs: 50,
    });
    const injected = () =>
      logs.map((line) => JSON.parse(line)).filter((l) => l.msg === 'chaos: injected latency');
    const [response, elapsed] = await timed(() => app.inject({ url: '/work' }));
    expect(response.statusCode).toBe(200);
    expect(injected()).toEqual([expect.objectContaining({ faultId: fault.id, target: 'GET /work' })]);
    const { latencyMs } = injected()[0];
    expect(latencyMs).toBeGreaterThanOrEqual(150);
    expect(latencyMs).toBeLessThanOrEqual(200);
    // A timer never fires early (the 2 ms allow for the rounding of the logged delay and of performance.now()).
    expect(elapsed).toBeGreaterThanOrEqual(latencyMs - 2);
    expect((await app.inject({ url: '/other' })).statusCode).toBe(200);
    expect(injected()).toHaveLength(1);
  });

  it('delays concurrent requests on a real port side by side, not one after another', async () => {
    const logs: string[] = [];
    const app = await build({}, logs);
    // Long enough for all five to be inside their delay at once, however loaded the machine is.
    await createFault(app, { kind: 'latency', target: { route: '/work' }, probability: 1, latencyMs: 1500 });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const delayed = () => logs.filter((line) => JSON.parse(line).msg === 'chaos: injected latency').length;
    // How many requests had entered their delay when each response came back. One after another, the first
    // response would be back before the second request was delayed.
    const seen = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const response = await fetch(`${address}/work`);
        return { status: response.status, delayedWhenAnswered: delayed() };
      }),
    );
    expect(seen).toEqual(Array.from({ length: 5 }, () => ({ status: 200, delayedWhenAnswered: 5 })));
  });
});

describe('HTTP errors and aborts', () => {
  it('answers a matching request with the injected status and the fault id, and logs it', async () => {
    const logs: string[] = [];
    const app = await build({}, logs);
    const fault = await createFault(app, {
      kind: 'error',
      target: { route: '/v1/users*', method: 'GET' },
      probability: 1,
      status: 503,
    });
    const response = await app.inject({ url: '/v1/users/42' });
    expect(response.statusCode).toBe(503);
    expect(response.json().error).toMatchObject({
      code: 'CHAOS_INJECTED',
      type: 'server',
      message: `Injected by chaos experiment ${fault.id}`,
    });
    expect((await app.inject({ url: '/work' })).statusCode).toBe(200);
    const injected = logs.map((line) => JSON.parse(line)).filter((l) => l.msg === 'chaos: injected error');
    expect(injected).toEqual([
      expect.objectContaining({
        level: 40,
        reqId: expect.any(String),
        requestId: expect.any(String),
        faultId: fault.id,
        kind: 'error',
        target: 'GET /v1/users/:id',
      }),
    ]);
  });

  it('drops the connection for an abort fault', async () => {
    const app = await build();
    await createFault(app, { kind: 'abort', target: { route: '/work', method: 'GET' }, probability: 1 });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    await expect(fetch(`${address}/work`)).rejects.toThrow(/fetch failed/);
    await expect(app.inject({ url: '/work' })).rejects.toMatchObject({ code: 'LIGHT_ECONNRESET' });
    expect((await fetch(`${address}/other`)).status).toBe(200);
    expect((await fetch(`${address}/work`, { method: 'POST' })).status).toBe(200);
  });
});

describe('what is never targeted', () => {
  it('leaves operational routes, the admin API and unknown routes alone, even under a catch-all fault', async () => {
    const logs: string[] = [];
    const app = await build({}, logs);
    await createFault(app, { kind: 'error', target: { route: '*' }, probability: 1 });
    await createFault(app, { kind: 'latency', target: {}, probability: 1, latencyMs: 300 });
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/admin/chaos/status', headers: AUTH })).statusCode).toBe(200);
    expect((await app.inject({ url: '/no/such/route' })).statusCode).toBe(404);
    const killed = await app.inject({ method: 'DELETE', url: '/admin/chaos/faults', headers: AUTH });
    expect(killed.statusCode).toBe(200);
    expect(
      logs.map((line) => JSON.parse(line).msg).filter((msg) => msg?.startsWith('chaos: injected')),
    ).toEqual([]);
  });
});

describe('header targeting', () => {
  it('hits only requests that name the fault in x-chaos-fault', async () => {
    const app = await build({ headerTargeting: true });
    const fault = await createFault(app, { kind: 'error', target: { header: true }, probability: 1 });
    expect((await app.inject({ url: '/work' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/work', headers: { 'x-chaos-fault': 'other' } })).statusCode).toBe(200);
    const hit = await app.inject({ url: '/work', headers: { 'x-chaos-fault': `other, ${fault.id}` } });
    expect(hit.statusCode).toBe(500);
  });

  it('refuses header faults when the option is off', async () => {
    const app = await build();
    const response = await app.inject({
      method: 'POST',
      url: '/admin/chaos/faults',
      headers: AUTH,
      payload: { kind: 'error', target: { header: true }, probability: 1 },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details).toEqual([
      { field: 'body.target.header', message: 'header targeting is disabled (headerTargeting option)' },
    ]);
  });
});

describe('beforeDependencyCall', () => {
  it('throws a 503 the breaker counts, for the matching dependency only', async () => {
    const app = await build();
    const fault = await createFault(app, {
      kind: 'error',
      target: { dependency: 'database' },
      probability: 1,
    });
    const error = await app.chaos!.beforeDependencyCall('database').catch((e: unknown) => e);
    expect(isAppError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'CHAOS_INJECTED', statusCode: 503, details: { faultId: fault.id } });
    await expect(app.chaos!.beforeDependencyCall('cache')).resolves.toBeUndefined();
    // A dependency fault never touches requests directly.
    expect((await app.inject({ url: '/work' })).statusCode).toBe(200);
  });

  it('waits the latency, abortably by the signal', async () => {
    const app = await build();
    await createFault(app, {
      kind: 'latency',
      target: { dependency: 'database' },
      probability: 1,
      latencyMs: 200,
    });
    const [, elapsed] = await timed(() => app.chaos!.beforeDependencyCall('database'));
    expect(elapsed).toBeGreaterThanOrEqual(195);
    const [, other] = await timed(() => app.chaos!.beforeDependencyCall('payments'));
    expect(other).toBeLessThan(50);

    const [error, aborted] = await timed(() =>
      app.chaos!.beforeDependencyCall('database', AbortSignal.timeout(30)).catch((e: unknown) => e),
    );
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(aborted).toBeLessThan(150);
  });
});
