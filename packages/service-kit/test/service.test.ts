import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import { ConflictError } from '@steadfast/errors';
import pg from 'pg';
import { Counter } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { allowedHostsFrom } from '../src/config.js';
import { helmetHeaders } from '../src/security.js';
import { createService, type ServiceApp } from '../src/service.js';
import { logCapture, testConfig } from './helpers.js';

let database: TestDatabase;
let app: ServiceApp;
let logs: ReturnType<typeof logCapture>;
// Production refuses to load without a JWT key source, issuer and audience.
const PRODUCTION_AUTH = {
  AUTH_JWT_SECRET: 's'.repeat(32),
  AUTH_ISSUER: 'https://issuer',
  AUTH_AUDIENCE: 'kit',
};

async function buildTestApp(env: Record<string, string> = {}) {
  logs = logCapture();
  const built = await createService({
    service: { name: 'kit-test', version: '1.2.3', migrations: {} },
    config: testConfig({
      DATABASE_URL: database.url,
      SLOW_REQUEST_MS: '50',
      BODY_LIMIT_BYTES: '1024',
      ...env,
    }),
    logStream: logs.stream,
  });
  built.post(
    '/echo',
    {
      schema: {
        body: Type.Object({ name: Type.String({ minLength: 2 }), age: Type.Integer({ minimum: 0 }) }),
        response: { 200: Type.Object({ name: Type.String() }) },
      },
    },
    async (request) => ({ name: request.body.name }),
  );
  built.get('/throw/:what', async (request) => {
    const { what } = request.params as { what: string };
    if (what === 'string') throw 'a plain string';
    if (what === 'conflict') throw new ConflictError('Taken', 'EMAIL_TAKEN');
    if (what === 'sql') throw new Error('syntax error at or near "select * from users where password"');
    if (what === 'db-down') {
      await built.db
        .withSchema('x')
        .selectNoFrom((eb) => eb.val(1).as('x'))
        .execute();
    }
    if (what === 'unknown-sql') await built.database.pool.query('select * from no_such_table');
    throw new Error('boom');
  });
  built.get('/ip', async (request) => ({ ip: request.ip }));
  built.get('/slow', async () => {
    await new Promise((resolve) => setTimeout(resolve, 80));
    return { ok: true };
  });
  built.get('/login', async (request) => {
    request.log.info({ headers: request.headers, password: 'hunter2' }, 'login attempt');
    return { ok: true };
  });
  return built;
}

const expectEnvelope = (body: { error: Record<string, unknown> }, code: string, type: string) => {
  expect(body.error).toMatchObject({ code, type });
  expect(body.error.requestId).toEqual(expect.any(String));
  expect(body.error.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(new Date(body.error.timestamp as string).toString()).not.toBe('Invalid Date');
  expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/);
};

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'));
  app = await buildTestApp();
});

afterAll(async () => {
  await app?.close();
  await database?.drop();
});

