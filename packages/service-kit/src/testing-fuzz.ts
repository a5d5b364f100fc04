import { once } from 'node:events';
import { connect } from 'node:net';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { beforeAll, expect, it } from 'vitest';

/**
 * Schema-driven fuzzing of a service from its own OpenAPI document (`/docs/json`), and raw-socket protocol cases.
 * Requests mostly follow the schemas (so they reach the handlers and the database) with junk mixed in at every
 * leaf (NUL, prototype names, lone surrogates, long multibyte text, wrong types). Every answer must be below 500,
 * and every 4xx the error envelope. Failures throw with fast-check's shrunk counterexample.
 */

type Schema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  nullable?: boolean;
  default?: unknown;
  additionalProperties?: boolean | Schema;
  patternProperties?: Record<string, Schema>;
};

interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema?: Schema;
}

interface OpenApiOperation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, unknown> }>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface FuzzOperation {
  method: string;
  /** The OpenAPI path, `/v1/users/{id}`. */
  path: string;
  operation: OpenApiOperation;
}

// Leaves that broke services before: NUL (PostgreSQL refuses it), prototype members, multibyte text past btree
// limits, a lone surrogate, numbers past int4 and JSON's precision.
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  'constructor',
  '__proto__',
  'toString',
  '\ud800',
  '%ff',
  '../../etc/passwd',
  "'; drop table x; --",
  '<script>alert(1)</script>',
  '\n## Forged\n',
  'é😀'.repeat(1000),
];
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(...NASTY_STRINGS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom<unknown>(null, true, 0, -1, 2 ** 31, 2 ** 53 + 1, 1e308, -0.5, [], {}),
);
// Header values a client can put on the wire (inject refuses others before sending).
const headerJunk = fc.oneof(
  fc.constantFrom('', ' ', 'constructor', '%ff', 'é😀', 'x'.repeat(300)),
  fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
);

const MAX_ITEMS = 4;
const STRING_MAX = 60;

/** The arbitrary of a schema's valid values (roughly: enough to pass validation most of the time). */
function fromSchema(doc: OpenApiDocument, schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return junk;
  if (schema.$ref) {
    const name = schema.$ref.replace(/^#\/components\/schemas\//, '');
    return fromSchema(doc, doc.components?.schemas?.[name], depth + 1);
  }
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => fromSchema(doc, s, depth + 1)));
  if (schema.allOf?.[0]) return fromSchema(doc, schema.allOf[0], depth + 1);
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const base =
    types.length > 1
      ? fc.oneof(...types.map((type) => ofType(doc, schema, type, depth)))
      : ofType(doc, schema, types[0], depth);
  return schema.nullable ? fc.oneof(base, fc.constant(null)) : base;
}

function ofType(
  doc: OpenApiDocument,
  schema: Schema,
  type: string | undefined,
  depth: number,
): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return stringOf(schema);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const item = leaf(fromSchema(doc, schema.items, depth + 1));
      const constraints = {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? MAX_ITEMS, Math.max(MAX_ITEMS, schema.minItems ?? 0)),
      };
      return schema.uniqueItems
        ? fc.uniqueArray(item, { ...constraints, selector: (v) => JSON.stringify(v) })
        : fc.array(item, constraints);
    }
    case 'object': {
      if (!schema.properties) {
        const value = fromSchema(doc, Object.values(schema.patternProperties ?? {})[0], depth + 1);
        return fc.dictionary(leaf(fc.string({ maxLength: 20 })) as fc.Arbitrary<string>, leaf(value), {
          maxKeys: MAX_ITEMS,
        });
      }
      const properties = Object.fromEntries(
        Object.entries(schema.properties).map(([name, s]) => [name, leaf(fromSchema(doc, s, depth + 1))]),
      );
      return fc.record(properties, { requiredKeys: schema.required ?? [] });
    }
    default:
      return junk;
  }
}

