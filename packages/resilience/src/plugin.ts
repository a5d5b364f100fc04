import type { FastifyInstance, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { register as globalRegistry, type Registry } from 'prom-client';
import { Bulkhead, type BulkheadOptions } from './bulkhead.js';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.js';
import { isBulkheadRejectedError, isCircuitOpenError, isTimeoutError } from './errors.js';
import { type CallOutcome, type MetricSource, metricsFor, type ResilienceMetrics } from './metrics.js';
import type { Dispose, ExecuteContext, ExecuteOptions, Operation, Policy, PolicyResult } from './policy.js';
import { Retry } from './retry.js';
import { Timeout, type TimeoutOptions } from './timeout.js';
import { PolicyWrap } from './wrap.js';

/** Per-route settings, read from `config.resilience`; they guard the whole handler. */
export interface ResilienceRouteConfig {
  /** Handler deadline in ms, or timeout options. */
  timeout?: number | TimeoutOptions;
  /** A registered policy's name, or options for a bulkhead owned by this route. */
  bulkhead?: string | BulkheadOptions;
  /** A registered policy's name, or options for a breaker owned by this route. */
  breaker?: string | CircuitBreakerOptions;
  /** Any registered policy, applied outermost. */
  policy?: string;
}

export interface ResiliencePluginOptions {
  /** Policies to register by name at startup. */
  policies?: Record<string, Policy<unknown>>;
  /** Where metrics go. Default: prom-client's global registry. */
  registry?: Registry;
}

/** One breaker's state as a health check needs it. */
export interface BreakerStatus {
  name: string;
  state: CircuitState;
  /** Failures inside the breaker's window. */
  failures: number;
  /** When the current state began (ms since the epoch). */
  since: number;
  /** When an open breaker starts probing; null while isolated, absent unless open. */
  openUntil?: number | null;
}

/** What a health package needs from us, without importing anything else of this package. */
export interface BreakerStateSource {
  breakerStates(): BreakerStatus[];
}

export interface ResilienceRegistry extends BreakerStateSource {
  /** Adds a named policy; calls through `get(name)` are counted by outcome. Names are unique. */
  register<P extends Policy<unknown>>(name: string, policy: P): Policy<PolicyResult<P>>;
  /** The named policy, instrumented. Throws for an unknown name so a typo fails loudly. */
  get<R = never>(name: string): Policy<R>;
  has(name: string): boolean;
  names(): string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    resilience: ResilienceRegistry;
  }
  interface FastifyContextConfig {
    resilience?: ResilienceRouteConfig;
  }
  interface FastifyRequest {
    /** Set while a handler runs under `config.resilience`: its `signal` aborts when the route times out. */
    resilienceContext: ExecuteContext | null;
  }
}

interface Entry {
  policy: Policy<unknown>;
  instrumented: Policy<unknown>;
  breakers: CircuitBreaker[];
  bulkheads: Bulkhead[];
}

/** Counts each call through a named policy by how it ended. */
class InstrumentedPolicy implements Policy<unknown> {
  constructor(
    private readonly name: string,
    private readonly inner: Policy<unknown>,
    private readonly metrics: ResilienceMetrics,
  ) {}

  async execute<T>(fn: Operation<T>, options?: ExecuteOptions): Promise<unknown> {
    try {
      const result = await this.inner.execute(fn, options);
      this.metrics.calls.inc({ policy: this.name, outcome: 'success' });
      return result;
    } catch (error) {
      this.metrics.calls.inc({ policy: this.name, outcome: outcomeOf(error) });
      throw error;
    }
  }
}

function outcomeOf(error: unknown): CallOutcome {
  if (isCircuitOpenError(error) || isBulkheadRejectedError(error)) return 'rejected';
  if (isTimeoutError(error)) return 'timeout';
  return 'failure';
}

/** Every policy inside `policy`, wraps flattened. */
function flatten(policy: Policy<unknown>, out: Policy<unknown>[] = []): Policy<unknown>[] {
  if (policy instanceof PolicyWrap) for (const inner of policy.policies) flatten(inner, out);
  else out.push(policy);
  return out;
}

function labelled<T>(name: string, items: T[]): Array<[string, T]> {
  return items.map((item, i) => [items.length === 1 ? name : `${name}[${i}]`, item]);
}

function routeName(route: RouteOptions): string {
  const method = Array.isArray(route.method) ? route.method.join(',') : route.method;
  return `route:${method} ${route.url}`;
}