describe('request ids and trace context', () => {
  it('echoes a valid incoming request id and generates one otherwise', async () => {
    const given = await app.inject({ url: '/slow', headers: { 'x-request-id': 'client-id-1' } });
    expect(given.headers['x-request-id']).toBe('client-id-1');
    const generated = await app.inject({ url: '/slow', headers: { 'x-request-id': 'bad id!' } });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('puts the incoming trace id in error bodies and the x-trace-id header', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;
    const failed = await app.inject({ url: '/throw/conflict', headers: { traceparent } });
    expect(failed.json().error.traceId).toBe(traceId);
    expect(failed.headers['x-trace-id']).toBe(traceId);
  });
});

describe('logging', () => {
  it('writes one line per request with ids, route, status, duration and the slow flag', async () => {
    const before = logs.lines.length;
    await app.inject({ url: '/slow', headers: { 'x-request-id': 'log-me' } });
    const lines = logs.lines.slice(before).filter((line) => line.requestId === 'log-me');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'warn',
      service: 'kit-test',
      method: 'GET',
      route: '/slow',
      statusCode: 200,
      slow: true,
    });
    expect(lines[0]?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[0]?.durationMs).toBeGreaterThanOrEqual(50);

    await app.inject({ url: '/throw/conflict', headers: { 'x-request-id': 'fast-one' } });
    const fast = logs.lines.find((line) => line.requestId === 'fast-one' && line.msg === 'request completed');
    expect(fast).toMatchObject({ level: 'info', slow: false, statusCode: 409 });
  });

  it('redacts authorization, cookies and passwords', async () => {
    await app.inject({
      url: '/login',
      headers: { authorization: 'Bearer top-secret-token', cookie: 'session=s3cr3t' },
    });
    const text = logs.text();
    expect(text).toContain('login attempt');
    expect(text).not.toContain('top-secret-token');
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('[REDACTED]');
  });

  it('replaces credential values in the logged query string and keeps the rest', async () => {
    await app.inject({
      url: '/slow?access_token=tok-1&api%5Fkey=key-2&client_secret=sec-3&code=code-4&page=2&q=a%20b&flag',
      headers: { 'x-request-id': 'query-secrets' },
    });
    const line = logs.lines.find(
      (l) => l.requestId === 'query-secrets' && String(l.msg).startsWith('request completed'),
    );
    expect(line?.url).toBe(
      '/slow?access_token=[REDACTED]&api%5Fkey=[REDACTED]&client_secret=[REDACTED]&code=[REDACTED]&page=2&q=a%20b&flag',
    );
    expect(logs.text()).not.toMatch(/tok-1|key-2|sec-3|code-4/);
  });
});

describe('the error envelope', () => {
  it('lists each bad field of a validation failure', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: { name: 'x', age: -1, extra: 1 },
    });
    expect(response.statusCode).toBe(400);
    expectEnvelope(response.json(), 'VALIDATION_FAILED', 'client');
    expect(response.json().error.details).toEqual(
      expect.arrayContaining([
        { field: 'body.name', message: expect.stringContaining('fewer than 2') },
        { field: 'body.age', message: expect.stringContaining('>= 0') },
      ]),
    );
  });

  it('renders taxonomy errors with their code and status', async () => {
    const response = await app.inject({ url: '/throw/conflict' });
    expect(response.statusCode).toBe(409);
    expectEnvelope(response.json(), 'EMAIL_TAKEN', 'client');
    expect(response.json().error.message).toBe('Taken');
  });

  it('renders a thrown non-error as a generic 500', async () => {
    const response = await app.inject({ url: '/throw/string' });
    expect(response.statusCode).toBe(500);
    expectEnvelope(response.json(), 'INTERNAL_ERROR', 'server');
    expect(response.body).not.toContain('plain string');
  });

  it('never shows SQL or driver messages in a 5xx', async () => {
    const response = await app.inject({ url: '/throw/sql' });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toMatch(/select|password|syntax/i);
    expect(response.json().error.details).toBeNull();
  });

  it('maps an unreachable database to 503 and keeps serving', async () => {
    const broken = await buildTestApp({ DB_CONNECT_TIMEOUT_MS: '500' });
    await broken.database.pool.end();
    const response = await broken.inject({ url: '/throw/db-down' });
    expect(response.statusCode).toBe(503);
    expectEnvelope(response.json(), 'DEPENDENCY_UNAVAILABLE', 'server');
    expect((await broken.inject({ url: '/slow' })).statusCode).toBe(200);
    await broken.close().catch(() => undefined);
  });

  it('maps a PostgreSQL error it does not know to a generic 500', async () => {
    const response = await app.inject({ url: '/throw/unknown-sql' });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('no_such_table');
  });

  it('answers unknown routes with a 404 envelope', async () => {
    const response = await app.inject({ url: '/nowhere?x=1' });
    expect(response.statusCode).toBe(404);
    expectEnvelope(response.json(), 'NOT_FOUND', 'client');
    expect(response.json().error.message).not.toContain('/nowhere');
  });

  it('answers malformed JSON with 400', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(response.statusCode).toBe(400);
    expectEnvelope(response.json(), 'MALFORMED_BODY', 'client');
  });

  it('answers a body over the limit with 413', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: { name: 'x'.repeat(2000), age: 1 },
    });
    expect(response.statusCode).toBe(413);
    expectEnvelope(response.json(), 'PAYLOAD_TOO_LARGE', 'client');
  });

  it('answers an unsupported content type with 415', async () => {
    for (const type of ['text/plain', 'application/xml']) {
      const response = await app.inject({
        method: 'POST',
        url: '/echo',
        headers: { 'content-type': type },
        payload: 'x',
      });
      expect(response.statusCode).toBe(415);
      expectEnvelope(response.json(), 'UNSUPPORTED_MEDIA_TYPE', 'client');
    }
  });
});