function stringOf(schema: Schema): fc.Arbitrary<string> {
  switch (schema.format) {
    case 'uuid':
      return fc.uuid({ version: 4 });
    case 'date-time':
      return fc
        .date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) })
        .map((d) => d.toISOString());
    case 'email':
      return fc.emailAddress();
  }
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? STRING_MAX, STRING_MAX));
  const text = fc.string({ unit: 'grapheme', minLength, maxLength });
  if (!schema.pattern) return text;
  const pattern = new RegExp(schema.pattern, 'u');
  // Linear patterns on what the generator gives: filter the free text, and keep plain words that match.
  return fc.oneof(
    text.filter((s) => pattern.test(s)),
    fc.stringMatching(/^[a-z0-9]{1,20}$/).filter((s) => pattern.test(s) && s.length >= minLength),
  );
}

/** A value of the schema most of the time, junk sometimes. */
const leaf = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: valid, weight: 5 }, { arbitrary: junk, weight: 1 });

export interface FuzzOptions {
  /** Runs per operation. */
  numRuns: number;
  /** Replays a failure: fast-check prints the seed and path. */
  seed?: number;
  /** Extra headers per operation (an integration's token, say). */
  headers?: (operation: FuzzOperation) => Record<string, string>;
  /** Known values for path parameters (ids of rows the test made), used beside generated ones. */
  pathValues?: Record<string, readonly string[]>;
  /** Operations to leave out (streams, which never end; routes fuzzed elsewhere). */
  skip?: (operation: FuzzOperation) => boolean;
}

/** The operations of the app's OpenAPI document. */
export async function openApiOperations(
  app: FastifyInstance,
): Promise<{ doc: OpenApiDocument; operations: FuzzOperation[] }> {
  const response = await app.inject({ url: '/docs/json' });
  if (response.statusCode !== 200) throw new Error(`/docs/json answered ${response.statusCode}`);
  const doc = response.json() as OpenApiDocument;
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );
  return { doc, operations };
}

/** Lone surrogates become U+FFFD (encodeURIComponent throws on them; a client's encoder does the same). */
const wellFormed = (text: string) => Buffer.from(text, 'utf8').toString('utf8');

const asText = (value: unknown) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));

