import { setTimeout as sleep } from 'node:timers/promises';
import { ChaosInjectedError } from '@steadfast/errors';
import { type Decision, decideDependencyCall, decideRequest, type Failure, type Random } from './decision.js';
import type { Fault, FaultKind } from './fault.js';
import type { ChaosMetrics } from './metrics.js';
import type { RequestFacts } from './targeting.js';

/** The logger calls the injector makes (pino's and Fastify's loggers have this shape). */
export interface WarnLogger {
  warn(fields: object, message: string): void;
}

/** Where the injector reads the faults in force (the replica's snapshot). */
export interface FaultSource {
  readonly httpFaults: readonly Fault[];
  readonly dependencyFaults: readonly Fault[];
}

export interface InjectionCounts {
  total: number;
  byKind: Record<string, number>;
  byFault: Record<string, number>;
}

/**
 * Applies decisions: waits the latency (on a timer, never blocking the event loop), then reports the failure
 * for the caller to act on. Every injection is counted, logged at warn and exported as a metric.
 */
export class Injector {
  readonly #counts: InjectionCounts = { total: 0, byKind: {}, byFault: {} };

  constructor(
    private readonly faults: FaultSource,
    private readonly metrics: ChaosMetrics,
    private readonly random: Random = Math.random,
  ) {}

  counts(): InjectionCounts {
    const { total, byKind, byFault } = this.#counts;
    return { total, byKind: { ...byKind }, byFault: { ...byFault } };
  }

  /** Delays the request as its faults say; returns the error or abort to apply, if any. */
  async beforeRequest(facts: RequestFacts, log: WarnLogger, requestId: string): Promise<Failure | undefined> {
    const faults = this.faults.httpFaults;
    if (faults.length === 0) return undefined;
    const decision = decideRequest(faults, facts, Date.now(), this.random);
    return this.#apply(decision, log, `${facts.method} ${facts.route}`, { requestId });
  }

  /** Delays the call as its faults say (abortably), then throws the injected error, if any. */
  async beforeDependencyCall(name: string, log: WarnLogger, signal?: AbortSignal): Promise<void> {
    const faults = this.faults.dependencyFaults;
    if (faults.length === 0) return;
    const decision = decideDependencyCall(faults, name, Date.now(), this.random);
    const failure = await this.#apply(decision, log, `dependency:${name}`, { dependency: name }, signal);
    if (failure?.kind === 'error') throw new ChaosInjectedError(failure.fault.id, failure.status);
  }

  async #apply(decision: Decision, log: WarnLogger, target: string, fields: object, signal?: AbortSignal) {
    for (const delay of decision.delays) {
      this.#record(log, delay.fault, 'latency', target, { ...fields, latencyMs: delay.ms });
      await sleep(delay.ms, undefined, signal === undefined ? undefined : { signal });
    }
    const failure = decision.failure;
    if (failure !== undefined) this.#record(log, failure.fault, failure.kind, target, fields);
    return failure;
  }

  #record(log: WarnLogger, fault: Fault, kind: FaultKind, target: string, fields: object) {
    const counts = this.#counts;
    counts.total++;
    counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
    counts.byFault[fault.id] = (counts.byFault[fault.id] ?? 0) + 1;
    this.metrics.injections.inc({ kind, target });
    log.warn({ faultId: fault.id, kind, target, ...fields }, `chaos: injected ${kind}`);
  }
}
