import { DependencyError, TimeoutError } from '@steadfast/errors';
import Fastify, { type FastifyInstance } from 'fastify';
import { register as globalRegistry, Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type BreakerStateSource,
  bulkhead,
  circuitBreaker,
  isCircuitOpenError,
  resilience,
  retry,
  timeout,
  wrap,
} from '../src/index.js';

const apps: FastifyInstance[] = [];

async function build(options: Parameters<typeof resilience>[1] = {}) {
  const app = Fastify();
  apps.push(app);
  await app.register(resilience, { registry: new Registry(), ...options });
  return app;
}

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function metricsText(registry: Registry): Promise<string> {
  return registry.metrics();
}

describe('resilience plugin', () => {
  it('applies a per-route timeout: the handler fails with TimeoutError and a 504', async () => {
    const app = await build();
    app.get('/slow', { config: { resilience: { timeout: 50 } } }, () => new Promise(() => {}));
    app.get('/fast', { config: { resilience: { timeout: 1_000 } } }, async () => ({ ok: true }));
    let seen: unknown;
    app.setErrorHandler((error, _request, reply) => {
      seen = error;
      reply
        .status((error as { statusCode?: number }).statusCode ?? 500)
        .send({ code: (error as { code?: string }).code });
    });
    const slow = await app.inject('/slow');
    expect(slow.statusCode).toBe(504);
    expect(slow.json()).toEqual({ code: 'TIMEOUT' });
    expect((seen as Error).name).toBe('TimeoutError');
    const fast = await app.inject('/fast');
    expect(fast.statusCode).toBe(200);
    expect(fast.json()).toEqual({ ok: true });
  });

  it('applies a per-route breaker: it opens and then answers 503 CIRCUIT_OPEN; HEAD shares the GET route breaker', async () => {
    const app = await build();
    let calls = 0;
    app.get('/flaky', { config: { resilience: { breaker: { failureThreshold: 2 } } } }, async () => {
      calls++;
      throw new DependencyError('db down');
    });
    expect((await app.inject('/flaky')).statusCode).toBe(503);
    expect((await app.inject('/flaky')).statusCode).toBe(503);
    const rejected = await app.inject('/flaky');
    expect(rejected.statusCode).toBe(503);
    expect(rejected.json()).toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(calls).toBe(2);
    expect((await app.inject({ method: 'HEAD', url: '/flaky' })).statusCode).toBe(503);
    expect(calls).toBe(2);
    expect(app.resilience.breakerStates()).toEqual([
      expect.objectContaining({
        name: 'route:GET /flaky',
        state: 'open',
        failures: 0,
        openUntil: expect.any(Number),
      }),
    ]);
  });

  it('gives a cooperative handler the route signal, which aborts at the deadline', async () => {
    const app = await build();
    let aborted: unknown;
    app.get(
      '/coop',
      { config: { resilience: { timeout: { duration: 30, strategy: 'cooperative' } } } },
      (request) => {
        const signal = request.resilienceContext!.signal;
        return new Promise((_, reject) => {
          signal.addEventListener('abort', () => {
            aborted = signal.reason;
            reject(new Error('stopped'));
          });
        });
      },
    );
    app.get('/plain', async (request) => ({ context: request.resilienceContext }));
    const res = await app.inject('/coop');
    expect(res.statusCode).toBe(504);
    expect(aborted).toBeInstanceOf(TimeoutError);
    expect((await app.inject('/plain')).json()).toEqual({ context: null });
  });

  it('uses registered policies by name for a route bulkhead and policy', async () => {
    const shared = bulkhead({ maxConcurrent: 1 });
    const app = await build({ policies: { pool: shared, outer: retry({ maxAttempts: 1 }) } });
    let active = -1;
    app.get('/named', { config: { resilience: { bulkhead: 'pool', policy: 'outer' } } }, async () => {
      active = shared.active;
      return 'ok';
    });
    expect((await app.inject('/named')).body).toBe('ok');
    expect(active).toBe(1);
  });

  it('applies a per-route bulkhead', async () => {
    const app = await build();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    app.get('/one', { config: { resilience: { bulkhead: { maxConcurrent: 1 } } } }, async () => {
      await gate;
      return 'done';
    });
    const first = app.inject('/one');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await app.inject('/one');
    expect(second.statusCode).toBe(503);
    expect(second.json()).toMatchObject({ code: 'BULKHEAD_REJECTED' });
    release();
    expect((await first).body).toBe('done');
  });

  it('registers named policies from options and at runtime, and uses them from routes by name', async () => {
    const database = circuitBreaker({ failureThreshold: 1 });
    const app = await build({ policies: { database } });
    const cache = app.resilience.register('cache', wrap(retry({ maxAttempts: 1 }), timeout(100)));
    expect(app.resilience.names()).toEqual(['database', 'cache']);
    expect(app.resilience.has('cache')).toBe(true);
    await expect(cache.execute(async () => 1)).resolves.toBe(1);
    await expect(app.resilience.get('database').execute(async () => 'row')).resolves.toBe('row');
    app.get('/db', { config: { resilience: { breaker: 'database', timeout: 500 } } }, async () => {
      throw new Error('connection lost');
    });
    expect((await app.inject('/db')).statusCode).toBe(500);
    expect(database.state).toBe('open');
    const error = await app.resilience
      .get('database')
      .execute(async () => 1)
      .catch((e: unknown) => e);
    expect(isCircuitOpenError(error)).toBe(true);
  });

  it('refuses duplicate names, unknown names and non-policies', async () => {
    const app = await build({ policies: { a: timeout(10) } });
    expect(() => app.resilience.register('a', timeout(10))).toThrow('already registered');
    expect(() => app.resilience.register('', timeout(10))).toThrow('Invalid policy name');
    expect(() => app.resilience.register('b', {} as never)).toThrow('Invalid policy for "b"');
    expect(() => app.resilience.get('missing')).toThrow('No resilience policy named "missing"');
    expect(() => app.get('/x', { config: { resilience: { policy: 'missing' } } }, async () => 1)).toThrow(
      'unknown resilience policy "missing"',
    );
  });

  it('rejects bad per-route options at route registration', async () => {
    const app = await build();
    expect(() => app.get('/x', { config: { resilience: { timeout: -5 } } }, async () => 1)).toThrow(
      'Invalid option duration: -5',
    );
    expect(() =>
      app.get('/y', { config: { resilience: { breaker: { failureThreshold: 0 } } } }, async () => 1),
    ).toThrow('Invalid option failureThreshold: 0');
  });

  it('works with handlers that send through reply', async () => {
    const app = await build();
    app.get('/returns-reply', { config: { resilience: { timeout: 1_000 } } }, async (_request, reply) =>
      reply.code(201).send({ sent: true }),
    );
    app.get('/sync-send', { config: { resilience: { timeout: 1_000 } } }, (_request, reply) => {
      reply.send('plain');
    });
    const returned = await app.inject('/returns-reply');
    expect(returned.statusCode).toBe(201);
    expect(returned.json()).toEqual({ sent: true });
    expect((await app.inject('/sync-send')).body).toBe('plain');
  });

  it('leaves routes without resilience config alone', async () => {
    const app = await build();
    app.get('/plain', async () => 'plain');
    expect((await app.inject('/plain')).body).toBe('plain');
    expect(app.resilience.names()).toEqual([]);
  });

  it('exports metrics into the given registry', async () => {
    const registry = new Registry();
    const b = bulkhead({ maxConcurrent: 2 });
    const breaker = circuitBreaker({ failureThreshold: 1 });
    const app = await build({
      registry,
      policies: { db: wrap(retry({ maxAttempts: 2, initialDelay: 1 }), breaker), pool: b },
    });
    app.get('/t', { config: { resilience: { timeout: 20 } } }, () => new Promise(() => {}));
    await app.resilience.get('db').execute(async () => 1);
    await app.resilience
      .get('db')
      .execute(() => Promise.reject(new DependencyError('down')))
      .catch(() => {});
    await app.inject('/t');
    const text = await metricsText(registry);
    expect(text).toContain('resilience_circuit_state{policy="db"} 2');
    expect(text).toContain('resilience_circuit_state_info{policy="db",state="open"} 1');
    expect(text).toContain('resilience_circuit_state_info{policy="db",state="closed"} 0');
    expect(text).toContain('resilience_circuit_transitions_total{policy="db",from="closed",to="open"} 1');
    expect(text).toContain('resilience_calls_total{policy="db",outcome="success"} 1');
    expect(text).toContain('resilience_calls_total{policy="db",outcome="rejected"} 1');
    expect(text).toContain('resilience_calls_total{policy="route:GET /t",outcome="timeout"} 1');
    expect(text).toContain('resilience_retry_attempts_total{policy="db"} 1');
    expect(text).toContain('resilience_bulkhead_active{policy="pool"} 0');
    expect(text).toContain('resilience_bulkhead_queued{policy="pool"} 0');
  });

  it('counts no transition for a reset() of a closed breaker or a second isolate()', async () => {
    const registry = new Registry();
    const breaker = circuitBreaker();
    await build({ registry, policies: { db: breaker } });
    breaker.reset();
    breaker.isolate();
    breaker.isolate();
    const text = await metricsText(registry);
    expect(text).toContain('resilience_circuit_transitions_total{policy="db",from="closed",to="open"} 1');
    expect(text).not.toContain('from="closed",to="closed"');
    expect(text).not.toContain('from="open",to="open"');
  });

  it('counts failures by outcome', async () => {
    const registry = new Registry();
    const app = await build({ registry, policies: { p: timeout(1_000) } });
    await app.resilience
      .get('p')
      .execute(() => Promise.reject(new Error('x')))
      .catch(() => {});
    expect(await metricsText(registry)).toContain('resilience_calls_total{policy="p",outcome="failure"} 1');
  });

  it('lets two apps with separate registries, or one shared registry, live in one process', async () => {
    const a = await build({ policies: { x: circuitBreaker() } });
    const b = await build({ policies: { x: circuitBreaker() } });
    expect(a.resilience.breakerStates()).toHaveLength(1);
    expect(b.resilience.breakerStates()).toHaveLength(1);
    const shared = new Registry();
    const c = await build({ registry: shared, policies: { c: circuitBreaker() } });
    const d = await build({ registry: shared, policies: { d: circuitBreaker() } });
    const text = await metricsText(shared);
    expect(text).toContain('resilience_circuit_state{policy="c"} 0');
    expect(text).toContain('resilience_circuit_state{policy="d"} 0');
    await c.close();
    expect(await metricsText(shared)).not.toContain('policy="c"} 0\nresilience');
    expect(await metricsText(shared)).not.toContain('resilience_circuit_state{policy="c"}');
    await d.close();
  });

  it('uses the global registry by default', async () => {
    const app = Fastify();
    apps.push(app);
    await app.register(resilience, { policies: { global: circuitBreaker() } });
    expect(await globalRegistry.metrics()).toContain('resilience_circuit_state{policy="global"} 0');
    await app.close();
    globalRegistry.clear();
  });

  it('exposes breaker states through the BreakerStateSource interface', async () => {
    const one = circuitBreaker();
    const two = circuitBreaker();
    const app = await build({ policies: { pair: wrap(one, two), solo: circuitBreaker() } });
    two.isolate();
    const source: BreakerStateSource = app.resilience;
    expect(source.breakerStates()).toEqual([
      { name: 'pair[0]', state: 'closed', failures: 0, since: expect.any(Number) },
      { name: 'pair[1]', state: 'open', failures: 0, since: expect.any(Number), openUntil: null },
      { name: 'solo', state: 'closed', failures: 0, since: expect.any(Number) },
    ]);
  });

  it('releases listeners and route policies on close', async () => {
    const registry = new Registry();
    const breaker = circuitBreaker({ failureThreshold: 1 });
    const app = Fastify();
    await app.register(resilience, { registry, policies: { db: breaker } });
    app.get(
      '/t',
      { config: { resilience: { timeout: 10_000, breaker: { failureThreshold: 1 } } } },
      async () => {
        throw new Error('x');
      },
    );
    await app.inject('/t'); // opens the route breaker, which arms its timer
    await app.close();
    breaker.isolate();
    const text = await registry.metrics();
    expect(text).not.toContain('resilience_circuit_transitions_total{policy="db"');
    expect(text).not.toContain('resilience_circuit_state{');
  });

  it('clears the timers of the policies it created on close', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const app = Fastify();
      await app.register(resilience, { registry: new Registry() });
      app.get('/t', { config: { resilience: { breaker: { failureThreshold: 1 } } } }, async () => {
        throw new Error('x');
      });
      await app.inject('/t');
      expect(vi.getTimerCount()).toBe(1); // the open breaker's wait for half-open
      await app.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('clears a route timeout timer and rejects bulkhead waiters on close', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const app = Fastify();
      await app.register(resilience, { registry: new Registry() });
      app.get('/fast', { config: { resilience: { timeout: 60_000 } } }, async () => 'ok');
      let open!: () => void;
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      app.get(
        '/pool',
        { config: { resilience: { bulkhead: { maxConcurrent: 1, maxQueue: 1 } } } },
        async () => {
          await gate;
          return 'done';
        },
      );
      expect((await app.inject('/fast')).body).toBe('ok');
      expect(vi.getTimerCount()).toBe(1); // the timeout's shared timer, left armed for reuse
      const running = app.inject('/pool');
      const queued = app.inject('/pool');
      await vi.waitFor(() => expect(vi.getTimerCount()).toBe(2)); // plus the waiter's queue timer
      await app.close();
      expect(vi.getTimerCount()).toBe(0);
      expect((await queued).json()).toMatchObject({ code: 'BULKHEAD_REJECTED' });
      open();
      expect((await running).body).toBe('done');
    } finally {
      vi.useRealTimers();
    }
  });
});
