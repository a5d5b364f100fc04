import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { logCapture, otlpReceiver, startTestApp } from '@steadfast/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { type UsersApiConfig, UsersApiConfigSchema } from '../src/config.js';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const traceparent = (traceId: string, flags: '00' | '01') => `00-${traceId}-${hex(8)}-${flags}`;

/** A second service users-api calls: it only records the headers each call carried. */
async function downstream() {
  const received: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    received.push(request.headers);
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    received,
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * users-api as it ships, plus routes a test needs and the service has not: one that queries and calls out, one that
 * fails after a query, one slower than the latency SLO (500 ms).
 */
function tracedUsersApi(env: Record<string, string>, downstreamUrl: string, logStream?: Writable) {
  return startTestApp({
    configSchema: UsersApiConfigSchema,
    env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', LOG_LEVEL: 'info', ...env },
    buildApp: async (config: UsersApiConfig) => {
      const app = await buildApp(config, logStream ? { logStream } : {});
      const countUsers = () => app.db.selectFrom('users').select('id').limit(1).execute();
      app.get('/test/calls-out', async () => {
        await countUsers();
        const answer = await fetch(downstreamUrl);
        return { status: answer.status };
      });
      app.get('/test/fails', async () => {
        await countUsers();
        throw new Error('broken on purpose');
      });
      app.get('/test/slow', async () => {
        await sleep(600);
        return { ok: true };
      });
      app.get('/test/fast', async () => ({ ok: true }));
      return app;
    },
  });
}

describe('traces across users-api and an outgoing call', () => {
  const traceId = hex(16);
  const incoming = traceparent(traceId, '01');
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let called: Awaited<ReturnType<typeof downstream>>;
  const logs = logCapture();

  beforeAll(async () => {
    receiver = await otlpReceiver();
    called = await downstream();
    const service = await tracedUsersApi(
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint },
      called.url,
      logs.stream,
    );
    const response = await service.app.inject({ url: '/test/calls-out', headers: { traceparent: incoming } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-trace-id']).toBe(traceId);
    // Closing exports what the batch still holds: nothing waits for the export timer.
    await service.close();
  });
  afterAll(async () => {
    await receiver?.close();
    await called?.close();
  });

  const spansOf = () => receiver.spans.filter((span) => span.traceId === traceId);

  it('parents the request span to the incoming traceparent', () => {
    const [request, ...others] = spansOf().filter((span) => span.kind === 2);
    expect(others).toEqual([]);
    expect(request).toMatchObject({
      service: 'users-api',
      name: 'GET /test/calls-out',
      parentSpanId: incoming.split('-')[2],
      attributes: {
        'http.request.method': 'GET',
        'http.route': '/test/calls-out',
        'url.path': '/test/calls-out',
        'http.response.status_code': 200,
      },
    });
  });

  it('makes the query and the outgoing call children of the request span', () => {
    const spans = spansOf();
    const request = spans.find((span) => span.kind === 2);
    const query = spans.find((span) => span.attributes['db.system.name'] === 'postgresql');
    const call = spans.find((span) => span.kind === 3 && span.attributes['url.full'] !== undefined);
    expect(query).toMatchObject({ name: 'select', parentSpanId: request?.spanId, kind: 3 });
    expect(query?.attributes).toMatchObject({ 'db.operation.name': 'select' });
    // Neither the statement nor its parameters leave the service.
    expect(Object.keys(query?.attributes ?? {}).filter((key) => key.startsWith('db.query'))).toEqual([]);
    expect(call).toMatchObject({ parentSpanId: request?.spanId });
    expect(call?.attributes).toMatchObject({ 'url.full': called.url, 'http.response.status_code': 200 });
  });

  it('sends the outgoing call its own span as parent, in the same trace', () => {
    const call = spansOf().find((span) => span.kind === 3 && span.attributes['url.full'] !== undefined);
    expect(called.received.map((headers) => headers.traceparent)).toEqual([
      `00-${traceId}-${call?.spanId}-01`,
    ]);
  });

  it('writes the trace and span ids of the request span in its log lines', () => {
    const request = spansOf().find((span) => span.kind === 2);
    const accessLine = logs.lines.find((line) => line.url === '/test/calls-out');
    expect(accessLine).toMatchObject({ traceId, spanId: request?.spanId });
  });
});

describe('which traces are kept at a sampling ratio of 0', () => {
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  const traces = { fails: hex(16), slow: hex(16), fast: hex(16) };

  beforeAll(async () => {
    receiver = await otlpReceiver();
    const service = await tracedUsersApi(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0',
      },
      'http://127.0.0.1:9/',
      logCapture().stream,
    );
    for (const [route, traceId] of Object.entries(traces)) {
      // The callers did not sample these either: only what the service saw can keep them.
      await service.app.inject({
        url: `/test/${route}`,
        headers: { traceparent: traceparent(traceId, '00') },
      });
    }
    await service.close();
  });
  afterAll(() => receiver?.close());

  const spansOf = (traceId: string) => receiver.spans.filter((span) => span.traceId === traceId);

  it('keeps a failed request, with the query it made', () => {
    const spans = spansOf(traces.fails);
    expect(spans.find((span) => span.kind === 2)?.attributes).toMatchObject({
      'http.response.status_code': 500,
      'error.type': '500',
    });
    expect(spans.map((span) => span.name).sort()).toEqual(['GET /test/fails', 'select']);
  });

  it('keeps a request slower than the latency SLO', () => {
    expect(spansOf(traces.slow).map((span) => span.name)).toEqual(['GET /test/slow']);
  });

  it('drops a fast, successful one', () => {
    expect(spansOf(traces.fast)).toEqual([]);
  });
});
