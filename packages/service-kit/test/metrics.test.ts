import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import { ConfigError, loadConfig } from '@steadfast/http';
import { sql } from 'kysely';
import { Gauge } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { BaseConfigSchema } from '../src/config.js';
import { createService, type ServiceApp } from '../src/service.js';
import { testConfig } from './helpers.js';

let database: TestDatabase;
let app: ServiceApp;
let release: () => void = () => {};
let entered = 0;
let port: number;

async function metricsApp(env: Record<string, string> = {}) {
  const built = await createService({
    service: { name: 'metrics-test', version: '0.0.0', migrations: {}, slos: false, chaos: false },
    config: testConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent', METRICS_REFRESH_MS: '0', ...env }),
  });
  built.post('/echo', async (request) => ({ echoed: request.body }));
  built.get('/quick', async () => ({ ok: true }));
  built.get('/hold', async () => {
    entered += 1;
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    return { ok: true };
  });
  built.get('/stream', async (_request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
    reply.raw.write(': open\n\n');
    built.trackOpenStream(reply);
    return reply;
  });
  return built;
}

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'));
  app = await metricsApp({ DB_POOL_MAX: '2' });
  port = Number(new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port);
});
afterAll(async () => {
  await app?.close();
  await database?.drop();
});

const scrape = async (target = app) => (await target.inject({ url: '/metrics' })).body;

/** The value of one series, picked by name and a label fragment (`operation="select"`); NaN when absent. */
function value(text: string, name: string, labels = ''): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(labels)) return Number(line.split(' ').at(-1));
  }
  return Number.NaN;
}

async function untilTrue(condition: () => boolean | Promise<boolean>) {
  for (let i = 0; i < 500 && !(await condition()); i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('database metrics', () => {
  it('times queries by operation and outcome', async () => {
    const before = await scrape();
    const count = (text: string, labels: string) =>
      value(text, 'db_query_duration_seconds_count', labels) || 0;
    await app.db.selectNoFrom((eb) => eb.val(1).as('one')).execute();
    await sql`select 2`.execute(app.db);
    await sql`create temporary table if not exists metrics_probe (id int)`.execute(app.db);
    await expect(sql`select * from no_such_table`.execute(app.db)).rejects.toThrow();
    // The kit's pool has no cursor, so a streamed query fails, and is counted as it fails.
    const stream = app.db.selectNoFrom((eb) => eb.val(3).as('three')).stream();
    await expect(stream.next()).rejects.toThrow(/cursor/);
    const after = await scrape();
    expect(
      count(after, 'operation="select",outcome="ok"') - count(before, 'operation="select",outcome="ok"'),
    ).toBe(2);
    expect(
      count(after, 'operation="select",outcome="error"') -
        count(before, 'operation="select",outcome="error"'),
    ).toBe(2);
    // DDL is not in the list of operations: one bounded label for everything else.
    expect(count(after, 'operation="other",outcome="ok"')).toBeGreaterThanOrEqual(1);
  });

  it('reads the pool gauges from the pool: total, idle, and queries waiting for a connection', async () => {
    const clients = await Promise.all([app.database.pool.connect(), app.database.pool.connect()]);
    const waiting = app.database.pool.query('select 1');
    try {
      const busy = await scrape();
      expect(value(busy, 'db_pool_connections')).toBe(2);
      expect(value(busy, 'db_pool_connections_idle')).toBe(0);
      expect(value(busy, 'db_pool_requests_waiting')).toBe(1);
    } finally {
      for (const client of clients) client.release();
    }
    await waiting;
    const idle = await scrape();
    expect(value(idle, 'db_pool_requests_waiting')).toBe(0);
    expect(value(idle, 'db_pool_connections_idle')).toBe(2);
  });
});

describe('request metrics', () => {
  it('counts requests in flight, including one the client abandoned, until their connection closes', async () => {
    entered = 0;
    const held = app.inject({ url: '/hold' });
    await untilTrue(() => entered === 1);
    // The scrape itself is in flight too.
    expect(value(await scrape(), 'http_requests_in_flight')).toBe(2);
    release();
    await held;
    expect(value(await scrape(), 'http_requests_in_flight')).toBe(1);

    entered = 0;
    const abandoned = httpRequest({ host: '127.0.0.1', port, path: '/hold' });
    abandoned.on('error', () => {});
    abandoned.end();
    await untilTrue(() => entered === 1);
    abandoned.destroy();
    await untilTrue(async () => value(await scrape(), 'http_requests_in_flight') === 1);
    expect(value(await scrape(), 'http_requests_in_flight')).toBe(1);
    release();
  });

  it('observes request and response body sizes by route', async () => {
    const body = JSON.stringify({ text: 'x'.repeat(1000) });
    const response = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: body,
    });
    const text = await scrape();
    expect(value(text, 'http_request_size_bytes_sum', 'route="/echo"')).toBe(Buffer.byteLength(body));
    expect(value(text, 'http_response_size_bytes_sum', 'route="/echo"')).toBe(
      Number(response.headers['content-length']),
    );
    expect(value(text, 'http_request_size_bytes_count', 'route="/echo"')).toBe(1);
  });

  it('times matched requests by method, route, status and sli, in the buckets the SLO rules read; not HEAD', async () => {
    await app.inject({ url: '/quick' });
    await app.inject({ url: '/quick' });
    await app.inject({ method: 'HEAD', url: '/quick' });
    const lines = (await scrape()).split('\n').filter((line) => line.includes('route="/quick"'));
    const durations = lines.filter((line) => line.startsWith('http_request_duration_seconds'));
    expect(durations.filter((line) => line.startsWith('http_request_duration_seconds_count'))).toEqual([
      'http_request_duration_seconds_count{service="metrics-test",method="GET",route="/quick",status_code="200",sli="false"} 2',
    ]);
    expect(durations.map((line) => /le="([^"]+)"/.exec(line)?.[1]).filter(Boolean)).toEqual([
      ...['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10'],
      '+Inf',
    ]);
    expect(value(durations.join('\n'), 'http_request_duration_seconds_sum')).toBeGreaterThan(0);
    // HEAD is counted as a request, not timed.
    expect(value(lines.join('\n'), 'http_requests_total', 'method="HEAD"')).toBe(1);
  });

  it('counts open streams through app.trackOpenStream until the client goes away', async () => {
    const stream = httpRequest({ host: '127.0.0.1', port, path: '/stream' });
    stream.on('error', () => {});
    stream.end();
    const [response] = (await once(stream, 'response')) as [NodeJS.ReadableStream];
    await once(response, 'data');
    expect(value(await scrape(), 'http_streams_open', 'route="/stream"')).toBe(1);
    stream.destroy();
    await untilTrue(async () => value(await scrape(), 'http_streams_open', 'route="/stream"') === 0);
    expect(value(await scrape(), 'http_streams_open', 'route="/stream"')).toBe(0);
  });
});

