import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { Writable } from 'node:stream';
import type { Static } from '@sinclair/typebox';
import { createTestDatabase } from '@steadfast/embedded-pg/testing';
import { type ConfigSchema, loadConfig } from '@steadfast/http';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import type { ServiceApp } from './service.js';

export {
  freePort,
  runServiceProcess,
  type ServiceProcess,
  startServiceProcess,
} from './testing-processes.js';

/** What every test app runs with unless its `env` says otherwise: quiet logs, and no rate limit in the way. */
const TEST_ENV = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  RATE_LIMIT_MAX: '100000',
  RATE_LIMIT_WRITE_MAX: '100000',
  // Collected on every scrape, so a test reads what it just did.
  METRICS_REFRESH_MS: '0',
};

export interface TestAppOptions<S extends ConfigSchema, A extends ServiceApp> {
  buildApp: (config: Static<S>) => Promise<A>;
  configSchema: S;
  /** Variables on top of the test defaults and DATABASE_URL. */
  env?: Record<string, string>;
  /** A database someone else owns (another replica's, a server the test runs itself): used, never dropped. */
  database?: { url: string };
}

export interface TestApp<A extends ServiceApp = ServiceApp> {
  app: A;
  database: { url: string };
  /** Closes the app, then drops the database if it made it. */
  close(): Promise<void>;
}

/** A service app built from its config schema on a fresh database of the test run's PostgreSQL (or on `database`). */
export async function startTestApp<S extends ConfigSchema, A extends ServiceApp>({
  buildApp,
  configSchema,
  env = {},
  database,
}: TestAppOptions<S, A>): Promise<TestApp<A>> {
  const created = database ? undefined : await createTestDatabase(inject('postgresAdminUrl'));
  const url = database?.url ?? created!.url;
  let app: A;
  try {
    app = await buildApp(loadConfig(configSchema, { ...TEST_ENV, DATABASE_URL: url, ...env }));
  } catch (error) {
    await created?.drop();
    throw error;
  }
  return {
    app,
    database: { url },
    close: async () => {
      await app.close();
      await created?.drop();
    },
  };
}

export interface UseTestAppOptions<S extends ConfigSchema, A extends ServiceApp>
  extends TestAppOptions<S, A> {
  /** Tables emptied before each test, so that each starts from nothing. */
  truncate?: readonly string[];
}

/**
 * One app for the test file, started before its tests and closed after them. Read `.app` inside tests and hooks:
 * it is there once beforeAll has run.
 */
export function useTestApp<S extends ConfigSchema, A extends ServiceApp>({
  truncate = [],
  ...options
}: UseTestAppOptions<S, A>): TestApp<A> {
  const context = {} as TestApp<A>;
  beforeAll(async () => {
    Object.assign(context, await startTestApp(options));
  });
  afterAll(async () => {
    await context.close?.();
  });
  if (truncate.length > 0) {
    const tables = sql.join(truncate.map((table) => sql.table(table)));
    beforeEach(async () => {
      await sql`truncate ${tables} restart identity cascade`.execute(context.app.db);
    });
  }
  return context;
}

/** The tables of a database's public schema, by name: what a migration run left behind. */
export async function tablesOf(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ tablename: string }>(
      "select tablename from pg_tables where schemaname = 'public' order by 1",
    );
    return rows.map((row) => row.tablename);
  } finally {
    await client.end();
  }
}

/** A log destination that keeps every JSON line for assertions. */
export function logCapture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { stream, lines, text: () => lines.map((line) => JSON.stringify(line)).join('\n') };
}

/** A span as an OTLP/JSON export carries it (ids in hex), with its attributes flattened to values. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP's span kind: 2 server, 3 client. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
const otlpValue = (value: OtlpValue) =>
  value.stringValue ??
  (value.intValue === undefined ? undefined : Number(value.intValue)) ??
  value.boolValue ??
  value.doubleValue ??
  '';
const attributesOf = (list: OtlpAttribute[] = []) =>
  Object.fromEntries(list.map(({ key, value }) => [key, otlpValue(value)])) as ReceivedSpan['attributes'];

/**
 * An OTLP/HTTP traces receiver on a loopback port, for services exporting with `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`:
 * keeps every span it is sent.
 */
export async function otlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const server = createHttpServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    if (request.method !== 'POST' || request.url !== '/v1/traces') {
      response.writeHead(404).end();
      return;
    }
    const { resourceSpans = [] } = JSON.parse(body);
    for (const { resource, scopeSpans = [] } of resourceSpans) {
      const service = String(attributesOf(resource?.attributes)['service.name'] ?? '');
      for (const { spans: received = [] } of scopeSpans) {
        for (const span of received) {
          spans.push({
            service,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            name: span.name,
            kind: span.kind,
            attributes: attributesOf(span.attributes),
          });
        }
      }
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    spans,
    /** OTEL_EXPORTER_OTLP_ENDPOINT for it. */
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
