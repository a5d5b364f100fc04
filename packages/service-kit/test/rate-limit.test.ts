import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import { ConfigError, loadConfig } from '@steadfast/http';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BaseConfigSchema } from '../src/config.js';
import { createService } from '../src/service.js';
import { type ServiceProcess, startServiceProcess } from '../src/testing.js';
import { logCapture, testConfig } from './helpers.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

// The process test runs against the built kit (turbo builds a package before its tests).
const SERVICE = fileURLToPath(new URL('./fixtures/slow-service.js', import.meta.url));
const SECRET = 'rate-limit-test-secret-of-32-chars!';
const AUTH = {
  AUTH_MODE: 'jwt',
  AUTH_JWT_SECRET: SECRET,
  AUTH_ISSUER: 'https://id.test',
  AUTH_AUDIENCE: 'kit',
};

let database: TestDatabase;
let redis: RedisServer;

beforeAll(async () => {
  [database, redis] = await Promise.all([createTestDatabase(inject('postgresAdminUrl')), startRedisServer()]);
});
afterAll(async () => {
  await redis?.kill();
  await database?.drop();
});

async function limitedApp(env: Record<string, string>, name = 'limits-test') {
  const logs = logCapture();
  const app = await createService({
    service: { name, version: '0.0.0', migrations: {}, slos: false, chaos: false },
    config: testConfig({ DATABASE_URL: database.url, ...env }),
    logStream: logs.stream,
  });
  app.get('/read', async () => ({ ok: true }));
  app.post('/write', async () => ({ ok: true }));
  app.delete('/other-write', async () => ({ ok: true }));
  app.get('/mine', { config: { scope: 'things:read' } }, async () => ({ ok: true }));
  return { app, logs };
}

const token = (sub: string) =>
  new SignJWT({ scope: 'things:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(AUTH.AUTH_ISSUER)
    .setAudience(AUTH.AUTH_AUDIENCE)
    .setSubject(sub)
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET));

const metric = (text: string, name: string) =>
  Number(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'm').exec(text)?.[1]);

