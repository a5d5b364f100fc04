import { lifecyclePlugin } from '@steadfast/http';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckStatus, HealthCheck } from '../src/check.js';
import { healthPlugin } from '../src/plugin.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

type Behaviour = CheckStatus | 'timeout' | 'throws';

function check(name: string, critical: boolean, behaviour: Behaviour): HealthCheck {
  return {
    name,
    critical,
    timeoutMs: 50,
    check: async () => {
      if (behaviour === 'timeout') return new Promise(() => undefined);
      if (behaviour === 'throws') throw new Error(`${name} exploded`);
      return { status: behaviour, message: `${name} is ${behaviour}` };
    },
  };
}

/** An app with the lifecycle the plugin depends on; `beforeReady` runs before the app is ready (warm-ups, hooks). */
async function build(
  options: Parameters<typeof healthPlugin>[1] = {},
  beforeReady?: (app: FastifyInstance) => void,
) {
  const app = Fastify();
  apps.push(app);
  await app.register(lifecyclePlugin);
  await app.register(healthPlugin, { cacheMs: 0, ...options });
  beforeReady?.(app);
  app.get('/work', async () => ({ ok: true }));
  await app.ready();
  return app;
}

const BEHAVIOURS: Behaviour[] = ['healthy', 'degraded', 'unhealthy', 'timeout', 'throws'];

describe('GET /health/ready for every check state', () => {
  const cases = [true, false].flatMap((critical) =>
    BEHAVIOURS.map((behaviour) => [critical, behaviour] as const),
  );
  it.each(cases)('critical=%s %s', async (critical, behaviour) => {
    const app = await build({ checks: [check('dep', critical, behaviour), check('other', true, 'healthy')] });
    const response = await app.inject({ url: '/health/ready' });
    const failed = behaviour === 'unhealthy' || behaviour === 'timeout' || behaviour === 'throws';
    const expected = behaviour === 'healthy' ? 'ready' : failed && critical ? 'not_ready' : 'degraded';
    expect(response.json().status).toBe(expected);
    expect(response.statusCode).toBe(expected === 'not_ready' ? 503 : 200);
    const dep = response.json().checks.dep;
    expect(dep.critical).toBe(critical);
    expect(dep.status).toBe(failed ? 'unhealthy' : behaviour);
    expect(dep.latencyMs).toEqual(expect.any(Number));
    if (behaviour === 'timeout') expect(dep.message).toBe('timed out after 50 ms');
    if (behaviour === 'throws') expect(dep.message).toBe('dep exploded');
    expect(response.json().checks.other.status).toBe('healthy');
  });
});