/** The arbitrary of whole requests to one operation. */
export function requestsFor(
  doc: OpenApiDocument,
  op: FuzzOperation,
  pathValues: Record<string, readonly string[]> = {},
): fc.Arbitrary<InjectOptions & { url: string }> {
  const parameters = op.operation.parameters ?? [];
  const ofIn = (where: Parameter['in']) => parameters.filter((p) => p.in === where);
  const path = fc.record(
    Object.fromEntries(
      ofIn('path').map((p) => {
        const known = pathValues[p.name] ?? [];
        const generated = leaf(fromSchema(doc, p.schema)).map(asText);
        return [p.name, known.length > 0 ? fc.oneof(fc.constantFrom(...known), generated) : generated];
      }),
    ),
  );
  const query = fc.record(
    Object.fromEntries(ofIn('query').map((p) => [p.name, leaf(fromSchema(doc, p.schema)).map(asText)])),
    { requiredKeys: [] },
  );
  const headers = fc.record(
    Object.fromEntries(
      ofIn('header').map((p) => [
        p.name,
        fc.oneof(stringOf(p.schema ?? {}).filter(isHeaderValue), headerJunk),
      ]),
    ),
    { requiredKeys: [] },
  );
  const bodySchema = op.operation.requestBody?.content?.['application/json']?.schema;
  const body = bodySchema
    ? fc.option(leaf(fromSchema(doc, bodySchema)), { freq: 8 })
    : fc.constant(undefined);
  return fc.record({ path, query, headers, body }).map(({ path: values, query: q, headers: h, body: b }) => {
    const url = op.path.replace(/\{(\w+)\}/g, (_, name: string) =>
      encodeURIComponent(wellFormed(String(values[name]))),
    );
    const search = new URLSearchParams(q as Record<string, string>).toString();
    return {
      method: op.method as InjectOptions['method'],
      url: search ? `${url}?${search}` : url,
      headers: {
        ...(h as Record<string, string>),
        ...(b === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(b === undefined ? {} : { payload: JSON.stringify(b) ?? 'null' }),
    };
  });
}

const isHeaderValue = (value: string) => /^[\t\x20-\x7e]*$/.test(value);

/** Throws unless the answer is below 500 and, when a 4xx, the error envelope. */
export function assertClientSafe(label: string, statusCode: number, body: string): void {
  if (statusCode >= 500) throw new Error(`${label}: ${statusCode} ${body.slice(0, 300)}`);
  if (statusCode >= 400 && !isErrorEnvelope(body)) {
    throw new Error(`${label}: ${statusCode} without the error envelope: ${body.slice(0, 300)}`);
  }
}

/** Whether a body is the kit's error envelope (`{ error: { code, message, requestId, … } }`). */
export function isErrorEnvelope(body: string): boolean {
  try {
    const { error } = JSON.parse(body) as { error?: Record<string, unknown> };
    return (
      typeof error?.code === 'string' &&
      typeof error.message === 'string' &&
      typeof error.requestId === 'string'
    );
  } catch {
    return false;
  }
}

export interface FuzzReport {
  /** Requests sent per operation (`METHOD path`). */
  sent: Map<string, number>;
}

/**
 * Fuzzes every operation of the app's OpenAPI document, `numRuns` requests each, through `app.inject`. A failure
 * throws with the seed and a shortened counterexample (requests can be megabytes long).
 */
export async function fuzzOperations(app: FastifyInstance, options: FuzzOptions): Promise<FuzzReport> {
  const { doc, operations } = await openApiOperations(app);
  const report: FuzzReport = { sent: new Map() };
  for (const op of operations) {
    if (options.skip?.(op)) continue;
    const label = `${op.method} ${op.path}`;
    const extra = options.headers?.(op) ?? {};
    let n = 0;
    const result = await fc.check(
      fc.asyncProperty(requestsFor(doc, op, options.pathValues), async (request) => {
        n++;
        const response = await app.inject({ ...request, headers: { ...request.headers, ...extra } });
        assertClientSafe(`${label} ${request.url.slice(0, 200)}`, response.statusCode, response.body);
      }),
      { numRuns: options.numRuns, ...(options.seed === undefined ? {} : { seed: options.seed }) },
    );
    if (result.failed) {
      const example = JSON.stringify(result.counterexample)?.slice(0, 600);
      const cause =
        result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
      throw new Error(
        `${label} failed (seed ${result.seed}, path ${result.counterexamplePath}): ${cause.slice(0, 600)}\n` +
          `counterexample: ${example}`,
      );
    }
    report.sent.set(label, n);
  }
  return report;
}

export interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/**
 * Sends bytes on a fresh connection and reads until the server closes it or `idleMs` passes without data. The
 * client never half-closes: a server may drop a request whose client has already ended its side.
 */
export async function sendRaw(port: number, bytes: string | Buffer, idleMs = 300): Promise<RawAnswer> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  socket.setTimeout(idleMs, () => socket.destroy());
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.write(bytes);
  await closed;
  const text = Buffer.concat(chunks).toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const head = split === -1 ? text : text.slice(0, split);
  return {
    status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0),
    head,
    body: split === -1 ? '' : text.slice(split + 4),
  };
}

