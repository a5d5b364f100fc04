import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { authorizationFor, PROXY_BODY_LIMIT_BYTES } from '../src/proxy.js';
import { consoleConfig, fakeWebRoot } from './helpers.js';

const SERVICE_TOKEN = 'console-read-token-0123456789';
let upstream: FastifyInstance;
let upstreamUrl: string;
let app: Awaited<ReturnType<typeof buildApp>>;
let consoleUrl: string;
/** Streams the upstream still serves: a browser that goes must not leave its stream open upstream. */
let heldStreams = 0;

/** A real service stand-in that answers with what it received. */
async function startUpstream() {
  const server = Fastify();
  const echo = async (request: { method: string; url: string; headers: object; body?: unknown }) => ({
    data: { method: request.method, url: request.url, headers: request.headers, body: request.body ?? null },
  });
  server.get('/v1/slo', echo);
  server.get('/v1/incidents/:id', echo);
  server.patch('/v1/incidents/:id', echo);
  server.post('/v1/incidents', echo);
  server.get('/v1/slo/:name', async (_request, reply) => {
    reply.header('set-cookie', 'session=secret');
    return { data: { slow: false } };
  });
  server.get('/v1/slo/:name/history', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return { data: 'late' };
  });
  server.get('/v1/incidents/stream', (request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
    reply.raw.write('id: 1\nevent: incident.created\ndata: {"id":1}\n\n');
    // ?hold: a stream that stays open until the client goes.
    if ('hold' in (request.query as object)) {
      heldStreams += 1;
      reply.raw.once('close', () => {
        heldStreams -= 1;
      });
      return;
    }
    setTimeout(() => {
      reply.raw.write('id: 2\nevent: incident.updated\ndata: {"id":2}\n\n');
      reply.raw.end();
    }, 200);
  });
  server.get('/admin/secret', echo);
  await server.listen({ port: 0, host: '127.0.0.1' });
  return server;
}

