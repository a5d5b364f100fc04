import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createService, type ServiceApp } from '../src/service.js';
import { installGracefulShutdown } from '../src/shutdown.js';
import { logCapture, testConfig } from './helpers.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'));
});
afterAll(() => database?.drop());

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Requests that reached the /slow handler: a request still in the socket buffer at shutdown is not in flight. */
let entered = 0;

async function untilEntered(count: number) {
  while (entered < count) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function listeningApp(delayMs: number) {
  entered = 0;
  const logs = logCapture();
  const app: ServiceApp = await createService({
    service: { name: 'shutdown-test', version: '0', migrations: {} },
    config: testConfig({ DATABASE_URL: database.url }),
    logStream: logs.stream,
  });
  app.get('/slow', async () => {
    entered += 1;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    // The pool must still be open while in-flight requests finish.
    const { rows } = await app.database.pool.query('select 1 as one');
    return { one: rows[0].one };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, logs, port: (app.server.address() as AddressInfo).port };
}

describe('graceful shutdown', () => {
  it('finishes in-flight requests, refuses new connections, closes the pool, exits 0', async () => {
    const { app, logs, port } = await listeningApp(300);
    const exits: number[] = [];
    const trigger = installGracefulShutdown(app, {
      delayMs: 0,
      timeoutMs: 5000,
      exit: (code) => exits.push(code),
    });

    const inFlight = Array.from({ length: 20 }, () => get(port, '/slow'));
    await untilEntered(20);
    const shutdown = trigger('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(get(port, '/slow')).rejects.toThrow(/ECONNREFUSED|ECONNRESET|socket hang up/);

    const results = await Promise.all(inFlight);
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(results.every((r) => r.body === '{"one":1}')).toBe(true);
    await shutdown;
    expect(exits).toEqual([0]);
    const messages = logs.lines.map((line) => line.msg);
    expect(messages).toContain('shutdown: started; readiness now fails');
    expect(messages).toContain('shutdown: no longer accepting connections; draining in-flight requests');
    expect(messages).toContain('shutdown: database pool close done');
    expect(messages.at(-1)).toBe('shutdown: complete');
    expect(app.database.pool.ended).toBe(true);
  });

  it('cuts connections that outlive the timeout and exits 1', async () => {
    const { app, logs, port } = await listeningApp(3000);
    const exits: number[] = [];
    const trigger = installGracefulShutdown(app, {
      delayMs: 0,
      timeoutMs: 200,
      exit: (code) => exits.push(code),
    });
    const stuck = get(port, '/slow').catch((error: Error) => error);
    await untilEntered(1);
    await trigger('SIGTERM');
    expect(exits).toEqual([1]);
    expect(await stuck).toBeInstanceOf(Error);
    expect(
      logs.lines.some((line) => line.msg === 'shutdown: drain timed out; closing remaining connections'),
    ).toBe(true);
  });

  it('runs only once however often it is triggered', async () => {
    const { app } = await listeningApp(10);
    const exits: number[] = [];
    const trigger = installGracefulShutdown(app, {
      delayMs: 0,
      timeoutMs: 1000,
      exit: (code) => exits.push(code),
    });
    await Promise.all([trigger('SIGTERM'), trigger('SIGINT'), trigger('uncaught exception', 1)]);
    expect(exits).toEqual([0]);
  });

  it('shuts down with exit 1 after an unhandled rejection', async () => {
    const { app, logs } = await listeningApp(10);
    const exits: number[] = [];
    installGracefulShutdown(app, { delayMs: 0, timeoutMs: 1000, exit: (code) => exits.push(code) });
    process.emit('unhandledRejection', new Error('nobody caught me'), Promise.resolve());
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(exits).toEqual([1]);
    const fatal = logs.lines.find((line) => line.level === 'fatal');
    expect(fatal?.msg).toBe('unhandled rejection; shutting down');
    expect(JSON.stringify(fatal)).toContain('nobody caught me');
  });
});

describe('the lifecycle', () => {
  it('records config, database and migrations as startup steps and completes after warm-up hooks', async () => {
    const app = await createService({
      service: { name: 'lifecycle-test', version: '0', migrations: {} },
      config: testConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent' }),
    });
    let release: () => void = () => undefined;
    app.lifecycle.addWarmup('cache', () => new Promise<void>((resolve) => (release = resolve)));
    await app.ready();
    expect(app.lifecycle.startupComplete).toBe(false);
    expect(app.lifecycle.steps.map((s) => [s.name, s.state])).toEqual([
      ['config', 'done'],
      ['database', 'done'],
      ['migrations', 'done'],
      ['warm-up: cache', 'pending'],
    ]);
    release();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(app.lifecycle.startupComplete).toBe(true);
    expect(app.lifecycle.startupDurationMs).toBeGreaterThan(0);
    await app.close();
  });

  it('fails readiness before the delay, runs handlers last-registered first, and exits 1 when one times out', async () => {
    const { app, logs } = await listeningApp(10);
    const order: string[] = [];
    app.lifecycle.addShutdownHandler('flush first-registered', () => {
      order.push('first');
    });
    app.lifecycle.addShutdownHandler('hangs', () => new Promise(() => undefined), 100);
    app.lifecycle.addShutdownHandler('flush last-registered', () => {
      order.push('last');
    });
    const reasons: string[] = [];
    app.lifecycle.onShutdownStart((reason) => reasons.push(reason));
    const exits: number[] = [];
    const trigger = installGracefulShutdown(app, {
      delayMs: 200,
      timeoutMs: 1000,
      exit: (code) => exits.push(code),
    });
    const done = trigger('SIGTERM');
    expect(app.lifecycle.shuttingDown).toBe(true);
    expect(reasons).toEqual(['SIGTERM']);
    // During the delay the server still serves normally.
    const port = (app.server.address() as AddressInfo).port;
    expect((await get(port, '/slow')).status).toBe(200);
    const readiness = await get(port, '/health/ready');
    expect(readiness.status).toBe(503);
    expect(JSON.parse(readiness.body).status).toBe('not_ready');
    expect((await get(port, '/health/live')).status).toBe(200);
    await done;
    expect(order).toEqual(['last', 'first']);
    expect(app.lifecycle.failures).toEqual(['hangs']);
    expect(exits).toEqual([1]);
    expect(
      logs.lines.some(
        (l) => l.msg === 'shutdown: hangs failed' && JSON.stringify(l).includes('timed out after 100 ms'),
      ),
    ).toBe(true);
  });
});