describe('the health endpoints', () => {
  it('answers liveness without running checks', async () => {
    let runs = 0;
    const app = await build({ checks: [{ name: 'db', critical: true, check: () => void runs++ }] });
    const response = await app.inject({ url: '/health/live' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'alive', timestamp: expect.any(String) });
    expect(runs).toBe(0);
  });

  it('runs checks in parallel, not one after another', async () => {
    const slow = (name: string): HealthCheck => ({
      name,
      critical: true,
      check: () => new Promise((resolve) => setTimeout(() => resolve(undefined), 100)),
    });
    const app = await build({ checks: [slow('a'), slow('b'), slow('c'), slow('d')] });
    const started = performance.now();
    const response = await app.inject({ url: '/health/ready' });
    expect(response.json().status).toBe('ready');
    // Sequential runs would take at least 400 ms; this bounds the structure, not the machine's speed.
    expect(performance.now() - started).toBeLessThan(390);
  });

  it('reuses a readiness result within cacheMs, so a probe storm runs each check once', async () => {
    let runs = 0;
    const app = await build({
      cacheMs: 60_000,
      checks: [{ name: 'db', critical: true, check: async () => void runs++ }],
    });
    await Promise.all(Array.from({ length: 25 }, () => app.inject({ url: '/health/ready' })));
    expect(runs).toBe(1);
  });

  it('reports breaker states and degrades while one is open', async () => {
    let state = 'closed';
    const app = await build({ breakers: { breakerStates: () => [{ name: 'database', state }] } });
    expect((await app.inject({ url: '/health/ready' })).json()).toMatchObject({
      status: 'ready',
      breakers: [{ name: 'database', state: 'closed' }],
    });
    state = 'open';
    const open = await app.inject({ url: '/health/ready' });
    expect(open.statusCode).toBe(200);
    expect(open.json().status).toBe('degraded');
  });

  it('renders application/health+json when asked', async () => {
    const app = await build({ version: '1.2.3', checks: [check('db', true, 'degraded')] });
    const response = await app.inject({
      url: '/health/ready',
      headers: { accept: 'application/health+json' },
    });
    expect(response.headers['content-type']).toContain('application/health+json');
    const body = response.json();
    expect(body.status).toBe('warn');
    expect(body.version).toBe('1.2.3');
    expect(body.checks['db:responseTime'][0]).toMatchObject({
      status: 'warn',
      observedUnit: 'ms',
      output: 'db is degraded',
    });
    const failing = await build({ checks: [check('db', true, 'unhealthy')] });
    const fail = await failing.inject({
      url: '/health',
      headers: { accept: 'application/health+json, application/json' },
    });
    expect(fail.statusCode).toBe(503);
    expect(fail.json().status).toBe('fail');
    const plain = await failing.inject({
      url: '/health/ready',
      headers: { accept: 'application/json, application/health+json' },
    });
    expect(plain.json().status).toBe('not_ready');
  });

  it('summarises uptime, memory, version, environment and checks at /health', async () => {
    const app = await build({
      version: '2.0.0',
      environment: 'test',
      checks: [check('db', true, 'healthy')],
    });
    const response = await app.inject({ url: '/health' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ status: 'ready', version: '2.0.0', environment: 'test' });
    expect(body.uptime.seconds).toEqual(expect.any(Number));
    expect(body.uptime.human).toMatch(/^(\d+[dhm] )*\d+s$/);
    expect(body.memory.rssBytes).toBeGreaterThan(0);
    expect(body.memory.heapUsedBytes).toBeLessThanOrEqual(body.memory.heapTotalBytes);
    expect(body.checks.db.status).toBe('healthy');
  });

  it('gates readiness and startup on the lifecycle, and fails readiness once shutdown begins', async () => {
    let warmedUp!: () => void;
    const app = await build({}, (app) =>
      app.lifecycle.addWarmup('cache', () => new Promise<void>((resolve) => (warmedUp = resolve))),
    );
    const starting = await app.inject({ url: '/health/startup' });
    expect(starting.statusCode).toBe(503);
    expect(starting.json()).toMatchObject({
      status: 'starting',
      startupDurationMs: null,
      steps: [{ name: 'warm-up: cache', state: 'pending', durationMs: null }],
    });
    expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(503);
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);

    warmedUp();
    await new Promise((resolve) => setImmediate(resolve));
    const started = await app.inject({ url: '/health/startup' });
    expect(started.statusCode).toBe(200);
    expect(started.json()).toMatchObject({ status: 'started', startupDurationMs: expect.any(Number) });
    expect(started.json().steps[0]).toMatchObject({ name: 'warm-up: cache', state: 'done' });
    expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(200);

    app.lifecycle.beginShutdown('SIGTERM');
    expect((await app.inject({ url: '/health/ready' })).json().status).toBe('not_ready');
  });

  it('fails readiness when the app begins closing, even without a signal', async () => {
    let readyDuringClose: string | undefined;
    const app = await build({}, (app) =>
      app.addHook('preClose', async () => {
        readyDuringClose = (await app.health.report()).status;
      }),
    );
    expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/health/startup' })).json().status).toBe('started');
    await app.close();
    expect(readyDuringClose).toBe('not_ready');
  });

  it('refuses to register without the lifecycle it reads', async () => {
    const app = Fastify();
    apps.push(app);
    await expect(app.register(healthPlugin).ready()).rejects.toThrow(
      /dependency '@steadfast\/http\/lifecycle' of plugin '@steadfast\/health' is not registered/,
    );
  });

  it('rejects a duplicate check name and bad options', async () => {
    const app = await build({ checks: [check('db', true, 'healthy')] });
    expect(() => app.health.addCheck(check('db', false, 'healthy'))).toThrow(/already registered/);
    await expect(build({ cacheMs: -1 })).rejects.toThrow(
      'Invalid option cacheMs: -1 (expected a finite number of ms >= 0)',
    );
    await expect(build({ defaultTimeoutMs: Number.NaN })).rejects.toThrow(
      'Invalid option defaultTimeoutMs: null (expected a finite number of ms > 0)',
    );
  });
});

describe('load shedding', () => {
  it('is off by default', async () => {
    const app = await build();
    expect(app.hasDecorator('isUnderPressure')).toBe(false);
  });

  it('answers 503 with Retry-After above a threshold, while health routes keep answering', async () => {
    const app = Fastify();
    apps.push(app);
    await app.register(lifecyclePlugin);
    app.setErrorHandler(
      (error: { statusCode?: number; code?: string; retryAfter?: number }, _request, reply) => {
        reply
          .code(error.statusCode ?? 500)
          .header('retry-after', String(error.retryAfter))
          .send({ code: error.code });
      },
    );
    await app.register(healthPlugin, {
      loadShedding: { maxHeapUsedBytes: 1, sampleIntervalMs: 10, retryAfterSeconds: 7 },
    });
    app.get('/work', async () => ({ ok: true }));
    await app.ready();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const shed = await app.inject({ url: '/work' });
    expect(shed.statusCode).toBe(503);
    expect(shed.json()).toEqual({ code: 'OVERLOADED' });
    expect(shed.headers['retry-after']).toBe('7');
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(200);
  });
});
