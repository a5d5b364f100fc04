import type { IncomingMessage } from 'node:http';
import {
  type Context,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { ReadableSpan, Sampler, Span as SdkSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import {
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_PATH,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';
import { Type } from '@sinclair/typebox';
import {
  configFragment,
  hexFlags,
  LIFECYCLE_PLUGIN,
  remoteContextOf,
  type TraceContext,
  traceContextPropagator,
} from '@steadfast/http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { LogEvent } from 'kysely';
import { operationOf } from './db/database-metrics.js';

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];
const PROTOCOLS = ['http/protobuf', 'http/json'] as const;

/** The OpenTelemetry specification's defaults. */
export const DEFAULT_TRACES_SAMPLER: SamplerName = 'parentbased_always_on';
export const DEFAULT_OTLP_PROTOCOL = 'http/protobuf';
/** Spans waiting for their request to end are held for this many requests at most; the oldest go first. */
export const MAX_OPEN_TRACES = 4096;
/** And for this many spans per request. */
export const MAX_SPANS_PER_TRACE = 512;
/** How long the final export may take on shutdown. */
const FLUSH_TIMEOUT_MS = 3000;

const endpoint = (description: string) => Type.Optional(Type.String({ pattern: '^https?://', description }));

/**
 * The standard OpenTelemetry variables the kit validates, so a typo fails at startup; the exporter reads the rest
 * itself (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*).
 */
export const tracingConfig = configFragment({
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint(
    'OTLP/HTTP collector base URL; traces go to <it>/v1/traces. Unset (and no _TRACES_ENDPOINT): tracing is off',
  ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint(
    'Full OTLP/HTTP traces URL; wins over OTEL_EXPORTER_OTLP_ENDPOINT',
  ),
  OTEL_EXPORTER_OTLP_PROTOCOL: Type.Union(
    PROTOCOLS.map((protocol) => Type.Literal(protocol)),
    { default: DEFAULT_OTLP_PROTOCOL, description: PROTOCOLS.join(' or ') },
  ),
  OTEL_SERVICE_NAME: Type.Optional(
    Type.String({ minLength: 1, description: "The traces' service.name; the service's own name by default" }),
  ),
  OTEL_TRACES_SAMPLER: Type.Union(
    SAMPLERS.map((sampler) => Type.Literal(sampler)),
    { default: DEFAULT_TRACES_SAMPLER, description: SAMPLERS.join(', ') },
  ),
  OTEL_TRACES_SAMPLER_ARG: Type.Optional(
    Type.Number({
      minimum: 0,
      maximum: 1,
      description:
        'The ratio of the traceidratio samplers (1 by default); failed and slow requests are kept anyway',
    }),
  ),
  OTEL_SDK_DISABLED: Type.Boolean({
    default: false,
    description: 'true turns tracing off whatever else is set',
  }),
});

type TracingConfig = {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_PROTOCOL: (typeof PROTOCOLS)[number];
  OTEL_SERVICE_NAME?: string | undefined;
  OTEL_TRACES_SAMPLER: SamplerName;
  OTEL_TRACES_SAMPLER_ARG?: number | undefined;
  OTEL_SDK_DISABLED: boolean;
  NODE_ENV: string;
};

export interface TracingOptions {
  /** Where spans are sent (the full traces URL). */
  url: string;
  protocol: (typeof PROTOCOLS)[number];
  serviceName: string;
  serviceVersion: string;
  environment: string;
  sampler: SamplerName;
  ratio: number;
  /** A request at least this slow is kept whatever the sampler said (the service's latency SLO threshold). */
  keepSlowerThanMs: number;
}

/** The traces URL the specification derives from the variables, or undefined when tracing is off. */
function tracesUrl(config: TracingConfig): string | undefined {
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

export function tracingOptionsFrom(
  config: TracingConfig,
  service: { name: string; version: string },
  keepSlowerThanMs: number,
): TracingOptions | undefined {
  const url = tracesUrl(config);
  if (url === undefined || config.OTEL_SDK_DISABLED) return undefined;
  return {
    url,
    protocol: config.OTEL_EXPORTER_OTLP_PROTOCOL,
    serviceName: config.OTEL_SERVICE_NAME ?? service.name,
    serviceVersion: service.version,
    environment: config.NODE_ENV,
    sampler: config.OTEL_TRACES_SAMPLER,
    ratio: config.OTEL_TRACES_SAMPLER_ARG ?? 1,
    keepSlowerThanMs,
  };
}

const isLocalRoot = (span: ReadableSpan) =>
  !span.parentSpanContext || span.parentSpanContext.isRemote === true;
const isSampled = (span: ReadableSpan) => (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;

/** An ended span as exported: marked sampled, since the trace it belongs to was kept after the fact. */
function asKept(span: ReadableSpan): ReadableSpan {
  if (isSampled(span)) return span;
  const spanContext = {
    ...span.spanContext(),
    traceFlags: span.spanContext().traceFlags | TraceFlags.SAMPLED,
  };
  return Object.create(span, { spanContext: { value: () => spanContext } }) as ReadableSpan;
}

/**
 * Every span is recorded; what is exported is decided per trace when this process's root span of it (the request)
 * ends: the whole trace is kept when the sampler sampled it, when it failed, or when it took at least
 * `keepSlowerThanMs`. Until then its ended spans wait here, at most `MAX_SPANS_PER_TRACE` for each of at most
 * `MAX_OPEN_TRACES` traces (the oldest trace is dropped to make room). A span that ends after its root is judged on
 * its own.
 */
export class KeepNotableTraces implements SpanProcessor {
  readonly #open = new Map<string, { roots: number; spans: ReadableSpan[]; keep: boolean }>();

  constructor(
    private readonly next: SpanProcessor,
    private readonly keepSlowerThanMs: number,
  ) {}

  onStart(span: SdkSpan): void {
    if (!isLocalRoot(span)) return;
    const { traceId } = span.spanContext();
    const open = this.#open.get(traceId);
    if (open) {
      open.roots++;
      return;
    }
    if (this.#open.size >= MAX_OPEN_TRACES) {
      this.#open.delete(this.#open.keys().next().value as string);
    }
    this.#open.set(traceId, { roots: 1, spans: [], keep: false });
  }

  onEnd(span: ReadableSpan): void {
    const { traceId } = span.spanContext();
    const open = this.#open.get(traceId);
    if (!open) {
      if (this.#notable(span)) this.next.onEnd(asKept(span));
      return;
    }
    if (!isLocalRoot(span)) {
      if (open.spans.length < MAX_SPANS_PER_TRACE) open.spans.push(span);
      return;
    }
    open.spans.push(span);
    open.keep ||= this.#notable(span);
    if (--open.roots > 0) return;
    this.#open.delete(traceId);
    if (open.keep) for (const ended of open.spans) this.next.onEnd(asKept(ended));
  }

  #notable(span: ReadableSpan): boolean {
    if (isSampled(span) || span.status.code === SpanStatusCode.ERROR) return true;
    const [seconds, nanos] = span.duration;
    return seconds * 1000 + nanos / 1e6 >= this.keepSlowerThanMs;
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    this.#open.clear();
    return this.next.shutdown();
  }
}

async function exporterFor(options: TracingOptions) {
  if (options.protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter({ url: options.url });
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({ url: options.url });
}

async function samplerFor(options: TracingOptions): Promise<Sampler> {
  const sdk = await import('@opentelemetry/sdk-trace');
  const root = {
    always_on: () => new sdk.AlwaysOnSampler(),
    always_off: () => new sdk.AlwaysOffSampler(),
    traceidratio: () => new sdk.TraceIdRatioBasedSampler(options.ratio),
  };
  const [, base = options.sampler] = /^parentbased_(.*)$/.exec(options.sampler) ?? [];
  const sampler = root[base as keyof typeof root]();
  return options.sampler.startsWith('parentbased_') ? new sdk.ParentBasedSampler({ root: sampler }) : sampler;
}

/** Whether an outgoing undici/fetch call already names its parent (a proxy forwarding its caller's traceparent). */
function carriesTraceparent(headers: string | (string | string[])[]): boolean {
  if (typeof headers === 'string') return /(^|\r\n)traceparent:/i.test(headers);
  return headers.some((value, index) => index % 2 === 0 && String(value).toLowerCase() === 'traceparent');
}

const SPAN_CONTEXT = Symbol('steadfast.span-context');
type TracedRequest = IncomingMessage & { [SPAN_CONTEXT]?: Context };

/** A service's tracing: the provider, the request-span starter, the query spans and the outgoing-call spans. */
export interface Tracing {
  /** The request's server span, started when its logger is made (the kit's `TraceStarter`). */
  start(raw: IncomingMessage): TraceContext;
  /** Told of each statement as it ends (the kit's driver wrapper): a client span for it, under the span that ran it. */
  onQuery(event: LogEvent): void;
  /** The context a request's hooks and handler run in. */
  contextOf(raw: IncomingMessage): Context | undefined;
  /** Exports what is left and stops: the shutdown handler. */
  shutdown(): Promise<void>;
}

/**
 * Loads the SDK and starts tracing. Only called when an endpoint is set: without one nothing of the SDK is loaded,
 * and requests go through `traceOf`'s untraced path.
 */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const [
    sdk,
    { resourceFromAttributes, detectResources, envDetector },
    { AsyncLocalStorageContextManager },
    undici,
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/instrumentation-undici'),
  ]);
  // Process-wide, as the OpenTelemetry API is: the first service in a process sets them, later ones find them set.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(traceContextPropagator);

  const processor = new KeepNotableTraces(
    new sdk.BatchSpanProcessor({ exporter: await exporterFor(options) }),
    options.keepSlowerThanMs,
  );
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      [ATTR_SERVICE_VERSION]: options.serviceVersion,
      [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: options.environment,
    }).merge(detectResources({ detectors: [envDetector] })),
    sampler: sdk.createAlwaysRecordSampler(await samplerFor(options)),
    spanProcessors: [processor],
  });
  const tracer: Tracer = provider.getTracer('@steadfast/service-kit');
  const outgoing = new undici.UndiciInstrumentation({
    ignoreRequestHook: (request) => carriesTraceparent(request.headers),
  });
  outgoing.setTracerProvider(provider);
  outgoing.enable();

  return {
    start(raw) {
      const parent = remoteContextOf(raw.headers);
      const method = raw.method ?? 'HTTP';
      const span = tracer.startSpan(
        method,
        {
          kind: SpanKind.SERVER,
          attributes: {
            [ATTR_HTTP_REQUEST_METHOD]: method,
            // The path only: a query string can carry what a trace backend should not keep.
            [ATTR_URL_PATH]: (raw.url ?? '/').split('?', 1)[0] as string,
          },
        },
        parent,
      );
      (raw as TracedRequest)[SPAN_CONTEXT] = trace.setSpan(parent, span);
      const { traceId, spanId, traceFlags } = span.spanContext();
      return {
        traceId,
        spanId,
        parentSpanId: trace.getSpanContext(parent)?.spanId,
        flags: hexFlags(traceFlags),
      };
    },
    onQuery(event) {
      const end = performance.timeOrigin + performance.now();
      const operation = operationOf(event);
      const span = tracer.startSpan(
        operation,
        {
          kind: SpanKind.CLIENT,
          startTime: end - event.queryDurationMillis,
          // No statement text and no parameters: the operation says what ran, the span's parent says why.
          attributes: {
            [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
            [ATTR_DB_OPERATION_NAME]: operation,
          },
        },
        context.active(),
      );
      if (event.level === 'error') {
        const code = (event.error as { code?: unknown } | undefined)?.code;
        const type = typeof code === 'string' ? code : 'error';
        span.setAttributes({ [ATTR_ERROR_TYPE]: type, [ATTR_DB_RESPONSE_STATUS_CODE]: type });
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end(end);
    },
    contextOf: (raw) => (raw as TracedRequest)[SPAN_CONTEXT],
    async shutdown() {
      outgoing.disable();
      await provider.forceFlush({ timeoutMillis: FLUSH_TIMEOUT_MS });
      await provider.shutdown();
    },
  };
}

function endRequestSpan(span: Span, request: FastifyRequest, statusCode: number | undefined) {
  if (!span.isRecording()) return;
  const route = request.routeOptions.url;
  if (route) {
    span.setAttribute(ATTR_HTTP_ROUTE, route);
    span.updateName(`${request.method} ${route}`);
  }
  if (statusCode === undefined) {
    span.setAttribute(ATTR_ERROR_TYPE, 'aborted');
    span.setStatus({ code: SpanStatusCode.ERROR });
  } else {
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode);
    if (statusCode >= 500) {
      span.setAttribute(ATTR_ERROR_TYPE, String(statusCode));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }
  span.end();
}

export const TRACING_PLUGIN = '@steadfast/service-kit/tracing';

/**
 * Runs each request's hooks and handler inside its span (so queries and outgoing calls become its children), ends
 * the span with the response, and exports what is left on shutdown. Registered only when tracing is on.
 */
export const tracingPlugin = fp<{ tracing: Tracing }>(
  async (app: FastifyInstance, { tracing }) => {
    const enter = (raw: IncomingMessage, done: () => void) => {
      const active = tracing.contextOf(raw);
      if (active) context.with(active, done);
      else done();
    };
    app.addHook('onRequest', (request, _reply, done) => enter(request.raw, done));
    // The body is read outside the request's context; the handler is entered again after it.
    app.addHook('preHandler', (request, _reply, done) => enter(request.raw, done));
    const spanOf = (raw: IncomingMessage) => {
      const active = tracing.contextOf(raw);
      return active ? trace.getSpan(active) : undefined;
    };
    app.addHook('onResponse', (request, reply, done) => {
      const span = spanOf(request.raw);
      if (span) endRequestSpan(span, request, reply.statusCode);
      done();
    });
    app.addHook('onRequestAbort', (request, done) => {
      const span = spanOf(request.raw);
      if (span) endRequestSpan(span, request, undefined);
      done();
    });
    // Registered right after the lifecycle, so it runs last: spans of the other handlers' work are exported too.
    app.lifecycle.addShutdownHandler('traces export', () => tracing.shutdown(), FLUSH_TIMEOUT_MS + 1000);
  },
  { name: TRACING_PLUGIN, fastify: '5.x', dependencies: [LIFECYCLE_PLUGIN] },
);
