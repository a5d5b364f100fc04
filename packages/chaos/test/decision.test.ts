import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideDependencyCall, decideRequest } from '../src/decision.js';
import { currentStep, type Fault } from '../src/fault.js';
import { globMatches, type RequestFacts, routeMatches, targetsRequest } from '../src/targeting.js';
import { seeded } from './helpers.js';

const NOW = Date.parse('2026-11-23T17:00:00Z');

function fault(overrides: Partial<Fault> = {}): Fault {
  return {
    id: 'f1',
    kind: 'error',
    target: {},
    probability: 1,
    durationSeconds: 300,
    ramp: [],
    createdAt: new Date(NOW),
    expiresAt: new Date(NOW + 300_000),
    createdBy: 'test',
    origin: 'api',
    ...overrides,
  };
}

const request = (overrides: Partial<RequestFacts> = {}): RequestFacts => ({
  method: 'GET',
  route: '/v1/users/:id',
  path: '/v1/users/42',
  ...overrides,
});

describe('route patterns', () => {
  it.each([
    ['/v1/users/:id', true],
    ['/v1/users/42', true],
    ['/v1/users*', true],
    ['/v1/*/:id', true],
    ['*', true],
    ['/v1/users', false],
    ['/v1/user', false],
    ['/v1/orders*', false],
    ['/v1/users/:id/state', false],
  ])('%s matches /v1/users/:id (/v1/users/42): %s', (pattern, expected) => {
    expect(routeMatches(pattern, '/v1/users/:id', '/v1/users/42')).toBe(expected);
  });

  it('treats regular-expression characters literally', () => {
    expect(globMatches('/a.b', '/aXb')).toBe(false);
    expect(globMatches('/a.b*', '/a.b/c')).toBe(true);
    expect(globMatches('/(x)+', '/(x)+')).toBe(true);
  });

  it('a pattern without * matches only itself (property)', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('*')),
        fc.string(),
        (pattern, value) => {
          expect(globMatches(pattern, value)).toBe(pattern === value);
        },
      ),
    );
  });

  it('prefix* matches exactly the values that start with prefix (property)', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('*')),
        fc.string(),
        (prefix, rest) => {
          expect(globMatches(`${prefix}*`, prefix + rest)).toBe(true);
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('*')),
        fc.string(),
        (prefix, value) => {
          expect(globMatches(`${prefix}*`, value)).toBe(value.startsWith(prefix));
        },
      ),
    );
  });
});

describe('targeting', () => {
  it('matches by method, route and header', () => {
    expect(targetsRequest(fault({ target: { method: 'GET' } }), request())).toBe(true);
    expect(targetsRequest(fault({ target: { method: 'POST' } }), request())).toBe(false);
    expect(targetsRequest(fault({ target: { route: '/v1/users*', method: 'GET' } }), request())).toBe(true);
    expect(targetsRequest(fault({ target: { header: true } }), request())).toBe(false);
    expect(targetsRequest(fault({ target: { header: true } }), request({ faultIds: new Set(['f1']) }))).toBe(
      true,
    );
    expect(targetsRequest(fault({ target: { header: true } }), request({ faultIds: new Set(['f2']) }))).toBe(
      false,
    );
  });

  it('never applies a dependency fault to a request, nor an HTTP fault to a dependency', () => {
    expect(decideRequest([fault({ target: { dependency: 'database' } })], request(), NOW, () => 0)).toEqual({
      delays: [],
    });
    expect(decideDependencyCall([fault()], 'database', NOW, () => 0)).toEqual({ delays: [] });
    expect(
      decideDependencyCall([fault({ target: { dependency: 'cache' } })], 'database', NOW, () => 0),
    ).toEqual({
      delays: [],
    });
    const hit = decideDependencyCall(
      [fault({ target: { dependency: 'database' } })],
      'database',
      NOW,
      () => 0,
    );
    expect(hit.failure).toMatchObject({ kind: 'error', status: 503 });
  });

  it('a fault only ever hits requests its target covers (property)', () => {
    const methods = fc.constantFrom('GET', 'POST', 'DELETE');
    const routes = fc.constantFrom('/v1/users', '/v1/users/:id', '/v1/orders/:id', '/work');
    const target = fc.record(
      { route: fc.constantFrom('/v1/users*', '/v1/users/:id', '*', '/work'), method: methods },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        target,
        methods,
        routes,
        fc.double({ min: 0, max: 1, noNaN: true }),
        (t, method, route, p) => {
          const f = fault({ target: t, probability: p });
          const facts = request({ method, route, path: route.replace(':id', '7') });
          const decision = decideRequest([f], facts, NOW, Math.random);
          if (decision.failure !== undefined) expect(targetsRequest(f, facts)).toBe(true);
          if (t.method !== undefined && t.method !== method) expect(decision.failure).toBeUndefined();
        },
      ),
    );
  });

  it('probability 0 never hits and probability 1 always hits (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (roll) => {
        expect(
          decideRequest([fault({ probability: 0 })], request(), NOW, () => roll).failure,
        ).toBeUndefined();
        expect(decideRequest([fault({ probability: 1 })], request(), NOW, () => roll).failure).toBeDefined();
      }),
    );
  });

  it('never applies an expired fault (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (afterExpiry) => {
        const expired = fault({ expiresAt: new Date(NOW - afterExpiry) });
        expect(decideRequest([expired], request(), NOW, () => 0)).toEqual({ delays: [] });
      }),
    );
  });
});