beforeAll(async () => {
  upstream = await startUpstream();
  upstreamUrl = `http://127.0.0.1:${(upstream.server.address() as AddressInfo).port}`;
  app = await buildApp(
    consoleConfig({
      CONSOLE_SERVICES: `users-api=${upstreamUrl},incidents-api=http://127.0.0.1:1`,
      CONSOLE_SERVICE_TOKEN: SERVICE_TOKEN,
      CONSOLE_PROXY_TIMEOUT_MS: '500',
      CONSOLE_MAX_STREAMS: '2',
    }),
    { webRoot: await fakeWebRoot() },
  );
  consoleUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await upstream?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: whatever the upstream echoed
const echoed = async (response: Response): Promise<any> =>
  ((await response.json()) as { data: unknown }).data;
const json = async (response: Response) =>
  (await response.json()) as { error: { code: string; message: string } };

describe('the proxy', () => {
  it('forwards an allowed read with the console’s token and only the allowed headers', async () => {
    const response = await fetch(`${consoleUrl}/api/users-api/v1/slo?x=1`, {
      headers: {
        cookie: 'session=abc',
        'x-forwarded-for': '6.6.6.6',
        'if-match': '"3"',
        accept: 'application/json',
      },
    });
    expect(response.status).toBe(200);
    const seen = await echoed(response);
    expect(seen.url).toBe('/v1/slo?x=1');
    expect(seen.headers.authorization).toBe(`Bearer ${SERVICE_TOKEN}`);
    expect(seen.headers['if-match']).toBe('"3"');
    expect(seen.headers.cookie).toBeUndefined();
    // The browser's address as the console saw it, never what the browser claimed.
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-request-id']).toBe(response.headers.get('x-request-id'));
  });

  it('forwards the operator’s own token on writes, never the console’s', async () => {
    const body = { status: 'investigating' };
    const mine = await fetch(`${consoleUrl}/api/users-api/v1/incidents/abc`, {
      method: 'PATCH',
      headers: {
        authorization: 'Bearer operator-token',
        'content-type': 'application/json',
        'if-match': '"1"',
      },
      body: JSON.stringify(body),
    });
    const seen = await echoed(mine);
    expect(seen).toMatchObject({ method: 'PATCH', url: '/v1/incidents/abc', body });
    expect(seen.headers).toMatchObject({ authorization: 'Bearer operator-token', 'if-match': '"1"' });
    const anonymous = await fetch(`${consoleUrl}/api/users-api/v1/incidents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x' }),
    });
    expect((await echoed(anonymous)).headers.authorization).toBeUndefined();
  });

  it('never sends the service token to the browser, nor an upstream cookie', async () => {
    const response = await fetch(`${consoleUrl}/api/users-api/v1/slo/any`);
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toBeNull();
    const settings = await fetch(`${consoleUrl}/console/settings`);
    const text = await settings.text();
    expect(JSON.parse(text)).toEqual({
      services: [{ name: 'users-api' }, { name: 'incidents-api' }],
      incidentsService: 'incidents-api',
    });
    expect(text).not.toContain(SERVICE_TOKEN);
    expect(text).not.toContain(upstreamUrl);
  });

  it('answers 404 for a path off the allow-list or an unknown service, without calling anyone', async () => {
    for (const url of ['/api/users-api/admin/secret', '/api/nope/v1/slo', '/api/users-api/v1/users']) {
      const response = await fetch(`${consoleUrl}${url}`);
      expect(response.status, url).toBe(404);
      expect((await json(response)).error.code, url).toBe('NOT_FOUND');
    }
    const wrongMethod = await fetch(`${consoleUrl}/api/users-api/v1/slo`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(404);
  });

  it('passes an event stream through as it comes', async () => {
    const response = await fetch(`${consoleUrl}/api/users-api/v1/incidents/stream`);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    // The first frame arrives while the upstream still holds the second one back.
    expect(first).toContain('event: incident.created');
    expect(first).not.toContain('incident.updated');
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += new TextDecoder().decode(chunk.value);
    }
    expect(rest).toContain('event: incident.updated');
  });

  it('relays at most CONSOLE_MAX_STREAMS streams at once, and frees a place when one closes', async () => {
    // Raw requests: destroying one closes its socket, as a browser closing an EventSource does.
    const open = () =>
      new Promise<{ status: number; retryAfter: string | undefined; close: () => void }>(
        (resolve, reject) => {
          const request = http.get(`${consoleUrl}/api/users-api/v1/incidents/stream?hold`, (response) => {
            if (response.statusCode !== 200) response.resume();
            resolve({
              status: response.statusCode ?? 0,
              retryAfter: response.headers['retry-after'] as string | undefined,
              close: () => request.destroy(),
            });
          });
          request.on('error', reject);
        },
      );
    const first = await open();
    const second = await open();
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await open();
    expect(third.status).toBe(503);
    expect(third.retryAfter).toBe('5');
    first.close();
    const retries: Array<Awaited<ReturnType<typeof open>>> = [];
    await expect
      .poll(
        async () => {
          const retry = await open();
          retries.push(retry);
          return retry.status;
        },
        { timeout: 5000 },
      )
      .toBe(200);
    for (const stream of [second, ...retries]) stream.close();
    await expect.poll(() => heldStreams, { timeout: 5000 }).toBe(0);
  });

  it('shows a service that is down as 503 and a slow one as 504, in the error envelope', async () => {
    const down = await fetch(`${consoleUrl}/api/incidents-api/v1/slo`);
    expect(down.status).toBe(503);
    expect((await json(down)).error).toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      message: 'incidents-api cannot be reached',
    });
    const slow = await fetch(`${consoleUrl}/api/users-api/v1/slo/x/history`);
    expect(slow.status).toBe(504);
    expect((await json(slow)).error.code).toBe('TIMEOUT');
  });

  it('refuses a body over the limit with 413 before forwarding it', async () => {
    const response = await fetch(`${consoleUrl}/api/users-api/v1/incidents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x'.repeat(PROXY_BODY_LIMIT_BYTES) }),
    });
    expect(response.status).toBe(413);
  });

  it('serves the page and its own health', async () => {
    const page = await fetch(`${consoleUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>console</title>');
    const health = await fetch(`${consoleUrl}/health/ready`);
    expect(health.status).toBe(200);
  });
});

describe('authorizationFor', () => {
  it('prefers the operator’s bearer token, adds the read token to GETs only, and drops anything else', () => {
    expect(authorizationFor('GET', 'Bearer mine', 'svc')).toBe('Bearer mine');
    expect(authorizationFor('GET', undefined, 'svc')).toBe('Bearer svc');
    expect(authorizationFor('POST', undefined, 'svc')).toBeUndefined();
    expect(authorizationFor('GET', 'Basic dXNlcg==', 'svc')).toBe('Bearer svc');
    expect(authorizationFor('DELETE', 'Bearer a b', undefined)).toBeUndefined();
    expect(authorizationFor('GET', undefined, undefined)).toBeUndefined();
  });
});

describe('configuration', () => {
  it('refuses an incidents service that is not configured, and a malformed or repeated service', async () => {
    const webRoot = await fakeWebRoot();
    await expect(
      buildApp(consoleConfig({ CONSOLE_SERVICES: 'a=http://127.0.0.1:1' }), { webRoot }),
    ).rejects.toThrow('Invalid option CONSOLE_INCIDENTS_SERVICE');
    await expect(
      buildApp(
        consoleConfig({ CONSOLE_SERVICES: 'a=http://x:1,a=http://y:2', CONSOLE_INCIDENTS_SERVICE: 'a' }),
        {
          webRoot,
        },
      ),
    ).rejects.toThrow('each service named once');
    await expect(
      buildApp(consoleConfig({ CONSOLE_SERVICES: 'a=http://x:1/path', CONSOLE_INCIDENTS_SERVICE: 'a' }), {
        webRoot,
      }),
    ).rejects.toThrow('without path');
    expect(() => consoleConfig({ CONSOLE_SERVICES: 'not a list' })).toThrow('CONSOLE_SERVICES');
    await expect(buildApp(consoleConfig(), { webRoot: '/nonexistent/web' })).rejects.toThrow(
      'Invalid option webRoot',
    );
  });
});