describe('security, metrics and docs', () => {
  it('sets security headers', async () => {
    const response = await app.inject({ url: '/slow' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    // Every header helmet's own middleware sets, as it sets it, on every response.
    const expected = helmetHeaders();
    expect(expected['strict-transport-security']).toMatch(/max-age=/);
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(10);
    for (const [name, value] of Object.entries(expected)) expect(response.headers[name]).toBe(value);
    const failed = await app.inject({ url: '/throw/conflict' });
    for (const [name, value] of Object.entries(expected)) expect(failed.headers[name]).toBe(value);
  });

  it('rate limits with 429, retryAfter and Retry-After, but never /metrics', async () => {
    const limited = await buildTestApp({ RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_MS: '60000' });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await limited.inject({ url: '/slow' })).statusCode);
      expect(statuses).toEqual([200, 200, 429]);
      const rejected = await limited.inject({ url: '/slow' });
      expect(rejected.json().error).toMatchObject({ code: 'RATE_LIMITED', type: 'client' });
      expect(rejected.json().error.retryAfter).toBeGreaterThan(0);
      expect(rejected.json().error.retryAfter).toBeLessThanOrEqual(60);
      expect(Number(rejected.headers['retry-after'])).toBeGreaterThan(0);
      // Every operational route is exempt, whichever package registered it (the SLO status once was not).
      for (const url of ['/metrics', '/health/ready', '/v1/slo']) {
        for (let i = 0; i < 5; i++) expect((await limited.inject({ url })).statusCode, url).toBe(200);
      }
    } finally {
      await limited.close();
    }
  });

  it('rate limits per forwarded client when TRUST_PROXY is on, and a spoofed left-most hop changes nothing', async () => {
    const proxied = await buildTestApp({ RATE_LIMIT_MAX: '1', TRUST_PROXY: 'true' });
    try {
      const from = (forwarded: string) =>
        proxied.inject({ url: '/slow', headers: { 'x-forwarded-for': forwarded } });
      expect((await from('10.0.0.1')).statusCode).toBe(200);
      expect((await from('10.0.0.2')).statusCode).toBe(200);
      expect((await from('10.0.0.1')).statusCode).toBe(429);
      // `true` is one hop: the address the load balancer saw, whatever the client put before it.
      expect((await from('203.0.113.9, 10.0.0.1')).statusCode).toBe(429);
      expect((await from('203.0.113.10, 10.0.0.2')).statusCode).toBe(429);
    } finally {
      await proxied.close();
    }
  });

  it.each([
    ['false', '127.0.0.1', '127.0.0.1'],
    ['1', '127.0.0.1', '10.0.0.2'],
    ['2', '127.0.0.1', '10.0.0.1'],
    ['127.0.0.0/8, ::1', '127.0.0.1', '10.0.0.2'],
    ['loopback', '127.0.0.1', '10.0.0.2'],
    // A client that reaches the port directly is not one of the listed proxies: its own address counts.
    ['192.0.2.0/24', '198.51.100.7', '198.51.100.7'],
  ])('TRUST_PROXY=%s from %s sees the client as %s', async (trust, remoteAddress, ip) => {
    const proxied = await buildTestApp({ TRUST_PROXY: trust });
    try {
      const response = await proxied.inject({
        url: '/ip',
        remoteAddress,
        headers: { 'x-forwarded-for': '203.0.113.9, 10.0.0.1, 10.0.0.2' },
      });
      expect(response.json()).toEqual({ ip });
    } finally {
      await proxied.close();
    }
  });

  it('answers only the loopback names outside production, 421 in the envelope otherwise, and probes any host', async () => {
    for (const host of ['localhost:3000', '127.0.0.1', '[::1]:8080']) {
      expect((await app.inject({ url: '/slow', headers: { host } })).statusCode, host).toBe(200);
    }
    const rebound = await app.inject({ url: '/slow', headers: { host: 'attacker.example:3000' } });
    expect(rebound.statusCode).toBe(421);
    expectEnvelope(rebound.json(), 'MISDIRECTED_REQUEST', 'client');
    expect((await app.inject({ url: '/health/live', headers: { host: '10.1.2.3:3000' } })).statusCode).toBe(
      200,
    );
  });

  it('takes ALLOWED_HOSTS as names, subdomain suffixes or *, and any host by default in production', async () => {
    const listed = await buildTestApp({ ALLOWED_HOSTS: 'api.example.com, .internal.example' });
    try {
      const status = async (host: string) =>
        (await listed.inject({ url: '/slow', headers: { host } })).statusCode;
      expect(await status('api.example.com')).toBe(200);
      expect(await status('users.internal.example:8443')).toBe(200);
      expect(await status('localhost')).toBe(421);
      expect(await status('evil-internal.example')).toBe(421);
    } finally {
      await listed.close();
    }
    expect(allowedHostsFrom(testConfig({ NODE_ENV: 'production', ...PRODUCTION_AUTH }))).toEqual(['*']);
    expect(allowedHostsFrom(testConfig({ ALLOWED_HOSTS: '*' }))).toEqual(['*']);
  });

  it('sends no CORS headers by default, and allows only CORS_ORIGINS when set', async () => {
    const preflight = (target: ServiceApp, origin: string) =>
      target.inject({
        method: 'OPTIONS',
        url: '/slow',
        headers: { origin, 'access-control-request-method': 'GET' },
      });
    const closed = await app.inject({ url: '/slow', headers: { origin: 'https://app.example.com' } });
    expect(closed.headers['access-control-allow-origin']).toBeUndefined();
    const open = await buildTestApp({ CORS_ORIGINS: 'https://app.example.com' });
    try {
      const allowed = await preflight(open, 'https://app.example.com');
      expect(allowed.statusCode).toBe(204);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
      const simple = await open.inject({ url: '/slow', headers: { origin: 'https://app.example.com' } });
      expect(simple.headers['access-control-allow-origin']).toBe('https://app.example.com');
      const other = await preflight(open, 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await open.close();
    }
    expect(() => testConfig({ CORS_ORIGINS: 'https://ok.example, app.example.com' })).toThrow(
      /CORS_ORIGINS: "app.example.com" is not an origin/,
    );
  });

  it('exposes request metrics by route template and lets the app add its own', async () => {
    new Counter({ name: 'kit_test_widgets_total', help: 'widgets', registers: [app.metricsRegistry] }).inc(3);
    await app.inject({ url: '/throw/conflict' });
    const text = (await app.inject({ url: '/metrics' })).body;
    expect(text).toMatch(
      /http_requests_total\{method="GET",route="\/throw\/:what",status_code="409",service="kit-test"\} \d+/,
    );
    expect(text).toMatch(/http_request_duration_seconds_bucket\{.*route="\/throw\/:what".*\}/);
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toMatch(/kit_test_widgets_total\{service="kit-test"\} 3/);
  });

  it('serves OpenAPI 3 at /docs/json and the UI at /docs', async () => {
    const spec = (await app.inject({ url: '/docs/json' })).json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(spec.info).toMatchObject({ title: 'kit-test', version: '1.2.3' });
    expect(spec.paths['/echo'].post.requestBody).toBeDefined();
    expect(spec.paths['/echo'].post.responses['4XX'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ErrorEnvelope',
    });
    expect(spec.paths['/metrics']).toBeUndefined();
    const ui = await app.inject({ url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });
});

describe('the database', () => {
  it('parses int8 as a number on its own pool, leaving pg’s process-wide parsers alone', async () => {
    const { n } = await app.db
      .selectNoFrom((eb) => eb.cast<number>(eb.val(7), 'int8').as('n'))
      .executeTakeFirstOrThrow();
    expect(n).toBe(7);
    // Another pool in the same process (a library, a test) still gets pg's default: int8 as a string.
    expect(pg.types.getTypeParser(pg.types.builtins.INT8)('7')).toBe('7');
  });
});

describe('what a service leaves out', () => {
  it('registers no SLO routes or SLI tables with slos: false, and no chaos with chaos: false', async () => {
    const own = await createTestDatabase(inject('postgresAdminUrl'));
    const bare = await createService({
      service: { name: 'kit-bare', version: '1.0.0', migrations: {}, slos: false, chaos: false },
      config: testConfig({ DATABASE_URL: own.url, CHAOS_ENABLED: 'true', CHAOS_ADMIN_TOKEN: 'x'.repeat(16) }),
      logStream: logCapture().stream,
    });
    try {
      expect((await bare.inject({ url: '/v1/slo' })).statusCode).toBe(404);
      expect((await bare.inject({ url: '/admin/chaos/status' })).statusCode).toBe(404);
      expect(bare.hasDecorator('slo')).toBe(false);
      expect(bare.chaos).toBeUndefined();
      expect((await bare.inject({ url: '/health/ready' })).statusCode).toBe(200);
      const tables = await bare.db
        .selectFrom('information_schema.tables')
        .select('table_name')
        .where('table_schema', '=', 'public')
        .execute();
      expect(
        tables
          .map((t: { table_name: string }) => t.table_name)
          .filter((t: string) => !t.startsWith('kysely_')),
      ).toEqual([]);
    } finally {
      await bare.close();
      await own.drop();
    }
  });
});

describe('a service without a database', () => {
  it('starts without PostgreSQL when it has no migrations, with health and metrics', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kit-nodb-'));
    const service = await createService({
      service: { name: 'kit-nodb', version: '1.0.0', slos: false, chaos: false },
      config: testConfig({ DATA_DIR: join(dataDir, 'pg') }),
      logStream: logCapture().stream,
    });
    try {
      await service.ready();
      expect(service.hasDecorator('db')).toBe(false);
      expect(service.hasDecorator('guardDatabase')).toBe(false);
      const ready = await service.inject({ url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().checks).toEqual({});
      const metrics = await service.inject({ url: '/metrics' });
      expect(metrics.statusCode).toBe(200);
      // No pool, so no pool or query metrics that would read as a database with no connections.
      expect(metrics.body).toContain('http_requests_in_flight');
      expect(metrics.body).not.toMatch(/db_(pool|query)_/);
      // No embedded PostgreSQL was started in its data folder.
      expect(await readdir(dataDir)).toEqual([]);
    } finally {
      await service.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses SLOs or chaos, which keep their state in the database', async () => {
    for (const [option, value] of [
      ['slos', undefined],
      ['chaos', true],
    ] as const) {
      await expect(
        createService({
          service: { name: 'kit-nodb', version: '1.0.0', slos: false, chaos: false, [option]: value },
          config: testConfig({}),
          logStream: logCapture().stream,
        }),
      ).rejects.toThrow(`Invalid option service.${option}`);
    }
  });
});

describe('startup on a slow machine', () => {
  it("gives a slow startup step (initdb on a busy machine) longer than Fastify's 10 s plugin timeout", async () => {
    const slow = await createService({
      service: { name: 'kit-slow', version: '0.0.0', migrations: {} },
      config: testConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent' }),
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      slow.register(async () => {
        await new Promise((resolve) => setTimeout(resolve, 30_000));
      });
      const ready = slow.ready();
      await vi.advanceTimersByTimeAsync(30_000);
      await expect(ready).resolves.toBeDefined();
    } finally {
      vi.useRealTimers();
      await slow.close();
    }
  });
});