async function resiliencePlugin(app: FastifyInstance, options: ResiliencePluginOptions): Promise<void> {
  const metrics = metricsFor(options.registry ?? globalRegistry);
  const entries = new Map<string, Entry>();
  const disposers: Dispose[] = [];
  // Policies the plugin built from route config; it owns their timers and queues.
  const owned: Array<{ dispose(): void }> = [];

  const source: MetricSource = {
    *breakers() {
      for (const [name, entry] of entries) yield* labelled(name, entry.breakers);
    },
    *bulkheads() {
      for (const [name, entry] of entries) yield* labelled(name, entry.bulkheads);
    },
  };
  metrics.sources.add(source);

  function add(name: string, policy: Policy<unknown>, observed: Policy<unknown>[]): Entry {
    if (typeof name !== 'string' || name === '') {
      throw new TypeError(`Invalid policy name: ${JSON.stringify(name)} (expected a non-empty string)`);
    }
    if (typeof (policy as Partial<Policy>)?.execute !== 'function') {
      throw new TypeError(
        `Invalid policy for "${name}": ${String(policy)} (expected a policy with execute())`,
      );
    }
    if (entries.has(name)) throw new Error(`A resilience policy named "${name}" is already registered`);
    const breakers = observed.filter((p): p is CircuitBreaker => p instanceof CircuitBreaker);
    const bulkheads = observed.filter((p): p is Bulkhead => p instanceof Bulkhead);
    for (const [label, breaker] of labelled(name, breakers)) {
      disposers.push(
        breaker.onStateChange((e) => metrics.transitions.inc({ policy: label, from: e.from, to: e.to })),
      );
    }
    for (const retry of observed) {
      if (retry instanceof Retry)
        disposers.push(retry.onRetry(() => metrics.retryAttempts.inc({ policy: name })));
    }
    const entry = {
      policy,
      instrumented: new InstrumentedPolicy(name, policy, metrics),
      breakers,
      bulkheads,
    };
    entries.set(name, entry);
    return entry;
  }

  function lookup(name: string, route: string): Policy<unknown> {
    const entry = entries.get(name);
    if (entry === undefined) throw new Error(`Route ${route} names an unknown resilience policy "${name}"`);
    return entry.policy;
  }

  const registry: ResilienceRegistry = {
    register<P extends Policy<unknown>>(name: string, policy: P) {
      return add(name, policy, flatten(policy)).instrumented as Policy<PolicyResult<P>>;
    },
    get<R = never>(name: string) {
      const entry = entries.get(name);
      if (entry === undefined) throw new Error(`No resilience policy named "${name}" is registered`);
      return entry.instrumented as Policy<R>;
    },
    has: (name) => entries.has(name),
    names: () => [...entries.keys()],
    breakerStates() {
      const out: BreakerStatus[] = [];
      for (const [name, breaker] of source.breakers()) {
        const snapshot = breaker.toJSON();
        const status: BreakerStatus = {
          name,
          state: snapshot.state,
          failures: snapshot.failures,
          since: snapshot.since,
        };
        if (snapshot.state === 'open') status.openUntil = snapshot.openUntil ?? null;
        out.push(status);
      }
      return out;
    },
  };

  for (const [name, policy] of Object.entries(options.policies ?? {})) registry.register(name, policy);

  app.decorate('resilience', registry);
  app.decorateRequest('resilienceContext', null);

  // Fastify adds a HEAD route for every GET with the same config; both share one set of policies.
  const byConfig = new WeakMap<ResilienceRouteConfig, Policy<unknown>>();

  function routePolicy(route: RouteOptions, config: ResilienceRouteConfig): Policy<unknown> | undefined {
    const existing = byConfig.get(config);
    if (existing !== undefined) return existing;
    const name = routeName(route);
    const chain: Policy<unknown>[] = [];
    const mine: Policy<unknown>[] = [];
    const own = <P extends Policy<unknown> & { dispose(): void }>(policy: P): P => {
      owned.push(policy);
      mine.push(policy);
      return policy;
    };
    if (config.policy !== undefined) chain.push(lookup(config.policy, name));
    // The breaker sits outside the bulkhead so an open circuit fails fast without taking a slot.
    if (config.breaker !== undefined) {
      chain.push(
        typeof config.breaker === 'string'
          ? lookup(config.breaker, name)
          : own(new CircuitBreaker(config.breaker)),
      );
    }
    if (config.bulkhead !== undefined) {
      chain.push(
        typeof config.bulkhead === 'string'
          ? lookup(config.bulkhead, name)
          : own(new Bulkhead(config.bulkhead)),
      );
    }
    if (config.timeout !== undefined) {
      chain.push(
        own(new Timeout(typeof config.timeout === 'number' ? { duration: config.timeout } : config.timeout)),
      );
    }
    if (chain.length === 0) return undefined;
    const { instrumented } = add(name, chain.length === 1 ? chain[0]! : new PolicyWrap(chain), mine);
    byConfig.set(config, instrumented);
    return instrumented;
  }

  app.addHook('onRoute', (route) => {
    const config = route.config?.resilience;
    if (config === undefined) return;
    const instrumented = routePolicy(route, config);
    if (instrumented === undefined) return;
    const handler = route.handler;
    route.handler = function resilientHandler(this: FastifyInstance, request, reply) {
      return instrumented.execute(async (ctx) => {
        request.resilienceContext = ctx;
        return handler.call(this, request, reply);
      });
    };
  });

  app.addHook('onClose', async () => {
    for (const dispose of disposers.splice(0)) dispose();
    for (const policy of owned.splice(0)) policy.dispose();
    metrics.sources.delete(source);
    entries.clear();
  });
}

/** Named policies, per-route timeout/bulkhead/breaker from `config.resilience`, and Prometheus metrics. */
export const resilience = fp(resiliencePlugin, { name: '@steadfast/resilience', fastify: '5.x' });
