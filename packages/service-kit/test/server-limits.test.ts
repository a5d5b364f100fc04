import { readdir } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createService, type ServiceApp } from '../src/service.js';
import { type ServiceProcess, startServiceProcess } from '../src/testing.js';
import { testConfig } from './helpers.js';

// Runs against the built kit (turbo builds a package before its tests).
const SERVICE = fileURLToPath(new URL('./fixtures/slow-service.js', import.meta.url));
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'));
});
afterAll(() => database?.drop());

interface Exchange {
  /** Everything the server sent before it closed the socket. */
  response: string;
  /** Whether the socket was closed by the server (not by the test). */
  closed: boolean;
}

/** Opens a raw socket, writes `request` as given, and collects the answer until the server closes or `waitMs` passes. */
function exchange(port: number, request: string | Buffer, waitMs = 10_000): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let response = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ response, closed: false });
    }, waitMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      response += chunk;
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET') reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ response, closed: true });
    });
  });
}

function envelopeOf(response: string) {
  const [head = '', body = ''] = response.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), head, error: JSON.parse(body).error };
}

const openSocket = (port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });

describe('what Fastify or Node reject before routing, on a real socket', () => {
  let app: ServiceApp;
  let port: number;

  beforeAll(async () => {
    app = await createService({
      service: { name: 'limits-test', version: '0.0.0', migrations: {} },
      config: testConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent' }),
    });
    app.get('/things/:id', async () => ({ ok: true }));
    app.get('/long', { config: { longLived: true } }, async () => ({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(() => app?.close());

  it('serves a longLived route through app.inject too (its socket has no timers to lift)', async () => {
    expect((await app.inject({ url: '/long' })).statusCode).toBe(200);
  });

  it.each([
    [
      'an undecodable URL',
      'GET /things/%ff HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      400,
      'BAD_REQUEST',
      '%ff',
    ],
    [
      'an over-long path parameter',
      `GET /things/${'p'.repeat(500)} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
      414,
      'URI_TOO_LONG',
      'ppppp',
    ],
    [
      'an unknown route',
      'GET /nope/secret-path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      404,
      'NOT_FOUND',
      'secret-path',
    ],
    ['malformed HTTP', 'HELLO /x SPDY/9\r\n\r\n', 400, 'MALFORMED_REQUEST', 'HELLO'],
    // Node's own check answered these with a bare 400.
    [
      'HTTP/1.1 without Host',
      'GET /things/secret-1 HTTP/1.1\r\nConnection: close\r\n\r\n',
      400,
      'HOST_REQUIRED',
      'secret-1',
    ],
    [
      'HTTP/1.1 without Host on an operational route',
      'GET /health/live?secret-2 HTTP/1.1\r\nConnection: close\r\n\r\n',
      400,
      'HOST_REQUIRED',
      'secret-2',
    ],
    [
      'headers over the size limit',
      `GET /things/1 HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`,
      431,
      'HEADERS_TOO_LARGE',
      'hhhhh',
    ],
  ])('answers %s with the error envelope, without echoing it', async (_name, raw, status, code, echoed) => {
    const { response } = await exchange(port, raw, 5000);
    const parsed = envelopeOf(response);
    expect(parsed.status).toBe(status);
    expect(parsed.head).toMatch(/content-type: application\/json/i);
    expect(parsed.error).toMatchObject({ code, type: 'client' });
    expect(parsed.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(parsed.error.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(response).not.toContain(echoed);
  });

  it('lets HTTP/1.0 leave Host out where the host list does not apply, as Node did', async () => {
    const probe = await exchange(port, 'GET /health/live HTTP/1.0\r\n\r\n', 5000);
    expect(probe.response).toMatch(/^HTTP\/1\.1 200 /);
    const domain = envelopeOf((await exchange(port, 'GET /things/1 HTTP/1.0\r\n\r\n', 5000)).response);
    expect(domain.status).toBe(400);
    expect(domain.error).toMatchObject({ code: 'HOST_REQUIRED', type: 'client' });
  });
});

describe('a service process under slow and greedy clients', () => {
  let service: ServiceProcess;
  let port: number;
  const fds = async () => (await readdir(`/proc/${service.child.pid}/fd`)).length;

  beforeAll(async () => {
    service = await startServiceProcess(SERVICE, {
      DATABASE_URL: database.url,
      SLOW_MS: '4500',
      REQUEST_TIMEOUT_MS: '1000',
      HEADERS_TIMEOUT_MS: '800',
      // Past the request timeout, so a stalled request is answered 408 before its idle socket would be closed.
      CONNECTION_TIMEOUT_MS: '2500',
      MAX_CONNECTIONS: '40',
    });
    port = Number(new URL(service.url).port);
  });
  afterAll(() => service?.stop());

  it('answers a stalled body 408 in the envelope once REQUEST_TIMEOUT_MS has passed, and closes the socket', async () => {
    const started = performance.now();
    const stalled = await exchange(
      port,
      'POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a',
    );
    expect(stalled.closed).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    const parsed = envelopeOf(stalled.response);
    expect(parsed.status).toBe(408);
    expect(parsed.error).toMatchObject({ code: 'REQUEST_TIMEOUT', type: 'client' });
  });

  it('cuts slowloris headers at HEADERS_TIMEOUT_MS', async () => {
    const slow = await exchange(port, 'GET /slow HTTP/1.1\r\nHost: localhost\r\nX-Drip: a');
    expect(slow.closed).toBe(true);
    expect(envelopeOf(slow.response).status).toBe(408);
  });

  it('closes a quiet response at CONNECTION_TIMEOUT_MS, but not a longLived one', async () => {
    const request = (path: string) => `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`;
    const [quiet, stream] = await Promise.all([
      exchange(port, request('/quiet')),
      exchange(port, request('/stream')),
    ]);
    expect(quiet.response).toContain(': open');
    expect(quiet.response).not.toContain('data: done');
    expect(stream.response).toContain('data: done');
  });

  it('refuses connections over MAX_CONNECTIONS, keeps its descriptors bounded, and serves again afterwards', async () => {
    const baseline = await fds();
    // Each holds a connection with an unfinished request, as a stalled upload does.
    const held = await Promise.all(Array.from({ length: 40 }, () => openSocket(port)));
    for (const socket of held)
      socket.write('POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n');
    const over = await Promise.all(
      Array.from({ length: 60 }, () =>
        exchange(port, 'GET /slow HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', 5000),
      ),
    );
    expect(over.every(({ response, closed }) => closed && response === '')).toBe(true);
    expect(await fds()).toBeLessThanOrEqual(baseline + 40 + 5);
    for (const socket of held) socket.destroy();
    for (;;) {
      const response = await fetch(`${service.url}/entered`).catch(() => undefined);
      if (response?.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 30_000);
});