describe('rate limits in memory (no REDIS_URL)', () => {
  it('gives each write route its own stricter budget and leaves reads theirs', async () => {
    const { app } = await limitedApp({ RATE_LIMIT_MAX: '4', RATE_LIMIT_WRITE_MAX: '2' });
    try {
      const status = async (method: 'GET' | 'POST' | 'DELETE', url: string) =>
        (await app.inject({ method, url })).statusCode;
      expect([
        await status('POST', '/write'),
        await status('POST', '/write'),
        await status('POST', '/write'),
      ]).toEqual([200, 200, 429]);
      expect(await status('DELETE', '/other-write')).toBe(200);
      const reads = [];
      for (let i = 0; i < 5; i++) reads.push(await status('GET', '/read'));
      expect(reads).toEqual([200, 200, 200, 200, 429]);
    } finally {
      await app.close();
    }
  });

  it('counts unknown routes (404) against the read budget', async () => {
    const { app } = await limitedApp({ RATE_LIMIT_MAX: '2' });
    try {
      expect((await app.inject({ url: '/nope' })).statusCode).toBe(404);
      expect((await app.inject({ url: '/nope/again' })).statusCode).toBe(404);
      const limited = await app.inject({ url: '/nope/third' });
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error).toMatchObject({ code: 'RATE_LIMITED', type: 'client' });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await app.inject({ url: '/read' })).statusCode).toBe(429);
    } finally {
      await app.close();
    }
  });

  it('keys an authenticated route by the token subject, whatever address it comes from', async () => {
    const { app } = await limitedApp({ ...AUTH, RATE_LIMIT_MAX: '2' });
    try {
      const [alice, bob] = await Promise.all([token('alice'), token('bob')]);
      const get = async (bearer: string, remoteAddress: string) =>
        (await app.inject({ url: '/mine', remoteAddress, headers: { authorization: `Bearer ${bearer}` } }))
          .statusCode;
      expect(await get(alice, '10.0.0.1')).toBe(200);
      expect(await get(alice, '10.0.0.2')).toBe(200);
      expect(await get(alice, '10.0.0.3')).toBe(429);
      // Another subject from an address alice used has a budget of its own.
      expect(await get(bob, '10.0.0.1')).toBe(200);
      // Unauthenticated routes fall back to the address.
      expect((await app.inject({ url: '/read', remoteAddress: '10.0.0.1' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('refuses a REDIS_URL of another scheme without printing it', () => {
    const load = () =>
      loadConfig(BaseConfigSchema, { NODE_ENV: 'test', REDIS_URL: 'http://user:hunter2hunter2@redis.test' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/REDIS_URL: must start with redis:\/\/ or rediss:\/\//);
    expect(load).not.toThrow(/hunter2/);
  });
});

describe('rate limits in Redis', () => {
  it('shares one budget between replicas of a service, and not with another service', async () => {
    const env = { REDIS_URL: redis.url, RATE_LIMIT_MAX: '3' };
    const [a, b, other] = await Promise.all([
      limitedApp(env, 'shared-a'),
      limitedApp(env, 'shared-a'),
      limitedApp(env, 'shared-other'),
    ]);
    try {
      const statuses = [];
      for (const replica of [a, b, a, b])
        statuses.push((await replica.app.inject({ url: '/read' })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect((await other.app.inject({ url: '/read' })).statusCode).toBe(200);
    } finally {
      await Promise.all([a.app.close(), b.app.close(), other.app.close()]);
    }
  });

  it('lets requests through when Redis cannot be reached, with one warning and a metric', async () => {
    const closed = await startRedisServer();
    await closed.kill();
    const url = `redis://:s3cret-password@127.0.0.1:${closed.port}`;
    const { app, logs } = await limitedApp({ REDIS_URL: url, RATE_LIMIT_MAX: '1' });
    try {
      for (let i = 0; i < 4; i++) expect((await app.inject({ url: '/read' })).statusCode).toBe(200);
      const warnings = logs.lines.filter((line) =>
        String(line.msg).startsWith('rate-limit store unavailable'),
      );
      expect(warnings).toHaveLength(1);
      expect(logs.text()).not.toContain('s3cret-password');
      expect(metric((await app.inject({ url: '/metrics' })).body, 'rate_limit_store_failures_total')).toBe(4);
    } finally {
      await app.close();
    }
  });
});

describe('a Redis that stops answering', () => {
  it('lets requests through after REDIS_COMMAND_TIMEOUT_MS, and limits again once it answers', async () => {
    const hung = await startRedisServer();
    const { app } = await limitedApp({
      REDIS_URL: hung.url,
      RATE_LIMIT_MAX: '2',
      REDIS_COMMAND_TIMEOUT_MS: '100',
    });
    try {
      const read = async () => (await app.inject({ url: '/read' })).statusCode;
      expect([await read(), await read(), await read()]).toEqual([200, 200, 429]);
      hung.pause();
      expect([await read(), await read()]).toEqual([200, 200]);
      expect(metric((await app.inject({ url: '/metrics' })).body, 'rate_limit_store_failures_total')).toBe(2);
      hung.resume();
      // The budget was spent before the pause, and the counts survived it.
      expect(await read()).toBe(429);
    } finally {
      hung.resume();
      await app.close();
      await hung.kill();
    }
  });
});

async function statusOf(service: ServiceProcess, path = '/entered'): Promise<number> {
  return (await fetch(`${service.url}${path}`)).status;
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('two service processes on one Redis', () => {
  it('enforce one limit, keep serving while Redis is down, and limit again once it is back', async () => {
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      RATE_LIMIT_MAX: '20',
      SLOW_MS: '0',
      AUTH_MODE: 'off',
      METRICS_REFRESH_MS: '0',
    };
    const replicas = await Promise.all([
      startServiceProcess(SERVICE, env),
      startServiceProcess(SERVICE, env),
    ]);
    const [a, b] = replicas as [ServiceProcess, ServiceProcess];
    try {
      // 50 concurrent requests over both replicas against a budget of 20: exactly 20 get through.
      const burst = await Promise.all(Array.from({ length: 50 }, (_, i) => statusOf(i % 2 ? a : b)));
      expect(burst.filter((status) => status === 200)).toHaveLength(20);
      expect(burst.filter((status) => status === 429)).toHaveLength(30);

      await redis.kill();
      for (const replica of [a, b]) {
        for (let i = 0; i < 5; i++) expect(await statusOf(replica)).toBe(200);
        expect(replica.output()).toContain('rate-limit store unavailable');
        const metrics = await (await fetch(`${replica.url}/metrics`)).text();
        expect(metric(metrics, 'rate_limit_store_failures_total')).toBeGreaterThanOrEqual(5);
      }

      await redis.restart();
      // The replicas reconnect on their own; the restarted Redis is empty, so the budget starts again.
      await until(async () => (await statusOf(a)) === 429, 'replica a limits again');
      expect(await statusOf(b)).toBe(429);
      // Log lines are written asynchronously, so a line may reach the pipe just after the response that follows it.
      for (const replica of [a, b]) {
        await until(
          async () => replica.output().includes('rate-limit store is back'),
          'the store is back in the log',
        );
      }
    } finally {
      await Promise.all(replicas.map((replica) => replica.stop()));
    }
  }, 60_000);
});