describe('/metrics', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('serves a snapshot collected on a timer, so no scrape queries the database', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const snapshotted = await metricsApp({ METRICS_REFRESH_MS: '15000' });
    try {
      let queries = 0;
      new Gauge({
        name: 'kit_test_rows',
        help: 'a gauge that reads the database when collected',
        registers: [snapshotted.metricsRegistry],
        async collect() {
          queries += 1;
          const { rows } = await sql<{ n: number }>`select ${queries}::int as n`.execute(snapshotted.db);
          this.set(rows[0]?.n ?? -1);
        },
      });
      await snapshotted.ready();
      await untilTrue(() => queries === 1);
      for (let i = 0; i < 5; i++) expect(value(await scrape(snapshotted), 'kit_test_rows')).toBe(1);
      expect(queries).toBe(1);

      await vi.advanceTimersByTimeAsync(15_000);
      await untilTrue(async () => value(await scrape(snapshotted), 'kit_test_rows') === 2);
      expect(queries).toBe(2);
    } finally {
      await snapshotted.close();
    }
  });

  it('needs the bearer token when METRICS_TOKEN is set', async () => {
    const token = 'metrics-token-of-some-length';
    const guarded = await metricsApp({ METRICS_TOKEN: token });
    try {
      const get = (authorization?: string) =>
        guarded.inject({ url: '/metrics', headers: authorization ? { authorization } : {} });
      const anonymous = await get();
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json().error).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect((await get('Bearer not-the-metrics-token-at-all')).statusCode).toBe(403);
      const allowed = await get(`Bearer ${token}`);
      expect(allowed.statusCode).toBe(200);
      expect(allowed.body).toContain('http_requests_in_flight');
    } finally {
      await guarded.close();
    }
  });

  it('refuses a short METRICS_TOKEN without printing it', () => {
    const load = () => loadConfig(BaseConfigSchema, { NODE_ENV: 'test', METRICS_TOKEN: 'short-secret' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/METRICS_TOKEN/);
    expect(load).not.toThrow(/short-secret/);
  });
});

describe('the sli label', () => {
  it('is "true" on exactly the requests the live SLIs count, so the SLO specs select the same ones', async () => {
    const withSlos = await createService({
      service: { name: 'sli-label-test', version: '0.0.0', migrations: {}, chaos: false },
      config: testConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent', METRICS_REFRESH_MS: '0' }),
    });
    withSlos.get('/v1/things', async () => ({ data: [] }));
    await withSlos.ready();
    try {
      for (const url of ['/v1/things', '/health/ready', '/v1/slo', '/no/such/route'])
        await withSlos.inject({ url });
      const text = await scrape(withSlos);
      const sliOf = (route: string) =>
        text
          .split('\n')
          .filter((line) => line.startsWith('http_request_duration_seconds_count{') && line.includes(route))
          .map((line) => /sli="(\w+)"/.exec(line)?.[1]);
      expect(sliOf('route="/v1/things"')).toEqual(['true']);
      expect(sliOf('route="/health/ready"')).toEqual(['false']);
      expect(sliOf('route="/v1/slo"')).toEqual(['false']);
      // Unmatched URLs are not in the histogram at all, as they are not in the live SLIs.
      expect(sliOf('status_code="404"')).toEqual([]);
    } finally {
      await withSlos.close();
    }
  });
});
