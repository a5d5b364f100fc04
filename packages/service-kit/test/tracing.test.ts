import { fileURLToPath } from 'node:url';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  createAlwaysRecordSampler,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import { loadConfig } from '@steadfast/http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BaseConfigSchema } from '../src/config.js';
import { otlpReceiver, runServiceProcess, startServiceProcess } from '../src/testing.js';
import {
  KeepNotableTraces,
  MAX_OPEN_TRACES,
  MAX_SPANS_PER_TRACE,
  tracingOptionsFrom,
} from '../src/tracing.js';
import { testConfig } from './helpers.js';

// Runs against the built kit (turbo builds a package before its tests).
const SERVICE = fileURLToPath(new URL('./fixtures/slow-service.js', import.meta.url));
const SERVICE_INFO = { name: 'slow-service', version: '0.0.0' };

describe('tracing settings', () => {
  it('is off without an endpoint, and when OTEL_SDK_DISABLED says so', () => {
    expect(tracingOptionsFrom(testConfig(), SERVICE_INFO, 500)).toBeUndefined();
    const disabled = testConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_SDK_DISABLED: 'true',
    });
    expect(tracingOptionsFrom(disabled, SERVICE_INFO, 500)).toBeUndefined();
  });

  it('sends to <endpoint>/v1/traces unless a traces endpoint is given, with the defaults of the specification', () => {
    const base = testConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' });
    expect(tracingOptionsFrom(base, SERVICE_INFO, 500)).toEqual({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'slow-service',
      serviceVersion: '0.0.0',
      environment: 'test',
      sampler: 'parentbased_always_on',
      ratio: 1,
      keepSlowerThanMs: 500,
    });
    const traces = testConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/ingest',
      OTEL_SERVICE_NAME: 'users',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(tracingOptionsFrom(traces, SERVICE_INFO, 500)).toMatchObject({
      url: 'https://traces.example/ingest',
      serviceName: 'users',
      sampler: 'parentbased_traceidratio',
      ratio: 0.25,
    });
  });

  it.each([
    ['OTEL_TRACES_SAMPLER_ARG', '1.5'],
    ['OTEL_TRACES_SAMPLER_ARG', 'half'],
    ['OTEL_TRACES_SAMPLER', 'sometimes'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
  ])('refuses %s=%s', (key, value) => {
    expect(() => loadConfig(BaseConfigSchema, { [key]: value })).toThrow(new RegExp(`${key}: .*${value}`));
  });
});

describe('which traces the kit keeps when the sampler samples none', () => {
  const KEEP_SLOWER_THAN_MS = 500;
  const setup = () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({
      sampler: createAlwaysRecordSampler(new AlwaysOffSampler()),
      spanProcessors: [new KeepNotableTraces(new SimpleSpanProcessor({ exporter }), KEEP_SLOWER_THAN_MS)],
    });
    const tracer = provider.getTracer('test');
    /** A root span with `children` child spans ended inside it; `end` ends it after `durationMs`. */
    const request = (children: number, { failed = false, durationMs = 10 } = {}) => {
      const root = tracer.startSpan('request', { startTime: 0 });
      const parent = trace.setSpan(context.active(), root);
      for (let i = 0; i < children; i++) tracer.startSpan('query', {}, parent).end();
      if (failed) root.setStatus({ code: SpanStatusCode.ERROR });
      return { root, end: () => root.end(durationMs), parent };
    };
    const exported = () => exporter.getFinishedSpans();
    return { tracer, request, exported };
  };

  it('drops a fast, successful trace whole, and keeps a failed or slow one whole', () => {
    const { request, exported } = setup();
    request(3).end();
    expect(exported()).toEqual([]);
    const failed = request(2, { failed: true });
    failed.end();
    const slow = request(1, { durationMs: KEEP_SLOWER_THAN_MS });
    slow.end();
    const ids = exported().map((span) => span.spanContext().traceId);
    expect(ids.filter((id) => id === failed.root.spanContext().traceId)).toHaveLength(3);
    expect(ids.filter((id) => id === slow.root.spanContext().traceId)).toHaveLength(2);
    // Exported as sampled: the trace was kept after the fact.
    expect(exported().every((span) => span.spanContext().traceFlags === 1)).toBe(true);
  });

  it('judges a span that ends after its root on its own', () => {
    const { tracer, request, exported } = setup();
    const kept = request(0, { failed: true });
    kept.end();
    const late = tracer.startSpan('late', {}, kept.parent);
    late.setStatus({ code: SpanStatusCode.ERROR });
    late.end();
    tracer.startSpan('late and fine', {}, kept.parent).end();
    expect(exported().map((span) => span.name)).toEqual(['request', 'late']);
  });

  it(`holds at most ${MAX_SPANS_PER_TRACE} spans of a trace, and ${MAX_OPEN_TRACES} traces, dropping the oldest`, () => {
    const { request, exported } = setup();
    const big = request(MAX_SPANS_PER_TRACE + 10, { failed: true });
    big.end();
    expect(exported()).toHaveLength(MAX_SPANS_PER_TRACE + 1);

    const { request: next, exported: nextExported } = setup();
    const open = Array.from({ length: MAX_OPEN_TRACES + 1 }, () => next(1, { failed: true }));
    for (const each of open) each.end();
    // The first trace's buffer made room for the last: its child is gone, its root is still judged on its own.
    expect(nextExported()).toHaveLength(MAX_OPEN_TRACES * 2 + 1);
    const firstTrace = open[0]?.root.spanContext().traceId;
    expect(nextExported().filter((span) => span.spanContext().traceId === firstTrace)).toHaveLength(1);
  });
});

describe('a traced service process', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresAdminUrl'));
  });
  afterAll(() => database?.drop());

  it('exports the spans it still holds when SIGTERM stops it', async () => {
    const receiver = await otlpReceiver();
    try {
      const service = await startServiceProcess(SERVICE, {
        SLOW_MS: '10',
        DATABASE_URL: database.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      });
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const answer = await fetch(`${service.url}/slow-query`, {
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      });
      expect(answer.status).toBe(200);
      // The batch waits 5 s before sending on its own; the shutdown sends it now.
      expect(await service.stop('SIGTERM')).toBe(0);
      const names = receiver.spans.filter((span) => span.traceId === traceId).map((span) => span.name);
      expect(names.sort()).toEqual(['GET /slow-query', 'select']);
      expect(service.output()).toContain('shutdown: traces export done');
    } finally {
      await receiver.close();
    }
  }, 30_000);

  it('refuses to start with a sampler ratio out of range, naming the variable', async () => {
    const { code, stdout, stderr } = await runServiceProcess(SERVICE, {
      DATABASE_URL: database.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_TRACES_SAMPLER_ARG: '2',
    });
    expect(code).not.toBe(0);
    expect(stdout + stderr).toMatch(/OTEL_TRACES_SAMPLER_ARG: .*less or equal to 1 \(got 2\)/);
  }, 30_000);
});