/** Requests no client library would send: broken framing, oversized parts, bad encodings. */
export const PROTOCOL_CASES: ReadonlyArray<{ name: string; request: (path: string) => string }> = [
  { name: 'a request line that is not HTTP', request: () => 'GARBAGE\r\n\r\n' },
  { name: 'an unknown method', request: (path) => `BREW ${path} HTTP/1.1\r\nhost: x\r\n\r\n` },
  { name: 'HTTP/1.1 without Host', request: (path) => `GET ${path} HTTP/1.1\r\n\r\n` },
  { name: 'a NUL in the request line', request: (path) => `GET ${path}\u0000 HTTP/1.1\r\nhost: x\r\n\r\n` },
  {
    name: '%ff in the path',
    request: (path) => `GET ${path}/%ff HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`,
  },
  {
    name: 'a bad percent-encoding in the path',
    request: (path) => `GET ${path}/%zz%ff%c0%af HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`,
  },
  {
    name: 'an over-long path parameter',
    request: (path) => `GET ${path}/${'a'.repeat(5000)} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`,
  },
  {
    name: 'an over-long query',
    request: (path) =>
      `GET ${path}?limit=${'9'.repeat(5000)}&cursor=${'%ff'.repeat(1000)} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`,
  },
  {
    name: 'headers over 16 KiB',
    request: (path) => `GET ${path} HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(70_000)}\r\n\r\n`,
  },
  {
    name: 'a header without a colon',
    request: (path) => `GET ${path} HTTP/1.1\r\nhost: x\r\nbroken header\r\n\r\n`,
  },
  {
    name: 'two Content-Length headers',
    request: (path) =>
      `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}`,
  },
  {
    name: 'Content-Length and chunked together',
    request: (path) =>
      `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`,
  },
  {
    name: 'a broken chunk size',
    request: (path) =>
      `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
  },
  {
    name: 'JSON that does not parse',
    request: (path) => {
      const body = '{"a":\u0000}';
      return `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`;
    },
  },
  {
    name: 'a JSON body with __proto__',
    request: (path) => {
      const body = '{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}';
      return `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`;
    },
  },
  {
    name: 'an unsupported content type',
    request: (path) =>
      `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: text/x-nope\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi`,
  },
  {
    name: 'a body past the body limit',
    request: (path) =>
      `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 104857600\r\nconnection: close\r\n\r\n{`,
  },
];

export interface FuzzSuiteOptions extends FuzzOptions {
  /** The app under test, as `useTestApp` gives it (read once its beforeAll has run). */
  test: { app: FastifyInstance };
  /** A collection path the protocol cases aim at (`/v1/users`); a GET of it must be 200 afterwards. */
  resource: string;
  /** Operations the run must have reached (`POST /v1/users/`). */
  expectOperations: string[];
}

// Hundreds of requests against a real database: a guard against a hang, not a speed limit.
const SCHEMA_RUN_TIMEOUT_MS = 180_000;

/** Registers a service's fuzz tests: the schema-driven run over app.inject, then the protocol cases on a socket. */
export function describeFuzzSuite(options: FuzzSuiteOptions): void {
  const { test, resource, expectOperations, ...fuzz } = options;
  let port = 0;
  beforeAll(async () => {
    await test.app.listen({ port: 0, host: '127.0.0.1' });
    port = (test.app.server.address() as { port: number }).port;
  });
  const alive = async () => {
    const ready = await sendRaw(port, 'GET /health/ready HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    expect(ready.status).toBe(200);
    expect((await test.app.inject({ url: resource })).statusCode).toBe(200);
  };

  it(
    `answers every operation of its OpenAPI document below 500, with the envelope on every 4xx (${fuzz.numRuns} requests each)`,
    async () => {
      const { sent } = await fuzzOperations(test.app, fuzz);
      expect([...sent.keys()]).toEqual(expect.arrayContaining(expectOperations));
      expect([...sent.values()].every((n) => n === fuzz.numRuns)).toBe(true);
      await alive();
    },
    SCHEMA_RUN_TIMEOUT_MS,
  );

  it.each(PROTOCOL_CASES.map((c) => [c.name, c] as const))(
    'answers %s on a raw socket with the error envelope',
    async (_, c) => {
      const answer = await sendRaw(port, c.request(resource));
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      // A chunked body's framing around the JSON.
      const body = answer.body.replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/gi, '');
      expect(isErrorEnvelope(body), answer.head + answer.body).toBe(true);
    },
  );

  it('is still up after the protocol cases', alive);
}