describe('the error probability', () => {
  it.each([0.01, 0.1, 0.5])('hits %s of 2000 requests within a 4-sigma binomial bound', (p) => {
    const random = seeded(42);
    const n = 2000;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      if (decideRequest([fault({ probability: p })], request(), NOW, random).failure) hits++;
    }
    const sigma = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(hits - n * p)).toBeLessThanOrEqual(4 * sigma);
  });
});

describe('combining faults', () => {
  it('adds the latency of every hit, then the first error wins over an abort', () => {
    const faults = [
      fault({ id: 'abort', kind: 'abort' }),
      fault({ id: 'slow', kind: 'latency', latencyMs: 100 }),
      fault({ id: 'slower', kind: 'latency', latencyMs: 50, jitterMs: 10 }),
      fault({ id: 'fail', kind: 'error', status: 502 }),
    ];
    const decision = decideRequest(faults, request(), NOW, () => 0.5);
    expect(decision.delays.map((d) => [d.fault.id, d.ms])).toEqual([
      ['slow', 100],
      ['slower', 55],
    ]);
    expect(decision.failure).toMatchObject({ kind: 'error', status: 502 });
    expect(decideRequest(faults.slice(0, 1), request(), NOW, () => 0.5).failure?.kind).toBe('abort');
  });

  it('keeps jitter within [latency, latency + jitter] (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (ms, jitter) => {
        const random = seeded(ms + jitter);
        const [delay] = decideRequest(
          [fault({ kind: 'latency', latencyMs: ms, jitterMs: jitter })],
          request(),
          NOW,
          random,
        ).delays;
        expect(delay?.ms).toBeGreaterThanOrEqual(ms);
        expect(delay?.ms).toBeLessThanOrEqual(ms + jitter);
      }),
    );
  });
});

describe('ramps', () => {
  const ramped = fault({
    kind: 'latency',
    probability: 0.01,
    latencyMs: 200,
    ramp: [
      { afterSeconds: 60, probability: 0.03, latencyMs: 400 },
      { afterSeconds: 120, probability: 0.07, latencyMs: 700 },
    ],
  });

  it.each([
    [0, 0, 0.01, 200],
    [59.9, 0, 0.01, 200],
    [60, 1, 0.03, 400],
    [119, 1, 0.03, 400],
    [120, 2, 0.07, 700],
    [299, 2, 0.07, 700],
  ])('after %s s runs step %s (p=%s, %s ms)', (seconds, index, probability, latencyMs) => {
    expect(currentStep(ramped, NOW + seconds * 1000)).toEqual({ index, probability, latencyMs });
  });

  it('keeps values a step does not change', () => {
    const partial = fault({ probability: 0.1, ramp: [{ afterSeconds: 1, probability: 0.5 }] });
    expect(currentStep(partial, NOW + 2000)).toEqual({ index: 1, probability: 0.5, latencyMs: undefined });
  });

  it('never steps backwards as time passes (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300_000 }), fc.integer({ min: 0, max: 300_000 }), (a, b) => {
        const [early, late] = a <= b ? [a, b] : [b, a];
        expect(currentStep(ramped, NOW + late).index).toBeGreaterThanOrEqual(
          currentStep(ramped, NOW + early).index,
        );
      }),
    );
  });
});
